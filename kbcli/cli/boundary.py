"""The CLI's error boundary: every failure becomes one line on stderr (``kbcli.text.say``) and an exit
code here, ``sqlite3`` errors included; what kb does with signals once a command's outcome is settled;
the arguments as text; the output's encoding; stdout flushed where a failure can still be told.
``KbGroup`` (``kbcli.cli``) calls these around every command."""

from __future__ import annotations

import errno
import os
import signal
import sys

from ..errors import KbError, catch_stop_signals, ignore_stop_signals, stop_signal
from ..text import say

CONSOLE = {"on": False}  # run as the `kb` program (kbcli.cli.main), not inside a test's runner


class Retry(Exception):
    """The cache database was damaged and has been removed: run the command once more."""


def report(exc: BaseException, retry: bool = False) -> int:
    """Say what went wrong, in one line (a seed's problems: one line each), and return the exit code."""
    import sqlite3

    if isinstance(exc, SystemExit):
        raise exc
    quiet_signals()  # the outcome is being told: a signal now changes nothing
    signum = stop_signal(exc)
    if signum is not None:
        if signum == signal.SIGINT:
            say("kb: interrupted")
            return 130
        say(f"kb: stopped by {signal.Signals(signum).name}")
        return 128 + signum
    if isinstance(exc, sqlite3.Error):
        from ..store.db import RebuildNeeded, database_error

        err = database_error(exc)
        if isinstance(err, RebuildNeeded) and retry:
            say(f"kb: {err}")
            catch_signals()  # the command runs again
            raise Retry from None
        if not isinstance(err, KbError):  # a signal that stopped a statement
            return report(err, retry)
        exc = err
    if isinstance(exc, KbError):
        for line in exc.lines():
            say(line if located(line) else f"kb: {line}")
        return exc.exit_code
    if isinstance(exc, OSError):
        return os_error(exc)
    if isinstance(exc, UnicodeEncodeError):  # text the locale's encoding cannot carry (a file name, output)
        say(f"kb: {exc.object[exc.start:exc.end]!r} cannot be written in the {exc.encoding} encoding; use a UTF-8 "
            "locale (LC_ALL=C.UTF-8, or PYTHONUTF8=1) and PYTHONIOENCODING=utf-8")
        return 2
    if isinstance(exc, UnicodeError):
        say(f"kb: not valid UTF-8 text: {exc}")
        return 2
    if isinstance(exc, OverflowError):
        say(f"kb: a number is out of range ({exc}); the largest is {2**63 - 1}")
        return 2
    if isinstance(exc, MemoryError):
        say("kb: out of memory")
        return 1
    if os.environ.get("KB_DEBUG"):
        raise exc
    say(f"kb: internal error: {type(exc).__name__}: {exc} (KB_DEBUG=1 shows where; please report it)")
    return 1


def os_error(exc: OSError) -> int:
    """An OSError that reached the boundary: the output broke, or a file named by the user."""
    if exc.errno == errno.EPIPE:  # `kb query ... | head`: the reader has what it wanted
        silence_stdout()
        return 0
    if exc.filename is None:  # writing stdout: a full disk, /dev/full, a closed descriptor
        silence_stdout()
        say(f"kb: cannot write the output: {exc.strerror or exc}")
        return 1
    name = exc.filename
    if exc.errno == errno.ENAMETOOLONG:
        say(f"kb: file name too long: {name}")
        return 2
    say(f"kb: {exc.strerror or exc}: {name}")
    return 1


def usage_error(exc) -> int:
    """Click's usage errors as one line naming the command's help; `kb` alone prints the help."""
    if type(exc).__name__ == "NoArgsIsHelpError":
        say_lines = exc.format_message().splitlines()
        for line in say_lines:
            say(line)
        return exc.exit_code
    ctx = getattr(exc, "ctx", None)
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    message = exc.format_message().replace(": Value error, ", ": ")  # Typer's coercion names its validator
    say(f"kb: {message}{hint}")
    return exc.exit_code


