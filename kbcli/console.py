"""The ``kb`` program: ``kbcli.cli.main`` with signals caught from the first line, a short start
and a short end.

**Signals first.** The ``kb`` script (``scripts/kb``) puts handlers on SIGINT, SIGTERM and SIGHUP
before it imports anything, and so does this module as it is imported (``python -m kbcli``), before
anything else of kb runs (the package's ``__init__`` holds only the version): from then on a signal
at any instant ends kb with one line on stderr and exit 130, 143 or 129, with no traceback and
nothing changed. Until ``main`` runs, a signal is only kept (``_defer``), then reported. The handler raises ``Terminated`` (for Ctrl-C too: Click would turn a
KeyboardInterrupt while it parses the arguments into a blank line and "Aborted!") and ignores
the signals that follow, so the clean-up (a build's writer stopped, its temporary file removed)
runs once. Inside a command the CLI's boundary says what stopped it; a signal while kb starts
(importing, parsing the arguments) or ends is said here. Once the command's outcome is settled
(its output flushed, or its error being reported) signals are ignored: the outcome stands. Only
the interpreter's own start, before the script's first line (about 15 ms), is out of kb's reach:
there SIGTERM and SIGHUP end the process by their default action, and Ctrl-C too (the shell
still sees 130, 143 or 129, but no line is printed).

Scripts run ``kb`` many times a minute, so two costs that are not kb's work are avoided here
(measured in ``benchmarks/bench.py --parts startup``; see the README's figures):

* **The collector while starting.** Importing Typer, pydantic and kb's modules and building the
  command allocate tens of thousands of objects, none of them garbage, and Python's cyclic collector
  walks them again and again meanwhile. It is off until the command starts running; then the objects
  made so far are frozen (never walked again) and the collector is on for the command's own work.
* **Tearing the interpreter down.** At exit Python frees every module and object one by one. Once
  the command has finished, its output has been flushed and the ``atexit`` handlers have run, kb
  ends the process directly. Only when no other thread is alive: otherwise Python's own exit
  (which waits for them) runs.

Tests and other callers use ``kbcli.cli.main`` or ``kbcli.cli.app``, which do neither.
"""

from __future__ import annotations

import gc  # these four are in the interpreter already, or nearly: importing them costs little
import os
import signal
import sys

_PENDING: list[int] = []  # a signal that arrived before main() took over


def _defer(signum, frame) -> None:
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    _PENDING.append(signum)


for _name in ("SIGINT", "SIGTERM", "SIGHUP"):  # first: a signal from here on is kb's to report
    if hasattr(signal, _name):
        signal.signal(getattr(signal, _name), _defer)

from .errors import Terminated, catch_stop_signals, ignore_stop_signals, stop_signal


def main(caught: list[int] | None = None) -> None:
    """Run kb and end the process. ``caught``: signals the ``kb`` script kept before this module took over."""
    try:
        pending = [*(caught or ()), *_PENDING]
        if not pending:
            catch_stop_signals()  # from now on a signal raises Terminated, to be told at a boundary
            pending = [*(caught or ()), *_PENDING]  # one that came just before
        if pending:
            ignore_stop_signals()
            raise Terminated(pending[0])
        code = _run()
        ignore_stop_signals()  # the outcome is settled: a signal now changes nothing
    except BaseException as exc:  # noqa: BLE001 - a signal (or anything) outside the CLI's own boundary
        ignore_stop_signals()
        code = _stopped(exc)
    _exit(code)


def _run() -> int:
    gc.disable()
    try:
        from .cli import main as run

        run()
        return 0
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if not isinstance(code, int):
            _say(str(code))
            return 1
        return code
    finally:
        if not gc.isenabled():  # a failure before the command ran: the collector on for Python's exit
            gc.freeze()
            gc.enable()


def _stopped(exc: BaseException) -> int:
    """One line for what ended kb outside the CLI's boundary, and the exit code."""
    signum = stop_signal(exc)
    if signum is None:
        if os.environ.get("KB_DEBUG"):
            raise exc
        _say(f"kb: internal error: {type(exc).__name__}: {exc} (KB_DEBUG=1 shows where; please report it)")
        return 1
    if signum == signal.SIGINT:
        _say("kb: interrupted")
        return 130
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = f"signal {signum}"
    _say(f"kb: stopped by {name}")
    return 128 + signum


def _say(line: str) -> None:
    try:
        if sys.stderr is not None:
            sys.stderr.write(line + "\n")
            sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _exit(code: int) -> None:
    import atexit
    import threading

    if threading.active_count() > 1:  # pragma: no cover - a thread still running: Python waits for it
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # reported already by kb's boundary, or nowhere to report it
            pass
    atexit._run_exitfuncs()
    os._exit(code)
