"""Build the SQLite database from a seed, atomically.

Two processes share the work. kb itself reads the seed, validates each item and
turns it into rows (``kbcli.store.builder``); a writer process (``kb-writer``,
``kbcli.store.writer``) makes the search text and inserts the rows into a
temporary file beside the target. Only when the whole seed is valid does
``finish`` have the writer analyse the database and rename the file into place,
so a failed load leaves an existing database byte-for-byte unchanged. The two
overlap through shared memory (``writer._Channel``); the records' JSON lines are
made by both (``kbcli.store.lines``).

A valid seed is read once, without the position of every value
(``load_seed(located=False)``); at the first problem the build stops and the
seed is validated again with positions, so that every problem is reported,
located, and nothing is built.

One build at a time per target (``kbcli.store.lock.build_lock``). The writer
process dies with kb; an interrupted build (Ctrl-C, SIGTERM, a bad seed) kills
the writer at once and removes its file.
"""

from __future__ import annotations

import errno
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildError, SeedError
from ..paths import Input, guard_output, open_data
from .builder import Builder, Progress
from .lock import build_lock, remove_stale_temps
from .writer import SLOT_BYTES, SLOTS, _Channel

__all__ = ["SLOTS", "SLOT_BYTES", "BuildError", "BuildStats", "Builder", "Progress",
           "ProgressFactory", "_Channel", "build", "build_lock", "remove_stale_temps"]

# makes the progress display of the build of a seed (None: no display; kb's CLI draws one on terminals)
ProgressFactory = Callable[[Path], "Progress | None"]


@dataclass
class BuildStats:
    path: Path
    counts: dict[str, int]
    seconds: float



def build(seed: Path | Input, target: Path, label: str | None = None, locked: bool = False,
          progress: ProgressFactory | None = None) -> BuildStats:
    """Validate ``seed`` (a path, or an ``Input`` already open) and build ``target`` from it; raises
    SeedError, leaving ``target`` untouched. The seed is read from one open file, hashed and parsed
    from the same bytes; a target that is the seed itself (through any link) is refused before
    anything is written. ``locked`` says the caller holds ``build_lock(target)`` (else this takes
    it, waiting for another build); ``progress`` makes a display that is told how the build goes,
    and closed when it ends."""
    if not isinstance(seed, Input):
        with open_data(seed) as source:
            return build(source, target, label, locked, progress)
    guard_output(target, "--db", [("the seed", seed)], noted=False)  # named as given, though a link
    if not locked:
        target = _target(target)
        with build_lock(target):
            return build(seed, target, label, locked=True, progress=progress)
    display = progress(Path(seed.name)) if progress is not None else None
    try:
        return _build(seed, target, label, display)
    finally:
        if display is not None:
            display.close()


def _target(target: Path) -> Path:
    """The file a build replaces: through a symbolic link, the file it names (the link stays); a directory,
    a device or a pipe is refused (renaming the database over /dev/zero would replace the device)."""
    import os
    import stat

    from ..errors import UsageError

    try:
        st = os.stat(target)
    except FileNotFoundError:
        return Path(os.path.realpath(target)) if target.is_symlink() else target
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise UsageError(f"file name too long: {target}") from None
        raise BuildError(f"{exc.strerror or exc}: {target}") from None
    if stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{target} is a directory, not a database file")
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"{target} is not a database file (not a regular file): kb load writes a file there")
    return Path(os.path.realpath(target)) if target.is_symlink() else target


def _build(seed: Input, target: Path, label: str | None, progress: Progress | None) -> BuildStats:
    from ..seed.reader import Unlocated
    from ..seed.validate import load_seed

    t0 = time.perf_counter()
    gc_was = gc.isenabled()
    gc.disable()  # the build makes few cycles; YAML and pydantic otherwise spend long in the collector
    try:
        try:
            # valid seeds, the usual case, are read once and without positions
            counts = _build_once(seed, target, label, progress, located=False)
        except (Unlocated, SeedError):
            # a problem: read the seed again, locating every problem (and build if, after all, there is none)
            if progress is not None:
                progress.update("checking", 0, seed.size, 0, 0)
            load_seed(seed, label=label, progress=_reader_progress(progress, "checking", seed.size))
            counts = _build_once(seed, target, label, progress, located=True)
    finally:
        if gc_was:
            gc.enable()
    return BuildStats(target, counts, time.perf_counter() - t0)


def _reader_progress(progress: Progress | None, phase: str, size: int) -> Callable[[int], None] | None:
    if progress is None:
        return None
    shown = [0.0]

    def update(done: int) -> None:
        now = time.monotonic()
        if now - shown[0] >= 0.1:
            shown[0] = now
            progress.update(phase, done, size, 0, 0)
    return update


def _build_once(seed: Input, target: Path, label: str | None, progress: Progress | None,
                located: bool) -> dict[str, int]:
    from ..seed.validate import load_seed

    try:
        builder = Builder(target, progress)
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            from ..errors import UsageError

            raise UsageError(f"file name too long: {exc.filename or target}") from None
        raise BuildError(f"{exc.strerror or exc}: {exc.filename or target}") from None
    builder.total = seed.size
    try:
        checked = load_seed(seed, sink=builder, label=label, located=located,
                            progress=builder.read if progress is not None else None)
        counts = builder.finish(seed, checked.meta)
    except BaseException:
        builder.abort()
        raise
    return counts
