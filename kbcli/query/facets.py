"""Faceted queries: ``kb query --region 陕西 --mechanism 概念验证中心 ...``.

Filter values may be a term's id, its Chinese name in either script, its
English name or an alias, in any case (``proof-of-concept centre`` and
``Proof of concept center`` both work). A term includes its descendants.
Repeating an option means OR; different options combine with AND.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..dates import check_date, date_range
from ..errors import UnknownTermError, UsageError
from ..text import fold, loose
from .kb import KB, KIND_PLURAL, PLURAL_KIND, RECORD_KINDS, VOCAB_KIND, VOCABS


@dataclass
class Filters:
    regions: list[str] = field(default_factory=list)
    mechanisms: list[str] = field(default_factory=list)
    instruments: list[str] = field(default_factory=list)
    blockages: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    since: str | None = None
    until: str | None = None
    text: list[str] = field(default_factory=list)


class TermIndex:
    """Names of one vocabulary's terms, for suggesting the closest ones to an unknown value."""

    def __init__(self, kb: KB, vocab: str):
        self.kb, self.vocab = kb, vocab
        self.keys: dict[str, set[str]] = {}
        for tid, t in kb.terms.items():
            if t["vocab"] != vocab:
                continue
            for name in (tid, t["name_zh"], t["name_en"], *t["aliases"]):
                if name:
                    self.keys.setdefault(loose(name), set()).add(tid)

    def suggest(self, value: str, n: int = 5) -> list[str]:
        import difflib

        key = loose(value)
        close = difflib.get_close_matches(key, list(self.keys), n=12, cutoff=0.4)
        contains = [k for k in self.keys if key and (key in k or (len(k) > 1 and k in key))]
        seen: list[str] = []
        for k in contains + close:
            for tid in sorted(self.keys[k]):
                if tid not in seen:
                    seen.append(tid)
        out = []
        for tid in seen[:n]:
            t = self.kb.terms[tid]
            out.append(f"{tid} ({t['name_zh']}, {t['name_en']})")
        return out


def resolve(kb: KB, vocab: str, value: str) -> set[str]:
    """The term ids a filter value names, by the keys stored at build time."""
    rows = kb.conn.execute("SELECT term FROM term_names WHERE vocab = ? AND name = ?", (vocab, loose(value)))
    hit = {r[0] for r in rows}
    if not hit:
        raise UnknownTermError(VOCAB_KIND[vocab], value, TermIndex(kb, vocab).suggest(value))
    return hit


def expand(kb: KB, vocab: str, values: list[str]) -> set[str]:
    """Filter values -> the term ids they name plus all their descendants."""
    out: set[str] = set()
    for v in values:
        for tid in resolve(kb, vocab, v):
            out.update(kb.descendants.get(tid, [tid]))
    return out


def parse_kind(value: str) -> str:
    v = fold(value).strip()
    if v in KIND_PLURAL:
        return v
    if v in PLURAL_KIND:
        return PLURAL_KIND[v]
    raise UsageError(f"unknown kind {value!r}; the kinds are {', '.join(RECORD_KINDS)}")


def parse_date(value: str, option: str) -> str:
    try:
        return check_date(value.strip())
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


ORDER_BY = {
    "kind": "CASE r.kind WHEN 'law' THEN 0 WHEN 'pilot' THEN 1 WHEN 'model' THEN 2 ELSE 3 END, r.ord",
    "date": "r.date_start IS NULL, r.date_start, r.id",
    "id": "r.id",
    "name": "r.name_en COLLATE NOCASE, r.id",
}


def where_clause(kb: KB, f: Filters) -> tuple[str, list]:
    """SQL conditions on ``records r`` for the filters, and their parameters."""
    conds: list[str] = []
    params: list = []
    if f.kinds:
        kinds = sorted({parse_kind(k) for k in f.kinds})
        conds.append(f"r.kind IN ({','.join('?' * len(kinds))})")
        params.extend(kinds)
    for vocab in VOCABS:
        values = getattr(f, vocab)
        if values:
            ids = sorted(expand(kb, vocab, values))
            conds.append(f"r.rowid IN (SELECT rec FROM record_terms WHERE term IN ({','.join('?' * len(ids))}))")
            params.extend(ids)
    if f.since:
        conds.append("r.date_end >= ?")
        params.append(date_range(parse_date(f.since, "--since"))[0])
    if f.until:
        conds.append("r.date_start <= ?")
        params.append(date_range(parse_date(f.until, "--until"))[1])
    for t in f.text:
        from .search import match_expression

        conds.append("r.rowid IN (SELECT rowid FROM search WHERE search MATCH ?)")
        params.append(match_expression(t))
    return (" AND ".join(conds) or "1"), params


def _select(kb: KB, columns: str, f: Filters, sort: str, limit: int | None) -> list[tuple]:
    where, params = where_clause(kb, f)
    if sort not in ORDER_BY:
        raise UsageError(f"unknown sort {sort!r}; choose from {', '.join(ORDER_BY)}")
    sql = f"SELECT {columns} FROM records r WHERE {where} ORDER BY {ORDER_BY[sort]}"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return kb.conn.execute(sql, params).fetchall()


def query_ids(kb: KB, f: Filters, sort: str = "kind", limit: int | None = None) -> list[str]:
    """The ids of the records matching every filter, in order (no records assembled)."""
    return [r[0] for r in _select(kb, "r.id", f, sort, limit)]


def query(kb: KB, f: Filters, sort: str = "kind", limit: int | None = None) -> list[dict]:
    """Records matching every filter, as output records."""
    rows = _select(kb, "r.rowid, r.kind", f, sort, limit)  # filter and sort the lean table first
    return kb.records_from_rows(kb.docs(rows))
