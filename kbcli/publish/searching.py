"""Search a kb database from other tools: kb's reading of a query as one FTS5 expression.

The index holds Chinese text as character pairs (``kbcli.text.pair_text``), so a query
typed as text (概念验证) must be rewritten before FTS5 sees it; ``expression`` does it
with kb's own reading of the query (``kbcli.query.search.match_expression``). The plugins
call it from inside SQLite (Datasette's ``escape_fts``) and from sqlite-utils' ``search``;
each thread keeps its own read-only connection, as SQLite connections belong to the thread
that opened them.
"""

from __future__ import annotations

import sqlite3
import threading
from functools import lru_cache
from pathlib import Path

_local = threading.local()


def kb_database(conn: sqlite3.Connection) -> Path | None:
    """The file of ``conn``'s main database when it is a kb database of this schema, else None."""
    from ..store.schema import SCHEMA_VERSION

    try:
        meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('generator', 'schema_version')"))
        if meta.get("generator") != "kbcli" or meta.get("schema_version") != str(SCHEMA_VERSION):
            return None
        row = next((r for r in conn.execute("PRAGMA database_list") if r[1] == "main"), None)
    except sqlite3.Error:
        return None
    return Path(row[2]) if row and row[2] else None


def _kb(path: Path):
    from ..query.kb import KB
    from ..store.db import connect

    kbs = getattr(_local, "kbs", None)
    if kbs is None:
        kbs = _local.kbs = {}
    if path not in kbs:
        kbs[path] = KB(connect(path))
    return kbs[path]


@lru_cache(maxsize=1024)
def expression(path: Path, query: str) -> str | None:
    """The FTS5 expression for ``query`` on the kb database at ``path``; None when the query has
    nothing to search for (the caller then falls back to its own quoting)."""
    from ..query.search import match_expression

    if not query or not query.strip():
        return None
    return match_expression(_kb(path), query)
