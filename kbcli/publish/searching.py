"""Search a kb database from other tools: kb's reading of a query as one FTS5 expression.

The index holds Chinese text as character pairs (``kbcli.text.pair_text``), so a query
typed as text (概念验证) must be rewritten before FTS5 sees it; ``expression`` does it
with kb's own reading of the query (``kbcli.query.search.match_expression``). The plugins
call it from inside SQLite (Datasette's ``escape_fts``) and from sqlite-utils' ``search``;
each thread keeps its own read-only connection, as SQLite connections belong to the thread
that opened them.
"""

from __future__ import annotations

import re
import sqlite3
from functools import lru_cache
from pathlib import Path


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
    # a connection of this thread's own, without the command line's deadline (a server runs for days)
    from .site import kb_of

    return kb_of(path)


def quoted(query: str) -> str:
    """Datasette's quoting of a search (each word a phrase), for text kb's reading does not take."""
    try:
        from datasette.utils import escape_fts
    except ImportError:
        return " ".join('"{}"'.format(w.replace('"', '""')) for w in query.split()) or '""'
    return escape_fts(query)


def fts_escape(path: Path, query: str) -> str:
    """``escape_fts(:search)`` and ``kb_search(text)`` on a kb database: kb's reading of the query as one
    FTS5 expression, else Datasette's quoting (a search must never break the page)."""
    try:
        return expression(path, query) or quoted(query)
    except Exception:  # noqa: BLE001 - fall back to the quoting Datasette would have used
        return quoted(query)


@lru_cache(maxsize=1024)
def expression(path: Path, query: str) -> str | None:
    """The FTS5 expression for ``query`` on the kb database at ``path``; None when the query has
    nothing to search for (the caller then falls back to its own quoting)."""
    from ..query.search import match_expression

    if not query or not query.strip():
        return None
    from .site import bounded

    kb = _kb(path)
    with bounded(kb.conn, 5.0):
        return match_expression(kb, query)


# ---------------------------------------------------------------- a search page, ranked
_TAIL = re.compile(r"^select .+? from records (where .*)?order by [^ ]+(, [^ ]+)? limit \d+$", re.DOTALL | re.IGNORECASE)


def filtered_rowids_sql(sql: str) -> str | None:
    """Datasette's statement for a records page (``select COLUMNS from records WHERE order by id limit N``)
    as one that selects the rowids of every row it keeps; None for any other statement."""
    m = _TAIL.match(sql.strip())
    if not m:
        return None
    return f"SELECT rowid FROM records {m.group(1) or ''}"


def ranked(kb, text: str, sql: str, params: dict, limit: int, filtered: bool = True,
           scored: tuple | None = None) -> list[dict] | None:
    """The best ``limit`` records a records page keeps for the search ``text`` (Datasette's ``sql`` and
    ``params``; ``filtered``: the page filters on more than the search), ranked as kb search ranks the
    records matching every part (BM25 over the index, names weighing most), each with where the search
    shows in it (``snippet``: before, match, after)."""
    from ..query.search import best_match, match_expression, parts
    from ..store.schema import FTS_TABLE, SEARCH_WEIGHTS
    from ..text import fold, fold_quote

    inner = filtered_rowids_sql(sql)
    expr = match_expression(kb, text) if text.strip() else None
    if inner is None or expr is None:
        return None
    if scored is not None:  # the facets' pass over the matches: (rowid, bm25) of each, and the page's rows
        import heapq

        _, scores, within = scored
        best = heapq.nsmallest(limit, ((b, r) for r, b in scores if within is None or r in within))
        rows = [(r, b) for b, r in best]
    else:
        weights = ", ".join(str(w) for w in SEARCH_WEIGHTS)
        # +rowid: the page's rows are a list checked per match; without the plus SQLite would run the whole
        # search once for each of them (3 s for 4,400 rows at 100k records)
        keep = f"AND +f.rowid IN ({inner}) " if filtered else ""
        rows = kb.conn.execute(
            f"SELECT f.rowid, bm25({FTS_TABLE}, {weights}) AS b FROM {FTS_TABLE} f WHERE {FTS_TABLE} MATCH :kb_expr "
            f"{keep}ORDER BY b, f.rowid LIMIT :kb_limit", {**params, "kb_expr": expr, "kb_limit": limit}).fetchall()
    kinds = dict(kb.conn.execute(f"SELECT rowid, kind FROM records WHERE rowid IN ({','.join('?' * len(rows))})",
                                 [r[0] for r in rows])) if rows else {}
    records = kb.records_from_rows(kb.docs([(r[0], kinds.get(r[0])) for r in rows]))
    needles = [fold_quote(fold(n)) for p in parts(kb, text) for n in p.needles]
    out = []
    for rec, (_, b) in zip(records, rows):
        m = best_match(rec, needles)
        out.append({"id": rec["id"], "kind": rec["kind"], "name_zh": rec["name_zh"], "name_en": rec["name_en"],
                    "date": rec.get("date"), "score": round(-b, 3), "match": m,
                    "snippet": snippet(m["text"], needles) if m else None,
                    "restricted": bool(m and m.get("restricted"))})
    return out


def snippet(text: str, needles: list[str], before: int = 40, after: int = 90) -> tuple[str, str, str]:
    """(before, the first needle as written, after) of ``text``, cut to a few dozen characters either side."""
    from ..text import fold, fold_quote

    folded, origin = [], []
    for i, ch in enumerate(text):
        for f in fold(fold_quote(ch)):
            folded.append(f)
            origin.append(i)
    flat = "".join(folded)
    hits = [(flat.find(n), n) for n in needles if n and flat.find(n) >= 0]
    if not hits:
        return "", "", text[: before + after] + ("…" if len(text) > before + after else "")
    pos, n = min(hits)
    start, end = origin[pos], origin[pos + len(n) - 1] + 1
    lo, hi = max(0, start - before), min(len(text), end + after)
    if lo and text[lo - 1].isascii() and text[lo - 1].isalnum():  # English: start at a word
        space = text.find(" ", lo, start)
        lo = space + 1 if space >= 0 else lo
    return (("…" if lo else "") + text[lo:start], text[start:end], text[end:hi] + ("…" if hi < len(text) else ""))
