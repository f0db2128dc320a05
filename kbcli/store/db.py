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

from ..errors import DataError
from .schema import SCHEMA_VERSION


def read_meta(path: Path, keep: bool = False) -> dict[str, str] | None:
    """The database's meta table; with ``keep`` its connection is kept for ``open_db``."""
    try:
        conn = connect(path)
    except sqlite3.DatabaseError:
        return None
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError:
        conn.close()
        return None
    if keep:
        old = _open_cache.pop(str(path), None)
        if old is not None:
            old.close()
        _open_cache[str(path)] = conn
    else:
        conn.close()
    return meta


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    return conn


def _fresh(path: Path, seed: Path) -> bool:
    if not path.exists():
        return False
    meta = read_meta(path, keep=True)
    if not meta or meta.get("schema_version") != str(SCHEMA_VERSION):
        return False
    from .. import __version__

    if meta.get("kbcli_version") != __version__:  # another kbcli built it: its index may differ
        return False
    try:
        st = seed.stat()
    except OSError:
        return True  # the seed is gone: the database is the best we have
    if meta.get("seed_size") == str(st.st_size) and meta.get("seed_mtime_ns") == str(st.st_mtime_ns):
        return True
    from .build import file_sha256

    return meta.get("seed_sha256") == file_sha256(seed)


def ensure_db(db: str | None = None, seed: str | None = None, quiet: bool = False) -> Path:
    """The path of an up-to-date database for these options."""
    from ..paths import default_db, seed_path

    explicit_seed = seed or os.environ.get("KB_SEED")
    if db and not explicit_seed:
        path = Path(db)
        if not path.exists():
            raise DataError(f"no database at {path}; create it with: kb load --db {path}")
        meta = read_meta(path, keep=True)
        if meta is None:
            raise DataError(f"{path} is not a kb database")
        if meta.get("schema_version") != str(SCHEMA_VERSION):
            raise DataError(f"{path} was built by another version of kb; rebuild it with: kb load --db {path}")
        return path
    seed_file = seed_path(seed)
    if not seed_file.exists():
        raise DataError(f"no seed at {seed_file}")
    path = Path(db) if db else default_db(seed_file)
    if not _fresh(path, seed_file):
        from .build import build

        stale = _open_cache.pop(str(path), None)
        if stale is not None:
            stale.close()
        if not quiet:
            print(f"kb: building the database from {seed_file} ...", file=sys.stderr)
        build(seed_file, path)
    return path


def open_db(db: str | None = None, seed: str | None = None) -> sqlite3.Connection:
    path = ensure_db(db, seed)
    conn = _open_cache.pop(str(path), None)
    return conn if conn is not None else connect(path)


_open_cache: dict[str, sqlite3.Connection] = {}  # the connection the freshness check opened, reused once
