"""What kbcli's Datasette plugin knows of one Datasette: which of its databases are kb databases, and for
each its metadata, its terms' names and hierarchy, its restricted sources, and the facet counts of all
its records (the file is immutable while it is served, so each is read once per process).

The pages read the base through kb's own query layer (``KB``), on connections of their own: one per
thread (Datasette runs its queries in a pool of threads), opened read-only and immutable, each call
bounded in time by a deadline of its own (``bounded``).
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

_local = threading.local()
_lock = threading.Lock()
_sites: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Datasette -> Site


class TooLong(Exception):
    """A page's work ran past its deadline (the statement was interrupted)."""


@dataclass
class KbDatabase:
    name: str
    path: Path
    metadata: dict
    terms: dict[str, dict]  # id -> {vocab, name_zh, name_en, parent, level, ord}
    restricted: dict[str, str]  # restricted source id -> its request not to be cited
    source_urls: dict[str, str | None]  # source id -> its URL when it is http(s)
    up: dict[str, list[str]] = field(default_factory=dict)  # term -> itself and every broader term
    facets: Any = None  # facets.FacetIndex, made once

    def term_label(self, tid: str) -> tuple[str, str]:
        t = self.terms.get(tid)
        return (t["name_zh"] or tid, t["name_en"] or "") if t else (tid, "")


@dataclass
class Site:
    names: tuple[str, ...]
    databases: dict[str, KbDatabase]
    merged: dict | None = None
    light: dict | None = None

    def first(self) -> KbDatabase | None:
        return next(iter(self.databases.values()), None)

    def metadata(self) -> dict:
        """Datasette metadata for every kb database served (the site's title and description: the first's)."""
        if self.merged is None:
            first = self.first()
            top = {k: v for k, v in first.metadata.items() if k != "databases"} if first else {}
            top["databases"] = {name: db.metadata["databases"][name] for name, db in self.databases.items()}
            self.merged = top
        return self.merged

    def metadata_for_tables(self) -> dict:
        """The metadata without the columns' descriptions: what Datasette reads under the key "tables" (its
        permission checks copy it whole, several times a request; the descriptions are most of it)."""
        if self.light is None:
            full = self.metadata()
            self.light = {**{k: v for k, v in full.items() if k != "databases"}, "databases": {
                name: {**db, "tables": {t: {k: v for k, v in m.items() if k != "columns"}
                                        for t, m in db.get("tables", {}).items()}}
                for name, db in full["databases"].items()}}
        return self.light


# Read through memory mapping: the file is read-only and never changes while served, and a page's rows then
# cost no read() each (a search at 100k records reads thousands of large rows: its statements take half the
# CPU); the mapping is shared with the system's page cache and with every replica on the machine
MMAP_BYTES = 2_000_000_000


def tune(conn: sqlite3.Connection) -> None:
    try:
        conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    except sqlite3.Error:
        pass


def connect(path: Path) -> sqlite3.Connection:
    """A read-only, immutable connection (the served file never changes) usable from any thread."""
    conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1", uri=True,
                           check_same_thread=False)
    tune(conn)
    return conn


def _read(name: str, path: Path) -> KbDatabase | None:
    from ..store.schema import SCHEMA_VERSION
    from .metadata import metadata, safe_url

    try:
        conn = connect(path)
    except sqlite3.Error:
        return None
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('generator', 'schema_version')"))
        if meta.get("generator") != "kbcli" or meta.get("schema_version") != str(SCHEMA_VERSION):
            return None
        terms = {r[0]: {"id": r[0], "vocab": r[1], "name_zh": r[2], "name_en": r[3], "parent": r[4], "level": r[5],
                        "ord": r[6]}
                 for r in conn.execute("SELECT id, vocab, name_zh, name_en, parent, level, ord FROM terms "
                                       "ORDER BY vocab, ord")}
        restricted = dict(conn.execute("SELECT id, citation_note FROM sources WHERE restricted = 1"))
        urls = {sid: safe_url(url) for sid, url in conn.execute("SELECT id, url FROM sources")}
        db = KbDatabase(name, path, metadata(conn, name), terms, restricted, urls)
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    for tid in db.terms:
        chain, cur = [tid], db.terms[tid]["parent"]
        while cur and cur in db.terms and cur not in chain:
            chain.append(cur)
            cur = db.terms[cur]["parent"]
        db.up[tid] = chain
    return db


def site(datasette) -> Site:
    """The kb databases ``datasette`` serves (read again when its databases change)."""
    names = tuple(datasette.databases)
    found = _sites.get(datasette)
    if found is not None and found.names == names:
        return found
    with _lock:
        found = _sites.get(datasette)
        if found is not None and found.names == names:
            return found
        dbs: dict[str, KbDatabase] = {}
        for name, db in list(datasette.databases.items()):
            if getattr(db, "is_memory", False) or not getattr(db, "path", None):
                continue
            kbdb = _read(name, Path(db.path))
            if kbdb is not None:
                dbs[name] = kbdb
        found = Site(names, dbs)
        _sites[datasette] = found
        return found


def kb_database(datasette, database: str | None) -> KbDatabase | None:
    if not database:
        return None
    return site(datasette).databases.get(database)


def kb_of(path: Path):
    """This thread's ``KB`` on the database at ``path``."""
    from ..query.kb import KB

    kbs = getattr(_local, "kbs", None)
    if kbs is None:
        kbs = _local.kbs = {}
    if path not in kbs:
        from functools import partial

        from .searching import fts_escape

        conn = connect(path)
        for name in ("escape_fts", "kb_search"):  # Datasette's statements, run here too (a ranked search page)
            conn.create_function(name, 1, partial(fts_escape, path), deterministic=True)
        kbs[path] = KB(conn)
    return kbs[path]


@contextmanager
def bounded(conn: sqlite3.Connection, seconds: float) -> Iterator[None]:
    """Statements on ``conn`` stop once ``seconds`` have passed (``TooLong``)."""
    deadline = time.monotonic() + seconds
    stopped = []

    def check() -> int:
        if time.monotonic() > deadline:
            stopped.append(True)
            return 1
        return 0

    conn.set_progress_handler(check, 5_000)
    try:
        yield
    except sqlite3.OperationalError:
        if stopped:
            raise TooLong from None
        raise
    finally:
        conn.set_progress_handler(None, 0)
