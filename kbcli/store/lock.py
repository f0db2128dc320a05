"""One build at a time per target: ``build_lock`` holds a lock file beside it (``.NAME.lock``); other
processes wait, then find the database built. Under the lock, temporary files of builds that died
(``.NAME.PID.tmp``) are removed."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import BuildError
from ..text import say


def _lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.lock")


@contextmanager
def build_lock(target: Path) -> Iterator[None]:
    """Hold the build lock of ``target``: a lock file beside it (``.NAME.lock``), removed again
    on release; wait while another process holds it. Under the lock no other build of
    ``target`` runs, so the temporary files of earlier builds are left-overs of builds that
    died: they are removed.

    The holder removes the lock file before unlocking it, so a waiter may wake up holding a
    file that is no longer there: it then opens the lock file anew (the usual protocol)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    lock = _lock_path(target)
    waited = False
    while True:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                from ..errors import UsageError

                raise UsageError(f"file name too long: {target}") from None
            raise BuildError(f"{exc.strerror or exc}: {exc.filename or target}") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not waited:
                    say(f"kb: waiting for another kb process to finish building {target} ...")
                    waited = True
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                same = os.stat(lock).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
        except BaseException:
            os.close(fd)
            raise
        if same:
            break
        os.close(fd)  # its holder removed it: lock the new one
    try:
        remove_stale_temps(target)
        yield
    finally:
        try:
            os.unlink(lock)
        except OSError:
            pass
        fcntl.flock(fd, fcntl.LOCK_UN)  # also for a writer that inherited the descriptor
        os.close(fd)


def remove_stale_temps(target: Path) -> list[Path]:
    """Remove the temporary files (``.NAME.PID.tmp``) of builds of ``target`` that died.
    Call it only while holding ``build_lock(target)``."""
    import glob

    removed = []
    for p in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        try:
            p.unlink()
            removed.append(p)
        except OSError:
            pass
    return removed

