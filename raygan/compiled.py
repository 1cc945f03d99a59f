"""``torch.compile`` of the training step's forward passes (the config key ``compile``).

A small GAN's step is hundreds of tiny kernels; compiling G's forward and D's ``judge``
fuses their elementwise work (the inductor backend: C++/OpenMP on a CPU, Triton on a GPU,
where ``mode="reduce-overhead"`` also replays the step's kernels as CUDA graphs).  Only the
training step is compiled: sampling, metrics and the R1 penalty's double backward (which
compiled graphs do not support) stay eager, on the same modules and weights, and the
checkpoints are the same files.

``compile: auto`` compiles where it was measured to pay with its compile time counted
(:data:`AUTO_DEVICES`); ``on`` always; ``off`` never.  The first call of each compiled
function compiles it (several seconds); Dynamo's cache keeps the result for every later
trainer of the same architecture in the process (the trials a Ray worker runs one after the
other), and inductor's on-disk cache for other processes on the machine.  A spectral-norm
D is recompiled for every trainer (``torch.nn.utils.parametrize`` gives each parametrised
layer a class of its own, which Dynamo guards on), from that on-disk cache: about a second
where the first compile took ten (``bench.compile_step``).  Each such trainer leaves
entries in Dynamo's cache, so calls raise its per-function limit (8 by default, past
which Dynamo silently runs the function eagerly) to :data:`RECOMPILE_LIMIT` (:func:`compiled_step`).  A compile
that fails (no C++ compiler, an unsupported operation) prints one warning line and the run
goes on eagerly.  A compiled step runs under PyTorch's deterministic algorithms, so that a
compiled run is as reproducible as an eager one (:func:`compiled_step`).  Dropout in D (``gan``'s recipe) is
the exception to "the same losses": inductor draws its masks from a random stream of its own, so a compiled
run drops other units than an eager one.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable

import torch

COMPILE_CHOICES = ("auto", "on", "off")
RECOMPILE_LIMIT = 256  # compiled variants kept per function: D's 2 to 3 for each trainer a worker builds
AUTO_DEVICES: tuple[str, ...] = ()  # device types where compile: auto compiles (see bench/RESULTS.md, "compile")


def compiles(setting: str, device: torch.device) -> bool:
    """Whether a run on ``device`` with ``compile: setting`` compiles its training step."""
    return setting == "on" or (setting == "auto" and torch.device(device).type in AUTO_DEVICES)


def compile_mode(device: torch.device) -> str | None:
    """``reduce-overhead`` (CUDA graphs) on a GPU, inductor's default elsewhere."""
    return "reduce-overhead" if torch.device(device).type == "cuda" else None


class CompiledCall:
    """``fn`` compiled on first use; after a failure to compile, one warning line (to ``log``) and ``fn`` eager.

    An error that is not the compiler's (a wrong input) is raised again by the eager call.
    """

    def __init__(self, fn: Callable, device, log: Callable[[str], object] | None = None):
        self.eager = fn
        self.compiled: Callable | None = torch.compile(fn, mode=compile_mode(device), dynamic=False)
        self.log = log or _warn

    @property
    def active(self) -> bool:
        """Whether calls still go through the compiled function (False after it failed)."""
        return self.compiled is not None

    def __call__(self, *args, **kwargs):
        if self.compiled is not None:
            try:
                return self.compiled(*args, **kwargs)
            except Exception as err:  # noqa: BLE001 - any compiler failure; the eager call re-raises a real error
                self.compiled = None
                reason = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
                self.log(f"warning: torch.compile failed ({type(err).__name__}: {reason}); this run trains "
                         "eagerly (compile=off skips the attempt)")
        return self.eager(*args, **kwargs)


@contextmanager
def compiled_step(active: bool = True):
    """What a compiled training step runs under (nothing when not ``active``): Dynamo's per-function limit raised
    to :data:`RECOMPILE_LIMIT`, and PyTorch's deterministic algorithms, forward and backward.  With them, inductor
    lowers a class embedding's gradient (an indexed add) to a kernel that adds in a fixed order instead of
    parallel atomic adds (which differ run to run by 1e-10), so a compiled run resumed from a checkpoint goes
    bit for bit where an unbroken one goes, as an eager run does."""
    if not active:
        yield
        return
    before = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        with torch._dynamo.config.patch(recompile_limit=RECOMPILE_LIMIT):
            yield
    finally:
        torch.use_deterministic_algorithms(before, warn_only=warn_only)


def _warn(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
