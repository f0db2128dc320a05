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
    """SIGTERM or SIGHUP arrived: raised in the main thread so that cleanup runs (temporary
    files removed, the database writer stopped); the CLI exits with 128 + the signal number.
    A BaseException, like KeyboardInterrupt, so that no ``except Exception`` swallows it."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


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
