"""What every raygan command shares: user errors become one line on stderr and exit code 2.

The library names its arguments and fields (``data_dir``, ``max_kimg``); a command maps
those to its flags (``FLAGS`` in each command module), and :func:`user_errors` words each
error a library call raised about one of them (:attr:`RayganError.fields`) as the flag.  A run
or search stopped by Ctrl-C or SIGTERM (:class:`raygan.interrupt.Interrupted`) becomes one
line with the command that continues it, and the signal's exit status.
"""
from __future__ import annotations

import argparse
import re
import shlex
import sys
import types
from contextlib import contextmanager

from raygan import arguments
from raygan.errors import RayganError
from raygan.interrupt import Interrupted

USAGE_ERROR = 2


@contextmanager
def user_errors(prog: str, flags: dict[str, str] | None = None, argv: list[str] | None = None):
    """Turn RayganError (and a missing file) into ``prog: error: message`` and ``exit(2)``, and a stop
    (:class:`~raygan.interrupt.Interrupted`) into the command that continues it and ``exit(128 + signal)``.

    ``flags`` maps library field names to this command's flags (``{"data_dir": "--data-dir"}``);
    ``argv`` is the command's arguments (default ``sys.argv[1:]``), which the resume command repeats.
    """
    try:
        yield
    except Interrupted as stop:
        command = resume_command(prog, sys.argv[1:] if argv is None else argv, stop.resume, flags or {})
        print(f"{prog}: stopped by {stop.signal_name}{' at once' if stop.at_once else ''}; resume with: {command}",
              file=sys.stderr)
        raise SystemExit(stop.exit_code) from None
    except RayganError as err:
        print(f"{prog}: error: {as_flags(err, flags or {})}", file=sys.stderr)
        raise SystemExit(USAGE_ERROR) from None
    except FileNotFoundError as err:
        print(f"{prog}: error: {err.filename or err} does not exist; check the path", file=sys.stderr)
        raise SystemExit(USAGE_ERROR) from None
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        raise SystemExit(130) from None


def resume_command(prog: str, argv: list[str], changes: dict, flags: dict[str, str]) -> str:
    """``python -m prog argv`` with each of ``changes``'s fields set: its flag with the value (True: the flag
    alone), or left out (None).  A field's flag is ``flags``'s, else its name with dashes (``time_budget``:
    ``--time-budget``).  The commands take no positional arguments, so a word after a flag is its value."""
    named = [flags.get(field, f"--{field.replace('_', '-')}") for field in changes]
    kept, at = [], 0
    while at < len(argv):
        word, at = argv[at], at + 1
        flag, equals, _ = word.partition("=")
        if len(flag) > 2 and flag.startswith("--") and any(name.startswith(flag) for name in named):  # or a prefix
            if not equals and at < len(argv) and not argv[at].startswith("-"):
                at += 1  # its value
            continue
        kept.append(word)
    for name, value in zip(named, changes.values()):
        if value is True:
            kept.append(name)
        elif value is not None:
            kept += [name, str(value)]
    return shlex.join(["python", "-m", prog, *kept])


def as_flags(err: RayganError, flags: dict[str, str]) -> str:
    """``err``'s message with each field it names (``err.fields``) that is one of ``flags`` worded as the flag:
    ``data_dir`` as ``--data-dir``, ``download=True`` as ``--download``."""
    message = str(err)
    for field in err.fields:
        if field in flags:
            message = re.sub(rf"(?<![\w-]){re.escape(field)}(=True)?(?![\w-])", flags[field], message)
    return message


class Parser(argparse.ArgumentParser):
    """argparse with raygan's error style: one line naming the problem, then exit 2.

    Plain argparse prints the whole usage block first; for a command with a dozen options
    that buries the one line that matters.
    """

    def error(self, message: str):
        print(f"{self.prog.removeprefix('python -m ')}: error: {message}; see --help", file=sys.stderr)
        raise SystemExit(USAGE_ERROR)


def _checked(check, text: str, **limits):
    """An argparse type from a check of :mod:`raygan.arguments`; its message has no name (argparse names the flag)."""
    try:
        return check(text, **limits)
    except RayganError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def positive_int(text: str) -> int:
    """argparse type for counts that must be >= 1."""
    return _checked(arguments.whole_number, text, minimum=1)


def non_negative_int(text: str) -> int:
    """argparse type for counts that may be 0."""
    return _checked(arguments.whole_number, text)


def seed_int(text: str) -> int:
    """argparse type for random seeds: 0 to 2**32 - 1 (numpy's limit, which Optuna's sampler inherits)."""
    return _checked(arguments.seed, text)


def non_negative_float(text: str) -> float:
    """argparse type for shares and amounts that must be finite and >= 0."""
    return _checked(arguments.number, text)


def positive_float(text: str) -> float:
    """argparse type for amounts that must be finite and above 0."""
    return _checked(arguments.number, text, inclusive=False)


def duration(text: str) -> float:
    """argparse type for wall times: seconds (``900``, ``90s``), minutes (``15m``) or hours (``2h``)."""
    return _checked(arguments.duration, text)


class CommandModule(types.ModuleType):
    """A command's module that is also its library function: calling it calls ``__wrapped__``.

    ``raygan.search`` is both :func:`raygan.search_api.search` (exported by ``raygan/__init__``)
    and the module ``python -m raygan.search`` runs.  Importing the module (``from raygan.search
    import main``) sets the package's attribute to the module, over the function; the module
    made callable keeps ``raygan.search(...)`` a search whichever of the two the name holds
    (``inspect.signature`` follows ``__wrapped__`` to the function's).
    """

    def __call__(self, *args, **kwargs):
        return self.__wrapped__(*args, **kwargs)


def callable_as(module_name: str, function) -> None:
    """Make the command module ``module_name`` call ``function`` when called (:class:`CommandModule`)."""
    module = sys.modules[module_name]
    module.__wrapped__ = function
    module.__class__ = CommandModule
