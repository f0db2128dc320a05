"""Faceted queries: ``kb query --region 陕西 --mechanism 概念验证中心 ...``.

Filter values may be a term's id, its Chinese name in either script, its
English name or an alias, in any case (``proof-of-concept centre`` and
``Proof of concept center`` both work). A term includes its descendants,
not the terms it is linked to by ``see_also`` (related, overlapping terms).
Repeating an option means OR; different options combine with AND.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from ..dates import date_range
from ..errors import UsageError
from ..shape import SHAPE_VERSION
from .kb import KB, VOCABS
from .resolve import parse_date, parse_kinds, parse_level, terms


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
    exact: bool = False  # regions: this place only, not the places within it
    levels: list[str] = field(default_factory=list)  # placed in a region of this level (or within one)

    @property
    def dated(self) -> bool:
        return self.since is not None or self.until is not None


def expand(kb: KB, vocab: str, values: list[str], exact: bool = False) -> set[str]:
    """Filter values -> the term ids they name plus all their descendants (only the terms with ``exact``)."""
    out: set[str] = set()
    for v in values:
        for tid in terms(kb, vocab, v):
            out.update([tid] if exact else kb.descendants.get(tid, [tid]))
    return out


def level_terms(kb: KB, levels: list[str]) -> set[str]:
    """The regions of these levels and every place within them."""
    wanted = {parse_level(v) for v in levels}
    out: set[str] = set()
    for tid, t in kb.terms.items():
        if t["vocab"] == "regions" and t["level"] in wanted:
            out.update(kb.descendants.get(tid, [tid]))
    return out


def linked_not_included(kb: KB, f: Filters) -> list[tuple[str, str, list[str]]]:
    """For each filter term with ``see_also`` links: (vocabulary, term, linked terms the filter leaves out).

    A filter includes a term's narrower terms, never its see-also terms; the
    command tells the user which related terms they may want to add.
    """
    out = []
    for vocab in VOCABS:
        values = getattr(f, vocab)
        if not values:
            continue
        included = expand(kb, vocab, values)
        for v in values:
            for tid in sorted(terms(kb, vocab, v)):
                missing = [o for o in kb.see_also.get(tid, []) if o not in included]
                if missing:
                    out.append((vocab, tid, missing))
    return out


ORDER_BY = {
    "kind": "CASE r.kind WHEN 'law' THEN 0 WHEN 'pilot' THEN 1 WHEN 'model' THEN 2 ELSE 3 END, r.ord",
    # partial dates: a year before its months, a month before its days; undated records last both ways
    "date": "r.date_start IS NULL, r.date_start, length(r.date), r.id",
    "-date": "r.date_start IS NULL, r.date_start DESC, length(r.date) DESC, r.id DESC",
    "id": "r.id",
    "name": "r.name_en COLLATE NOCASE, r.id",
}


def where_clause(kb: KB, f: Filters, dates: bool = True) -> tuple[str, list]:
    """SQL conditions on ``records r`` for the filters, and their parameters (without the date
    conditions when ``dates`` is false)."""
    conds: list[str] = []
    params: list = []
    if f.kinds:
        kinds = sorted(parse_kinds(f.kinds))
        conds.append(f"r.kind IN ({','.join('?' * len(kinds))})")
        params.extend(kinds)
    tag_sets = [sorted(expand(kb, vocab, getattr(f, vocab), exact=f.exact and vocab == "regions"))
                for vocab in VOCABS if getattr(f, vocab)]
    if f.levels:
        tag_sets.append(sorted(level_terms(kb, f.levels)))
    # the tag set tagging fewest records picks the candidates; each other set is checked per candidate through
    # the record's own tags (an IN list of every record under 'city' costs tens of milliseconds at 100k records)
    for n, ids in enumerate(sorted(tag_sets, key=lambda ids: _tagged_at_most(kb, ids))):
        marks = ','.join('?' * len(ids))
        conds.append(f"r.id IN (SELECT record FROM record_terms WHERE term IN ({marks}))" if n == 0 else
                     f"EXISTS (SELECT 1 FROM record_terms rt WHERE rt.record = r.id AND rt.term IN ({marks}))")
        params.extend(ids)
    if f.since is not None and f.until is not None and \
            date_range(parse_date(f.since, "--since"))[0] > date_range(parse_date(f.until, "--until"))[1]:
        raise UsageError(f"--since {f.since} is after --until {f.until}")
    if dates and f.since is not None:
        conds.append("r.date_end >= ?")
        params.append(date_range(parse_date(f.since, "--since"))[0])
    if dates and f.until is not None:
        conds.append("r.date_start <= ?")
        params.append(date_range(parse_date(f.until, "--until"))[1])
    for t in f.text:
        from .search import text_condition

        sql, text_params = text_condition(kb, t)
        conds.append(sql)
        params.extend(text_params)
    return (" AND ".join(conds) or "1"), params


def _tagged_at_most(kb: KB, ids: list[str], cap: int = 5000) -> int:
    """How many records these terms tag, counted up to ``cap`` (enough to tell which set is smallest)."""
    return kb.conn.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM record_terms WHERE term IN "
                           f"({','.join('?' * len(ids))}) LIMIT ?)", [*ids, cap]).fetchone()[0]


def undated(kb: KB, f: Filters) -> int:
    """How many records match every filter but the dates and carry no date (left out by --since/--until)."""
    if not f.dated:
        return 0
    where, params = where_clause(kb, f, dates=False)
    return kb.conn.execute(f"SELECT COUNT(*) FROM records r WHERE {where} AND r.date_start IS NULL",
                           params).fetchone()[0]


def _select(kb: KB, columns: str, f: Filters, sort: str, limit: int | None) -> list[tuple]:
    where, params = where_clause(kb, f)
    if sort not in ORDER_BY:
        raise UsageError(f"unknown sort {sort!r}; choose from {', '.join(ORDER_BY)}")
    sql = f"SELECT {columns} FROM records r WHERE {where} ORDER BY {ORDER_BY[sort]}"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return kb.conn.execute(sql, params).fetchall()


def query_rowids(kb: KB, f: Filters, sort: str = "kind") -> list[int]:
    """The rowids of the records matching every filter, in order (no records assembled)."""
    return [r[0] for r in _select(kb, "r.rowid", f, sort, None)]


def query_ids(kb: KB, f: Filters, sort: str = "kind", limit: int | None = None) -> list[str]:
    """The ids of the records matching every filter, in order (no records assembled)."""
    return [r[0] for r in _select(kb, "r.id", f, sort, limit)]


def query(kb: KB, f: Filters, sort: str = "kind", limit: int | None = None) -> list[dict]:
    """Records matching every filter, as output records."""
    rows = _select(kb, "r.rowid, r.kind", f, sort, limit)  # filter and sort the lean table first
    return kb.records_from_rows(kb.docs(rows))



def query_json(kb: KB, f: Filters, sort: str = "kind", limit: int | None = None) -> list[tuple[str, list[str]]] | None:
    """The records matching every filter as the JSON lines the build made of them (``shape.row`` of each,
    as ``kb query --format json`` prints it), each with the sources of its quotes when one of them asks
    not to be cited; nothing parsed and nothing assembled. None when the database holds no such lines
    made by this version of kb (an older or a foreign database, or a line that is not one object): then
    the records are read the ordinary way. The printer escapes what a line should not hold
    (``text.json_line_safe``)."""
    try:
        made = kb.conn.execute("SELECT value FROM meta WHERE key = 'shape_version'").fetchone()
    except sqlite3.Error:
        return None
    if made is None or made[0] != SHAPE_VERSION:
        return None
    ids = [r[0] for r in _select(kb, "r.rowid", f, sort, limit)]
    found = kb.by_rowid("SELECT d.rowid, d.json, CASE WHEN r.restricted THEN r.sources END FROM record_docs d "
                        "JOIN records r ON r.rowid = d.rowid WHERE d.rowid IN", ids)
    out = []
    for rowid in ids:
        line, sources = found.get(rowid, (None, None))
        if not isinstance(line, str) or not (line.startswith("{") and line.endswith("}")):
            return None
        out.append((line, json.loads(sources) if sources else []))
    return out
