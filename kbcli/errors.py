"""The package's own exceptions.

Every layer raises these; the CLI turns them into a message on stderr and an
exit code at one boundary (``kbcli.cli.main``). Exit codes:

* 0 success (an empty result is success)
* 1 data or validation error (bad seed, missing quote, missing database)
* 2 usage error (unknown filter value, bad option, refused SQL)
"""

from __future__ import annotations


class KbError(Exception):
    """Base class. ``exit_code`` says what the CLI exits with."""

    exit_code = 1

    def lines(self) -> list[str]:
        return [str(self)]


class DataError(KbError):
    """The data is wrong: a seed that does not validate, a quote not found."""

    exit_code = 1


class BuildError(DataError):
    """The database could not be written (disk full, permissions...)."""

    def __init__(self, message: str):
        super().__init__(f"could not build the database: {message}")



class UsageError(KbError):
    """The user asked for something that cannot be answered as asked."""

    exit_code = 2


class InputError(KbError):
    """An input file that kb cannot read as the option wants it (a directory, a pipe where a
    regular file is needed, a device without end): ``reason`` says why without naming the file,
    for callers that name it their own way. Exit 2 for the kind of file given, 1 for its content."""

    def __init__(self, what: str, name: str, reason: str, exit_code: int = 2):
        super().__init__(f"{what} {name}: {reason}")
        self.what, self.name, self.reason, self.exit_code = what, name, reason, exit_code


class UnknownTermError(UsageError):
    """A filter value matches no vocabulary term; carries the closest terms."""

    def __init__(self, vocab: str, value: str, suggestions: list[str]):
        self.vocab, self.value, self.suggestions = vocab, value, suggestions
        msg = f"unknown {vocab} {value!r}"
        if suggestions:
            msg += "; closest: " + ", ".join(suggestions)
        super().__init__(msg)


class NotFoundError(UsageError):
    """An id that names nothing in the base."""


class RestrictedSourceError(DataError):
    """A citation of a source that asks not to be cited, under ``--strict``."""


class Terminated(BaseException):
    """SIGINT, SIGTERM or SIGHUP arrived: raised in the main thread so that cleanup runs (temporary
    files removed, the database writer stopped); the CLI exits with 130 for Ctrl-C, else 128 + the
    signal number. A BaseException, like KeyboardInterrupt, so that no ``except Exception``
    swallows it."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")


# the stop signal this process has received, if any: a Terminated raised inside an extension's code (pydantic-core
# checks for signals while it validates) may be swallowed there, or turned into another error; the signal
# still decides how kb ends (``stop_signal``) and stops the work at the next item (``check_stop``)
_STOPPING: list[int] = []


def check_stop() -> None:
    """Raise ``Terminated`` again if a stop signal arrived and its exception was lost on the way (a loop
    over a seed's items calls this once per item)."""
    if _STOPPING:
        raise Terminated(_STOPPING[0])


def stop_signal(exc: BaseException | None) -> int | None:
    """The signal behind ``exc`` (2 for a KeyboardInterrupt), also where Python wrapped it (an exception
    raised while a class is being made comes back as a RuntimeError caused by it) or an extension lost it
    (any failure once a stop signal has arrived is that signal's doing)."""
    if _STOPPING:
        return _STOPPING[0]
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, Terminated):
            return exc.signum
        if isinstance(exc, KeyboardInterrupt):
            return 2
        exc = exc.__cause__ or exc.__context__
    return None


def _stop(signum, frame) -> None:
    """The handler of the stop signals in the ``kb`` program: the first one raises ``Terminated``,
    and those that follow are ignored, so that the clean-up it starts runs once, to its end."""
    ignore_stop_signals()
    _STOPPING.append(signum)
    raise Terminated(signum)


def _unraisable(hook):
    """Python's hook for exceptions it cannot raise (in a destructor, or one an extension swallowed): the
    Terminated of a stop signal is not an error to print, kb reports the signal itself."""

    def unraisable(info) -> None:
        if not isinstance(info.exc_value, (Terminated, KeyboardInterrupt)) and not _STOPPING:
            hook(info)

    unraisable.kb = True  # type: ignore[attr-defined]
    return unraisable


def catch_stop_signals() -> None:
    """SIGINT, SIGTERM and SIGHUP raise ``Terminated`` (the ``kb`` program installs this first thing)."""
    import signal
    import sys

    for name in STOP_SIGNALS:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _stop)
    if not getattr(sys.unraisablehook, "kb", False):
        sys.unraisablehook = _unraisable(sys.unraisablehook)


def ignore_stop_signals() -> None:
    """Stop signals change nothing any more: kb is stopping, or its outcome is settled."""
    import signal

    for name in STOP_SIGNALS:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)


class Issue:
    """One problem in a seed, located at FILE:LINE:COL with a field path."""

    __slots__ = ("col", "file", "line", "message", "path")

    def __init__(self, file: str, line: int, col: int, message: str, path: str = ""):
        self.file, self.line, self.col, self.message, self.path = file, line, col, message, path

    def _key(self) -> tuple:
        return (self.file, self.line, self.col, self.message, self.path)

    def __eq__(self, other) -> bool:
        return isinstance(other, Issue) and self._key() == other._key()

    def __lt__(self, other: Issue) -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Issue{self._key()!r}"

    def __str__(self) -> str:
        where = f" (at {self.path})" if self.path else ""
        return f"{self.file}:{self.line}:{self.col}: {self.message}{where}"


class SeedError(DataError):
    """A seed with one or more problems; ``issues`` holds every one kept (the validator keeps
    at most ``KEEP``, counting the rest in ``more``). ``lines`` prints the first ``SHOWN``, then
    how many more there are: a seed with a million bad keys must not print a million lines."""

    KEEP = 10_000
    SHOWN = 100

    def __init__(self, issues: list[Issue], more: int = 0):
        self.issues = sorted(set(issues))
        self.more = more
        self.shown = self.SHOWN
        n = len(self.issues) + more
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in the seed")

    def lines(self, limit: int | None = None) -> list[str]:
        """The problems (the first ``limit``, default ``shown``; 0 for every one kept), then the count."""
        limit = self.shown if limit is None else limit
        shown = self.issues[:limit] if limit else self.issues
        rest = len(self.issues) - len(shown) + self.more
        out = [str(i) for i in shown]
        if rest:
            hint = "" if self.more else " (kb validate --max-problems 0 lists them)"
            out.append(f"... and {rest} more problem{'s' if rest != 1 else ''}{hint}")
        return out + [str(self)]
