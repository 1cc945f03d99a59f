"""Progress for long work in a terminal or a notebook: bars (tqdm) and blocks of text redrawn in place.

A bar shows rate and ETA on stderr and stays silent when stderr is not a terminal (logs,
CI, Ray workers), so piped output holds only the report lines; in a Jupyter notebook
(:func:`in_notebook`), whose output is no terminal, it shows too (tqdm's notebook bar where
ipywidgets is installed).  Report lines go through :func:`say`, which prints them above a
live bar instead of through it.  tqdm is used rather than hand-written carriage returns
because it already handles terminal width, rate smoothing, notebooks and interleaved prints.

A :class:`LiveText` (a search's progress table) prints each new state of a block of text
below the last in a terminal or a log, and redraws one output in place in a notebook.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterable, Iterator

from tqdm.auto import tqdm


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel (IPython's kernel app, not a terminal IPython)."""
    ipython = sys.modules.get("IPython")  # a kernel has imported it; never imported here
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and "IPKernelApp" in shell.config


def _disable() -> bool | None:
    """tqdm's ``disable``: None (off unless stderr is a terminal), or False in a notebook."""
    return False if in_notebook() else None


def bar(total: float | None, unit: str, desc: str | None = None) -> tqdm:
    """A bar over ``total`` ``unit`` (None: a counter with a rate but no ETA), off unless stderr is a terminal or
    this is a notebook."""
    return tqdm(total=total, unit=unit, desc=desc, disable=_disable(), dynamic_ncols=True, leave=False,
                bar_format=None if total else "{desc}: {n:.1f} {unit} [{elapsed}, {rate_fmt}]")


@contextmanager
def counting(total: int, unit: str, desc: str, enabled: bool = True):
    """Yields a function that counts ``unit`` done toward ``total`` on a :func:`bar` (a no-op unless ``enabled``)."""
    if not enabled:
        yield lambda done: None
        return
    progress = bar(total, unit, desc)
    try:
        yield progress.update
    finally:
        progress.close()


def steps(names: Iterable[str], desc: str, enabled: bool = True) -> Iterator[str]:
    """Yields ``names`` one by one; when ``enabled``, below a bar that counts them and names the one under
    way.  No rate or ETA: steps of unequal cost would make both lie."""
    names = list(names)
    if not enabled:
        yield from names
        return
    progress = tqdm(total=len(names), desc=desc, disable=_disable(), dynamic_ncols=True, leave=False,
                    bar_format="{desc}: {n}/{total} [{elapsed}{postfix}]")
    try:
        for name in names:
            progress.set_postfix_str(name)
            yield name
            progress.update()
    finally:
        progress.close()


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


class LiveText:
    """A block of text shown anew at each :meth:`show`: below the last one (after a blank line) in a terminal or a
    log, in place of it in a notebook, where a new block every 30 s would bury the notebook's other output."""

    def __init__(self):
        self.handle = None  # the notebook output once shown (IPython's DisplayHandle)

    def show(self, text: str) -> None:
        if not in_notebook():
            print(f"\n{text}", flush=True)
            return
        from IPython.display import Pretty, display

        if self.handle is None:
            self.handle = display(Pretty(text), display_id=True)
        else:
            self.handle.update(Pretty(text))
