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
    """A seed with one or more problems; ``issues`` holds every one of them."""

    def __init__(self, issues: list[Issue]):
        self.issues = sorted(set(issues))
        n = len(self.issues)
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in the seed")

    def lines(self) -> list[str]:
        return [str(i) for i in self.issues] + [str(self)]
