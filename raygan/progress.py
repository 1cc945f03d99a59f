"""Progress bars (tqdm) for long work in a terminal: training, large evaluations, evaluator training.

A bar shows rate and ETA on stderr and stays silent when stderr is not a terminal (logs,
CI, Ray workers), so piped output holds only the report lines.  Those lines go through
:func:`say`, which prints them above a live bar instead of through it.  tqdm is used rather
than hand-written carriage returns because it already handles terminal width, rate
smoothing, notebooks and interleaved prints.
"""
from __future__ import annotations

from tqdm.auto import tqdm


def bar(total: float | None, unit: str, desc: str | None = None) -> tqdm:
    """A bar over ``total`` ``unit`` (None: a counter with a rate but no ETA), off unless stderr is a terminal."""
    return tqdm(total=total, unit=unit, desc=desc, disable=None, dynamic_ncols=True, leave=False,
                bar_format=None if total else "{desc}: {n:.1f} {unit} [{elapsed}, {rate_fmt}]")


def say(line: str) -> None:
    """Print one line (to stdout) above any live bar."""
    tqdm.write(line)


class KimgBar:
    """A :func:`bar` over kimg trained, fed the trainer's image count after every step.

    A resumed run's first count jumps to where it resumed; that jump is not counted as speed.
    """

    def __init__(self, max_kimg: float | None, desc: str):
        self.bar = bar(max_kimg, "kimg", desc)
        self.started = False

    def __call__(self, images: int) -> None:
        kimg = images / 1000
        if not self.started:
            self.bar.n = self.bar.last_print_n = kimg
            self.started = True
        self.bar.update(kimg - self.bar.n)

    def close(self) -> None:
        self.bar.close()
