"""Open the database for reading, building or refreshing it first when needed.

* ``--db``/``KB_DB`` alone: use that file as it is (made by ``kb load``).
* ``--seed``/``KB_SEED`` or nothing: use the cache database of that seed,
  rebuilt automatically when the seed's SHA-256 differs from the one stored
  in the database (checked only when the file's size or mtime changed).
* Both: the given database file is kept fresh against the given seed.

Connections are read-only (``mode=ro``).
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path
from urllib.parse import quote

from .. import __version__
from ..errors import DataError
from ..paths import default_db, file_sha256, seed_path
from .schema import SCHEMA_VERSION


def connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)


def _open_meta(path: Path) -> tuple[sqlite3.Connection, dict[str, str]] | None:
    """A read-only connection to ``path`` and its meta table; None when it is no kb database."""
    conn = None
    try:
        conn = connect(path)
        return conn, dict(conn.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError:
        if conn is not None:
            conn.close()
        return None


def _fresh(path: Path, seed: Path) -> tuple[sqlite3.Connection | None, str | None]:
    """Check ``path`` against ``seed``. Up to date: (its open connection, None), kept for the
    caller's queries. Stale: (None, the seed's SHA-256 when it was computed, for the build)."""
    opened = _open_meta(path) if path.exists() else None
    if opened is None:
        return None, None
    conn, meta = opened
    # another kbcli built it: its index may differ
    if meta.get("schema_version") != str(SCHEMA_VERSION) or meta.get("kbcli_version") != __version__:
        conn.close()
        return None, None
    try:
        st = seed.stat()
    except OSError:
        return conn, None  # the seed is gone: the database is the best we have
    if meta.get("seed_size") == str(st.st_size) and meta.get("seed_mtime_ns") == str(st.st_mtime_ns):
        return conn, None
    seed_hash = file_sha256(seed)
    if meta.get("seed_sha256") == seed_hash:
        return conn, None
    conn.close()
    return None, seed_hash


def _ensure(db: str | None, seed: str | None) -> tuple[Path, sqlite3.Connection | None]:
    """The path of an up-to-date database for these options, and the connection its check
    opened (None after a build)."""
    explicit_seed = seed or os.environ.get("KB_SEED")
    if db and not explicit_seed:
        path = Path(db)
        if not path.exists():
            raise DataError(f"no database at {path}; create it with: kb load --db {path}")
        opened = _open_meta(path)
        if opened is None:
            raise DataError(f"{path} is not a kb database")
        conn, meta = opened
        if meta.get("schema_version") != str(SCHEMA_VERSION):
            conn.close()
            raise DataError(f"{path} was built by another version of kb; rebuild it with: kb load --db {path}")
        return path, conn
    seed_file = seed_path(seed)
    if not seed_file.exists():
        raise DataError(f"no seed at {seed_file}")
    path = Path(db) if db else default_db(seed_file)
    fresh, seed_hash = _fresh(path, seed_file)
    if fresh is None:
        from .build import build

        print(f"kb: building the database from {seed_file} ...", file=sys.stderr)
        build(seed_file, path, seed_hash=seed_hash)
    return path, fresh


def ensure_db(db: str | None = None, seed: str | None = None) -> Path:
    """The path of an up-to-date database for these options (built or rebuilt when needed)."""
    path, conn = _ensure(db, seed)
    if conn is not None:
        conn.close()
    return path


def open_db(db: str | None = None, seed: str | None = None) -> sqlite3.Connection:
    """A read-only connection to an up-to-date database for these options."""
    path, conn = _ensure(db, seed)
    return conn if conn is not None else connect(path)
