"""The ``kb`` program: ``kbcli.cli.main`` with a short start and a short end.

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

import gc
import os
import sys


def main() -> None:
    gc.disable()
    from .cli import collector_on
    from .cli import main as run

    try:
        run()
        code: str | int | None = 0
    except SystemExit as exc:
        code = exc.code  # type: ignore[assignment]
    finally:
        collector_on()  # a failure before the command ran: the collector on for Python's exit
    if not isinstance(code, int):
        sys.exit(code)
    _exit(code)


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
