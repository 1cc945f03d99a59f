"""A clean stop: the first Ctrl-C (SIGINT) or SIGTERM ends a run or a search at its next safe point; a second, at once.

Long work (:func:`raygan.folder_run.train_run`, :func:`raygan.tuning.driver.run_search`) runs
inside a :class:`StopRequest`, which catches both signals while it lasts.  The first is only
noted, and acknowledged on stderr: a run ends after the training step under way, checkpointed;
a search hands the stop to Ray Tune (:meth:`StopRequest.reaching_tune`), which ends its trials
with the experiment's state saved, then skips the final run and the export and writes the
reports it can.  Either then raises :class:`Interrupted`, which names the arguments that
continue the work; a command turns it into its resume command and exit status 128 + the
signal's number: 130 for Ctrl-C, 143 for SIGTERM (:func:`raygan.cli.user_errors`).  The second
signal raises :class:`Interrupted` wherever the work is: it continues from its last checkpoint,
as after a kill.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
from contextlib import contextmanager
from typing import Callable

SIGNALS = (signal.SIGINT, signal.SIGTERM)
TUNE_SIGINT_ENV = "TUNE_DISABLE_SIGINT_HANDLER"  # Tune's own first-Ctrl-C handler, which would hide the stop
TUNE_LOGGER = "ray.tune.tune"  # "Stop signal received ...", "Resume experiment with: Tuner.restore(...)"
POLL_S = 0.2  # how often a stop waiting for Tune to listen is tried again


class Interrupted(KeyboardInterrupt):
    """Work stopped by ``signal_number``, its state saved: the same call with ``resume``'s arguments continues it
    (each set to its value; None: left out).  ``at_once``: stopped by a second signal, from its last checkpoint.

    A :class:`KeyboardInterrupt`, as a Ctrl-C is in Python: ``except Exception`` does not swallow it.
    """

    def __init__(self, signal_number: int, resume: dict, at_once: bool = False):
        self.signal_number, self.resume, self.at_once = signal_number, resume, at_once
        changes = ", ".join(f"without {key}" if value is None else f"{key}={value!r}" for key, value in resume.items())
        super().__init__(f"stopped by {self.signal_name}{' at once' if at_once else ''}; continue with the same "
                         f"call and {changes}")

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signal_number).name

    @property
    def exit_code(self) -> int:
        """The shell's status for a process ended by the signal: 130 for SIGINT, 143 for SIGTERM."""
        return 128 + self.signal_number


class StopRequest:
    """Catches SIGINT and SIGTERM while in use (a context manager); the work polls :attr:`requested` at its safe
    points and ends with :meth:`check`.  ``resume`` gives :attr:`Interrupted.resume` when one is raised.

    Only the main thread can catch signals: elsewhere it catches none and a stop is never requested.
    """

    def __init__(self, resume: Callable[[], dict]):
        self.resume = resume
        self.signal_number: int | None = None
        self.previous: dict = {}  # the handlers it replaced while in use

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            self.previous = {number: signal.signal(number, self._handle) for number in SIGNALS}
        return self

    def __exit__(self, *exc) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)  # None: not set from Python
        self.previous = {}

    @property
    def requested(self) -> bool:
        return self.signal_number is not None

    def check(self) -> None:
        """Raise :class:`Interrupted` if a stop was requested."""
        if self.requested:
            raise Interrupted(self.signal_number, self.resume())

    def _handle(self, number: int, frame) -> None:
        if self.requested:
            raise Interrupted(number, self.resume(), at_once=True)
        self.signal_number = number
        # os.write: a print here could land inside another write to the same stream
        os.write(2, f"{signal.Signals(number).name}: stopping at the next safe point, saving what was done "
                    "(press Ctrl-C again to stop at once)\n".encode())

    @contextmanager
    def reaching_tune(self):
        """While a ``Tuner.fit`` inside runs, a stop reaches Tune as its SIGUSR1: Tune ends the run with the
        experiment's state saved and its trials resumable, as a plain Tune script does on its first Ctrl-C.

        Tune's own SIGINT handler stays off (``TUNE_DISABLE_SIGINT_HANDLER``): it would take the first Ctrl-C
        without a word to raygan.  Tune installs its SIGUSR1 handler only once ``fit`` is under way, so a thread
        passes the stop on once that handler is in place.  Ray's messages about the stop (its ``Tuner.restore``
        hint among them) are dropped: raygan says how to resume.
        """
        if not self.previous:  # not catching signals (not the main thread): nothing to pass on
            yield
            return
        saved_env = os.environ.get(TUNE_SIGINT_ENV)
        os.environ[TUNE_SIGINT_ENV] = "1"
        saved_usr1 = signal.signal(signal.SIGUSR1, signal.SIG_IGN)  # not an earlier fit's handler
        tune_log = logging.getLogger(TUNE_LOGGER)
        tune_log.addFilter(self._unless_stopping)
        done = threading.Event()
        forwarder = threading.Thread(target=self._forward_to_tune, args=(done,), name="raygan-stop", daemon=True)
        forwarder.start()
        try:
            yield
        finally:
            done.set()
            forwarder.join()
            tune_log.removeFilter(self._unless_stopping)
            signal.signal(signal.SIGUSR1, signal.SIG_DFL if saved_usr1 is None else saved_usr1)
            if saved_env is None:
                os.environ.pop(TUNE_SIGINT_ENV, None)
            else:
                os.environ[TUNE_SIGINT_ENV] = saved_env

    def _forward_to_tune(self, done: threading.Event) -> None:
        while not done.wait(POLL_S):
            if self.requested and signal.getsignal(signal.SIGUSR1) is not signal.SIG_IGN:
                signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)
                return

    def _unless_stopping(self, record: logging.LogRecord) -> bool:
        return not self.requested
