"""``kb export TABLE``: whole tables for scripts and spreadsheets.

Each table is a list of flat-ish rows; the render layer decides how lists
flatten in csv/tsv/md. ``records`` exports full records (as ``kb query``), and
a record kind (``practices``, ``laws`` ... singular or plural) the records of
that kind.
"""

from __future__ import annotations

import json

from ..errors import UsageError
from .facets import Filters, query
from .kb import KB, KIND_PLURAL, PLURAL_KIND, VOCABS
from .listing import figures, list_sources, list_terms

TABLES = ("records", "figures", "evidence", "links", "articles", "sources", *VOCABS, "record_terms")
KINDS = tuple(KIND_PLURAL.values())  # laws, pilots, models, practices: the records of one kind


def table_name(name: str) -> str:
    """A table or record kind as given (``practice``, ``Laws``, ``regions``) -> its export name."""
    import difflib

    v = name.strip().lower()
    if v in TABLES or v in KINDS:
        return v
    if v in KIND_PLURAL:
        return KIND_PLURAL[v]
    if f"{v}s" in VOCABS:
        return f"{v}s"
    choices = [*TABLES, *KINDS]
    close = difflib.get_close_matches(v, choices, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise UsageError(f"unknown table {name!r}{hint} (tables: {', '.join(TABLES)}; record kinds: {', '.join(KINDS)})")


def export_table(kb: KB, table: str) -> list[dict]:
    table = table_name(table)
    if table == "records":
        return query(kb, Filters())
    if table in PLURAL_KIND:
        return query(kb, Filters(kinds=[PLURAL_KIND[table]]))
    if table == "figures":
        return figures(kb, Filters())
    if table in VOCABS:
        return list_terms(kb, table)
    if table == "sources":
        return list_sources(kb)
    if table == "evidence":
        rows = kb.conn.execute(
            "SELECT e.owner, COALESCE(r.kind, CASE WHEN t.id IS NOT NULL THEN 'term' END, "
            "CASE WHEN s.id IS NOT NULL THEN 'source' END), e.part, e.idx, "
            "e.source, e.quote, e.locator, e.note FROM evidence e LEFT JOIN records r ON r.id = e.owner "
            "LEFT JOIN terms t ON t.id = e.owner LEFT JOIN sources s ON s.id = e.owner "
            "ORDER BY e.rowid").fetchall()
        return [{"owner": o, "owner_kind": k, "part": p, "idx": i, "source": s, "quote": q, "locator": lo,
                 "note": n, "restricted": bool(kb.sources.get(s, {}).get("restricted"))}
                for o, k, p, i, s, q, lo, n in rows]
    if table == "links":
        return [{"src": s, "rel": r, "dst": d, "articles": json.loads(a) if a else [], "note": n}
                for s, r, d, a, n in kb.conn.execute("SELECT src, rel, dst, articles, note FROM links ORDER BY rowid")]
    if table == "articles":
        return [{"law": law, "number": num, "version": ver or None, "items": json.loads(items or "[]"), "gist_en": g}
                for law, num, ver, items, g in kb.conn.execute(
                    "SELECT law, number, version, items, gist_en FROM articles ORDER BY law, version, number")]
    if table == "record_terms":
        return [{"record": rid, "vocab": v, "term": t} for rid, v, t in kb.conn.execute(
            "SELECT r.id, rt.vocab, rt.term FROM record_terms rt JOIN records r ON r.id = rt.record "
            "ORDER BY r.ord, rt.vocab, rt.term")]
    raise AssertionError(table)  # table_name checked it