def utf8(value: str) -> str | None:
    """An argument or setting as text: Python decodes them with the file system's encoding, keeping bytes
    it could not decode as surrogates; under a C locale without UTF-8 mode (LC_ALL=C PYTHONUTF8=0) that is
    ASCII, so valid UTF-8 arrives as surrogates. None when the bytes are not UTF-8 at all."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        pass
    try:
        return os.fsencode(value).decode("utf-8")
    except (UnicodeError, ValueError):
        return None


def text_args(args: list[str]) -> tuple[list[str], int | None]:
    """The arguments as text; arguments (and KB_* settings) that are not valid UTF-8 are a usage error,
    named."""
    out = []
    for i, arg in enumerate(args, 1):
        text = utf8(arg)
        if text is None:
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            say(f"kb: argument {i} is not valid UTF-8: {shown}")
            return args, 2
        out.append(text)
    for var in ("KB_DB", "KB_SEED", "KB_CACHE_DIR"):  # file names: kept as Python decoded them, to open them
        if utf8(os.environ.get(var, "")) is None:
            say(f"kb: {var} is not valid UTF-8")
            return args, 2
    return out, None


def flush_stdout(code: int) -> int:
    """Write what is left of stdout now, where a failure can still be told (at exit, Python
    would print a traceback-like 'Exception ignored' instead)."""
    out = sys.stdout
    if out is None:
        return code
    try:
        out.flush()
    except OSError as exc:
        silence_stdout()
        if exc.errno == errno.EPIPE:
            return code
        say(f"kb: cannot write the output: {exc.strerror or exc}")
        return code or 1
    except ValueError:  # closed
        pass
    return code


def silence_stdout() -> None:
    """Point stdout at /dev/null, so that the exit's flush of what is still buffered succeeds."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
        os.close(fd)
    except (OSError, ValueError, AttributeError):  # no real descriptor (a test's runner)
        pass


def quiet_signals() -> None:
    """Once kb is stopping, or its outcome is settled, a Ctrl-C or SIGTERM changes nothing (and never
    interrupts the clean-up or the message)."""
    if CONSOLE["on"]:
        ignore_stop_signals()


def catch_signals() -> None:
    if CONSOLE["on"]:
        catch_stop_signals()


def located(line: str) -> bool:
    """A FILE:LINE:COL: line prints as is, so editors can jump to it."""
    head = line.split(": ", 1)[0]
    parts = head.rsplit(":", 2)
    return len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit()


# encodings that carry every character; anything else would fail in the middle of the output
UNICODE = frozenset(("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be",
                      "gb18030"))
ENCODING: dict[str, str | None] = {"unfit": None}  # stdout's encoding, when it cannot carry kb's text
# commands that print no data on stdout (messages go to stderr), and the options that send it to files
NO_STDOUT = frozenset(("load", "validate", "verify-quotes", "serve"))
TO_FILES = ("output", "datasette", "all_tables")


def prints_data(command: str, params: dict) -> bool:
    return command not in NO_STDOUT and not any(params.get(p) for p in TO_FILES)


def check_output_encoding() -> None:
    """Note whether stdout can carry kb's text. Under the C locale without UTF-8 mode (LC_ALL=C
    PYTHONUTF8=0) Python's stdout is ASCII only because the locale says nothing: there, unless
    PYTHONIOENCODING asks otherwise, kb writes UTF-8, as Python's own UTF-8 mode (and Click) do. An
    encoding asked for (PYTHONIOENCODING=ascii or latin-1) or a locale's (ISO-8859-1) is kept, and a
    command that prints data refuses to run, before printing anything (``KbCommand.invoke``)."""
    import codecs

    enc = getattr(sys.stdout, "encoding", None)
    if not enc:
        return
    try:
        name = codecs.lookup(enc).name
    except LookupError:
        name = enc
    if name in UNICODE:
        return
    if name == "ascii" and not os.environ.get("PYTHONIOENCODING"):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
            except (AttributeError, ValueError, OSError):
                pass
        return
    ENCODING["unfit"] = enc


def standard_descriptors() -> None:
    """Started with stdin, stdout or stderr closed, kb opens /dev/null in their place, so that
    no file it opens later takes descriptor 1 or 2 (and receives what was meant for them)."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            try:
                os.open(os.devnull, os.O_RDWR)  # takes the lowest free descriptor: this one
            except OSError:  # pragma: no cover
                pass
