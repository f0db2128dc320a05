"""Open the database for reading, building or refreshing it first when needed.

* ``--db``/``KB_DB`` alone: use that file as it is (made by ``kb load``); a
  damaged file is reported, never rebuilt.
* ``--seed``/``KB_SEED`` or nothing: use the cache database of that seed,
  rebuilt automatically when the seed's SHA-256 differs from the one stored
  in the database (checked only when the file's size or mtime changed), and
  when it is damaged or not a kb database.
* Both: the given database file is kept fresh against the given seed.

Connections are read-only (``mode=ro``) and create no file: a WAL-mode
database without a write-ahead log is opened ``immutable`` (an ordinary
read-only open would create ``-wal`` and ``-shm`` files beside it).

Builds are serialised per target by a lock file (``kbcli.store.build.build_lock``):
a process that finds the database missing or stale waits for any build in
progress, checks again, and builds only if it still has to. The connection a
command reads through is opened, and its metadata checked against the seed,
while the lock is held, so each process reads the database built from its own
seed even when another process replaces the file a moment later (a rename
leaves open connections on the file they opened).
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from .. import __version__
from ..errors import DataError, KbError, UsageError
from ..paths import Input, default_db, guard_output, note_read, open_data, packaged_seed, seed_path
from ..text import say
from .schema import FTS_TABLE, SCHEMA_VERSION
from .schema import TABLES as SCHEMA_TABLES

# the tables every kb database has (the FTS5 index adds its own shadow tables)
TABLES = frozenset(t.name for t in SCHEMA_TABLES) | {FTS_TABLE}
SQLITE_MAGIC = b"SQLite format 3\x00"

# The database this process reads, for the CLI's error boundary: an error met while
# querying names it, and a damaged cache database (``rebuildable``) is removed and rebuilt.
# ``stopped`` says why the progress handler stopped a statement (see ``guard``).
CURRENT: dict = {"path": None, "rebuildable": False, "file": None, "stopped": None}
QUERY_SECONDS = 60.0  # what one command's queries may take together (kb sql has its own --timeout)


def guard(conn: sqlite3.Connection, seconds: float = QUERY_SECONDS) -> None:
    """Bound the queries on ``conn`` in time, and let Ctrl-C stop them at once.

    SQLite calls the progress handler every few thousand steps; it stops the statement past
    the deadline. A signal's handler (Ctrl-C's KeyboardInterrupt, kb's SIGTERM handler) runs
    there too, as Python code runs nowhere else during a long statement; sqlite3 would
    swallow its exception, so the handler keeps it, and the CLI re-raises it."""
    import time

    deadline = time.monotonic() + seconds

    def progress() -> int:
        try:
            if time.monotonic() > deadline:
                CURRENT["stopped"] = "timeout"
                return 1
            return 0
        except BaseException as exc:  # noqa: BLE001 - a signal's exception, kept for the CLI
            CURRENT["stopped"] = exc
            return 1

    conn.set_progress_handler(progress, 10_000)


class NotKbDatabase(DataError):
    """A file that is not a kb database (or no longer one: damaged, tables missing)."""


class RebuildNeeded(NotKbDatabase):
    """The cache database turned out damaged while being read and has been removed: running
    the command again rebuilds it (the CLI does so once)."""


def _read_header(path: Path) -> bytes:
    """The first 100 bytes of ``path``; an unreadable file is a clear error, never 'not a kb database'."""
    try:
        import stat

        if not stat.S_ISREG(os.stat(path).st_mode):  # a pipe would block the read, a device never end
            if stat.S_ISDIR(os.stat(path).st_mode):
                raise IsADirectoryError
            raise DataError(f"{path} is not a database file (not a regular file)")
        with open(path, "rb") as fh:
            return fh.read(100)
    except FileNotFoundError:
        raise DataError(f"no database at {path}; create it with: kb load --db {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory, not a database file") from None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise UsageError(f"file name too long: {path}") from None
        raise DataError(f"cannot read the database {path}: {exc.strerror or exc}") from None


def connect(path: Path, header: bytes | None = None) -> sqlite3.Connection:
    """A read-only connection to ``path`` that creates no file beside it."""
    header = _read_header(path) if header is None else header
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    # bytes 18 and 19 are 2 in WAL mode; without a -wal file there is nothing to replay
    if header[18:20] == b"\x02\x02" and not os.path.exists(f"{path}-wal"):
        uri += "&immutable=1"
    conn = sqlite3.connect(uri, uri=True)
    guard(conn)
    return conn


def _open_meta(path: Path) -> tuple[sqlite3.Connection, dict[str, str]]:
    """A read-only connection to ``path`` and its meta table. Raises NotKbDatabase (saying why)
    when the file is no SQLite database, is damaged or lacks kb's tables, and DataError or
    UsageError when it cannot be read at all."""
    header = _read_header(path)
    if header and not header.startswith(SQLITE_MAGIC):
        raise NotKbDatabase(f"{path} is not a kb database (not an SQLite database file)")
    try:
        conn = connect(path, header)
    except sqlite3.Error as exc:
        raise database_error(exc, path, rebuildable=False) from None
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = sorted(TABLES - names)
        if missing == sorted(TABLES):
            raise NotKbDatabase(f"{path} is not a kb database (it has none of kb's tables)")
        if missing:
            raise NotKbDatabase(f"{path} is not a kb database (no table {', '.join(missing)})")
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    except BaseException as exc:
        conn.close()
        if isinstance(exc, sqlite3.Error):
            raise database_error(exc, path, rebuildable=False) from None
        raise
    st = os.stat(path)
    CURRENT["file"] = (st.st_dev, st.st_ino)
    note_read(path, "the database", st)
    return conn, meta


def _fresh(path: Path, seed: Input) -> sqlite3.Connection | None:
    """Check ``path`` against the seed (open: ``kbcli.paths.open_input``). Up to date: its open
    connection, kept for the caller's queries. Stale, missing, damaged or not a kb database: None.
    The seed is hashed only when its size or mtime differ from those recorded (and always when it is
    a pipe or a device, which have none worth comparing)."""
    if not os.path.lexists(path):
        return None
    try:
        conn, meta = _open_meta(path)
    except NotKbDatabase:
        return None
    # another kbcli built it: its index may differ
    if meta.get("schema_version") != str(SCHEMA_VERSION) or meta.get("kbcli_version") != __version__:
        conn.close()
        return None
    if seed.regular and meta.get("seed_size") == str(seed.size) and meta.get("seed_mtime_ns") == str(seed.mtime_ns):
        return conn
    if meta.get("seed_sha256") == seed.sha256():
        return conn
    conn.close()
    return None


def _ensure(db: str | None, seed: str | None, progress=None) -> tuple[Path, sqlite3.Connection]:
    """The path of an up-to-date database for these options, and a connection to it. ``progress``
    makes the display of a build, when one is needed (see ``kbcli.store.build.ProgressFactory``)."""
    for value, option in ((db, "--db"), (seed, "--seed")):
        if value is not None and not value.strip():
            raise UsageError(f"{option} needs a file name, got {value!r}")
    explicit_seed = seed or os.environ.get("KB_SEED")
    if db and not explicit_seed:
        path = Path(db)
        CURRENT.update(path=path, rebuildable=False)
        note_read(packaged_seed(), "the seed")  # not read here, but never to be written over either
        conn, meta = _open_meta(path)
        if meta.get("schema_version") != str(SCHEMA_VERSION):
            conn.close()
            raise DataError(f"{path} was built by another version of kb; rebuild it with: kb load --db {path}")
        return path, conn
    seed_file = seed_path(seed)
    with open_data(seed_file) as source:  # read once: checked, hashed and built from the same open file
        path = Path(db) if db else default_db(seed_file, source)
        guard_output(path, "--db", [("the seed", source)], noted=False)
        CURRENT.update(path=path, rebuildable=True)
        fresh = _fresh(path, source)
        if fresh is not None:
            return path, fresh
        from .build import build, build_lock

        with build_lock(path):  # another process may be building it: wait, then look again
            fresh = _fresh(path, source)
            if fresh is not None:
                return path, fresh
            say(f"kb: building the database from {seed_file} ...")
            build(source, path, locked=True, progress=progress)
            conn, _ = _open_meta(path)
    return path, conn


def ensure_db(db: str | None = None, seed: str | None = None, progress=None) -> Path:
    """The path of an up-to-date database for these options (built or rebuilt when needed)."""
    path, conn = _ensure(db, seed, progress)
    conn.close()
    return path


def open_db(db: str | None = None, seed: str | None = None, progress=None) -> sqlite3.Connection:
    """A read-only connection to an up-to-date database for these options: the database
    built from this seed, even if another process replaces the file meanwhile."""
    return _ensure(db, seed, progress)[1]


# SQLite's messages for a damaged file (not, say, "malformed JSON" from a statement)
DAMAGED = ("database disk image is malformed", "malformed database schema", "file is not a database",
           "disk I/O error", "database corrupt")


def database_error(exc: sqlite3.Error, path: Path | None = None,
                   rebuildable: bool | None = None) -> KbError | BaseException:
    """A sqlite3 error met while reading ``path`` (default: the database this process reads) as
    one clear message. A damaged cache database is removed (RebuildNeeded), so that running
    the command again rebuilds it. A statement the progress handler stopped for a signal
    gives back that signal's exception (KeyboardInterrupt ...)."""
    path = path or CURRENT["path"]
    rebuildable = CURRENT["rebuildable"] if rebuildable is None else rebuildable
    msg = str(exc) or type(exc).__name__
    if msg == "interrupted":
        stopped, CURRENT["stopped"] = CURRENT["stopped"], None
        if stopped == "timeout":
            return DataError(f"a query ran longer than {QUERY_SECONDS:g} s and was stopped")
        return stopped if isinstance(stopped, BaseException) else KeyboardInterrupt()
    where = f"the database {path}" if path else "the database"
    if isinstance(exc, sqlite3.DatabaseError) and any(k in msg for k in DAMAGED):
        if rebuildable and path is not None:
            try:
                st = os.stat(path)
                if (st.st_dev, st.st_ino) == CURRENT.get("file"):  # not one another process has just built
                    os.unlink(path)
            except OSError:
                pass
            return RebuildNeeded(f"{where} is damaged ({msg}); rebuilding it")
        hint = f"; rebuild it with: kb load --db {path}" if path else ""
        return NotKbDatabase(f"{where} is damaged ({msg}){hint}")
    if "no such table" in msg or "no such column" in msg:
        return NotKbDatabase(f"{path} is not a kb database ({msg})" if path else f"not a kb database ({msg})")
    if "locked" in msg or "busy" in msg:
        return DataError(f"{where} is locked by another program ({msg})")
    if "unable to open" in msg:
        return DataError(f"cannot open {where} ({msg})")
    return DataError(f"database error in {where}: {msg}" if path else f"database error: {msg}")
