"""``kb list``, ``kb figures``, ``kb crosstab``: terms, records and numbers."""

from __future__ import annotations

import json
from collections import defaultdict

from ..dates import date_range
from ..errors import UsageError
from ..text import fold
from . import resolve
from .facets import Filters, where_clause
from .handles import figure_handles
from .kb import KB, KIND_PLURAL, PLURAL_KIND, VOCAB_KIND, VOCABS

LIST_KINDS = (*VOCABS, "sources", "laws", "pilots", "models", "practices")


def kinds_overview(kb: KB) -> list[dict]:
    rows = []
    for vocab in VOCABS:
        n = sum(1 for t in kb.terms.values() if t["vocab"] == vocab)
        used = kb.conn.execute("SELECT COUNT(DISTINCT term) FROM record_terms WHERE vocab = ?", (vocab,)).fetchone()[0]
        rows.append({"kind": vocab, "count": n, "in_use": used})
    rows.append({"kind": "sources", "count": len(kb.sources),
                 "in_use": kb.conn.execute("SELECT COUNT(DISTINCT source) FROM evidence").fetchone()[0]})
    for kind, plural in KIND_PLURAL.items():
        n = kb.conn.execute("SELECT COUNT(*) FROM records WHERE kind = ?", (kind,)).fetchone()[0]
        rows.append({"kind": plural, "count": n, "in_use": n})
    return rows


def list_terms(kb: KB, vocab: str) -> list[dict]:
    """Terms in tree order, each with its direct and total (with descendants) record counts."""
    recs_by_term: dict[str, set[str]] = defaultdict(set)
    for term, rec in kb.conn.execute("SELECT term, record FROM record_terms WHERE vocab = ?", (vocab,)):
        recs_by_term[term].add(rec)
    terms = {tid: t for tid, t in kb.terms.items() if t["vocab"] == vocab}
    children: dict[str | None, list[str]] = defaultdict(list)
    for tid, t in terms.items():
        children[t["parent"] if t["parent"] in terms else None].append(tid)
    out: list[dict] = []

    def walk(tid: str, depth: int) -> None:
        t = terms[tid]
        total: set[str] = set()
        for d in kb.descendants.get(tid, [tid]):
            total |= recs_by_term.get(d, set())
        out.append({"id": tid, "depth": depth, "name_zh": t["name_zh"], "name_en": t["name_en"],
                    "level": t["level"], "parent": t["parent"], "aliases": t["aliases"],
                    "records": len(recs_by_term.get(tid, ())), "total": len(total),
                    "see_also": kb.see_also.get(tid, [])})
        for c in sorted(children.get(tid, []), key=lambda x: terms[x]["ord"]):
            walk(c, depth + 1)

    for root in sorted(children[None], key=lambda x: terms[x]["ord"]):
        walk(root, 0)
    return out


def list_sources(kb: KB) -> list[dict]:
    counts = dict(kb.conn.execute("SELECT source, COUNT(*) FROM evidence GROUP BY source").fetchall())
    out = []
    for sid, s in kb.sources.items():
        doc = json.loads(s["doc"])
        out.append({"id": sid, "part_of": s["part_of"], "type": doc.get("type"), "title": doc.get("title"),
                    "issued": doc.get("issued"), "restricted": s["restricted"],
                    "citation_note": s["citation_note"], "quotes": counts.get(sid, 0)})
    return out


def list_kind(kb: KB, what: str) -> tuple[str, list[dict]]:
    """The kind asked for, normalised (a vocabulary, ``sources`` or ``records``), and its rows."""
    w = fold(what).strip()
    if w in VOCABS:
        return w, list_terms(kb, w)
    if w == "sources":
        return w, list_sources(kb)
    if w in PLURAL_KIND or w in KIND_PLURAL:
        from .facets import query

        return "records", query(kb, Filters(kinds=[w]))
    raise UsageError(f"unknown kind {what!r}; choose from {', '.join(LIST_KINDS)}")


# ------------------------------------------------------------------ figures
FIGURE_SORT = {"value": "f.value", "-value": "f.value DESC", "metric": "f.metric, f.owner", "owner": "f.owner, f.idx",
               "as_of": "f.as_of_start IS NULL, f.as_of_start, f.owner"}


def figures(kb: KB, f: Filters, metrics: list[str] | None = None, units: list[str] | None = None,
            owners: list[str] | None = None, sort: str = "owner", as_of: str | None = None) -> list[dict]:
    """Every figure of the records matching ``f`` (and of terms when no record filter is set). ``metrics``
    may be ids or labels, ``owners`` records or terms by id or name (see ``resolve``); ``as_of`` keeps the
    figures whose period overlaps a partial date or interval (``2022``, ``2018/2022``)."""
    where, params = _figure_conditions(kb, f, metrics, units, owners, as_of)
    if sort not in FIGURE_SORT:
        raise UsageError(f"unknown sort {sort!r}; choose from {', '.join(FIGURE_SORT)}")
    sql = ("SELECT f.owner, f.idx, f.owner_kind, COALESCE(r.kind, 'term'), COALESCE(r.name_en, t.name_en), f.metric, "
           "f.label_en, f.value, f.value_max, f.unit, f.qualifier, f.as_of, f.original, f.note, f.sources "
           "FROM figures f LEFT JOIN records r ON r.id = f.owner LEFT JOIN terms t ON t.id = f.owner"
           f" WHERE {where} ORDER BY {FIGURE_SORT[sort]}")
    out = []
    for (owner, idx, okind, kind, name, metric, label, value, vmax, unit, qual, asof, orig, note,
         srcs) in kb.conn.execute(sql, params):
        sources = json.loads(srcs or "[]")
        out.append({"owner": owner, "idx": idx, "owner_kind": kind, "owner_name_en": name, "metric": metric,
                    "label_en": label, "value": _num(value), "value_max": _num(vmax), "unit": unit, "qualifier": qual,
                    "as_of": asof, "original": orig, "note": note, "sources": sources,
                    "restricted": any(kb.sources.get(s, {}).get("restricted") for s in sources)})
    handles = figure_handles_of(kb, {r["owner"] for r in out})
    for r in out:
        r["handle"] = handles[(r["owner"], r.pop("idx"))]
    return out


def figure_owners(kb: KB, f: Filters, metrics: list[str] | None = None, owners: list[str] | None = None,
                  as_of: str | None = None, ids: bool = False, units: list[str] | None = None) -> list[str]:
    """The records whose figures ``figures`` would list (terms left out), each once, in figure order.
    With ``ids``, ``owners`` are record ids already (not names to resolve)."""
    where, params = _figure_conditions(kb, f, metrics, units, owners, as_of, resolved=ids)
    return [r[0] for r in kb.conn.execute(
        f"SELECT DISTINCT f.owner FROM figures f WHERE {where} AND f.record IS NOT NULL ORDER BY f.owner", params)]


def _figure_conditions(kb: KB, f: Filters, metrics: list[str] | None, units: list[str] | None,
                       owners: list[str] | None, as_of: str | None, resolved: bool = False) -> tuple[str, list]:
    conds, params = [], []
    record_filtered = any([f.regions, f.mechanisms, f.instruments, f.kinds, f.levels, f.since, f.until, f.text])
    if record_filtered or f.blockages:
        where, wparams = where_clause(kb, f)
        held = term_owners_named(kb, f)  # the figures of the terms filtered on, as well as their records'
        conds.append(f"(f.owner IN (SELECT r.id FROM records r WHERE {where})"
                     + (f" OR f.owner IN ({','.join('?' * len(held))}))" if held else ")"))
        params.extend(wparams)
        params.extend(held)
    if metrics:
        metrics = sorted({m for v in metrics for m in resolve.metrics(kb, v)})
    if owners and not resolved:
        owners = [resolve.ident(kb, o).id for o in owners]
    if units:
        units = sorted({resolve.unit(kb, u) for u in units})
    for col, values in (("f.metric", metrics), ("f.unit", units), ("f.owner", owners)):
        if values:
            conds.append(f"{col} IN ({','.join('?' * len(values))})")
            params.extend(values)
    if as_of is not None:
        start, end = period(as_of, "--as-of")
        conds.append("f.as_of_start <= ? AND f.as_of_end >= ?")
        params.extend([end, start])
    return " AND ".join(conds) or "1", params


def term_owners_named(kb: KB, f: Filters) -> list[str]:
    """The vocabulary terms whose own figures a filter of one vocabulary names (``--blockage
    low-transfer-rate``: the blockage's 3.9%, 13.3%, 39.6%), with the terms within them; none when the
    filter names several vocabularies, kinds, levels, dates or text (terms are none of these)."""
    from .facets import expand

    named = [v for v in VOCABS if getattr(f, v)]
    if len(named) != 1 or any([f.kinds, f.levels, f.since, f.until, f.text]):
        return []
    vocab = named[0]
    return sorted(expand(kb, vocab, getattr(f, vocab), exact=f.exact and vocab == "regions"))


def period(value: str, option: str) -> tuple[str, str]:
    """The first and last day of a partial date or an interval (``2018/2022``) given to ``option``."""
    a, sep, b = value.strip().partition("/")
    start = date_range(resolve.parse_date(a, option))[0]
    end = date_range(resolve.parse_date(b, option))[1] if sep else date_range(a.strip())[1]
    if start > end:
        raise UsageError(f"{option}: {value!r} ends before it starts")
    return start, end


def figure_handles_of(kb: KB, owners: set[str]) -> dict[tuple[str, int], str]:
    """(owner, figure index) -> the figure's handle (``owner#metric@2022``), for these owners."""
    figs: dict[str, list[dict]] = defaultdict(list)
    ids = sorted(owners)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for owner, metric, as_of in kb.conn.execute(
                f"SELECT owner, metric, as_of FROM figures WHERE owner IN ({','.join('?' * len(chunk))}) "
                "ORDER BY owner, idx", chunk):
            figs[owner].append({"metric": metric, "as_of": as_of})
    return {(owner, i): h for owner, fs in figs.items() for i, h in enumerate(figure_handles(owner, fs))}


def _num(v):
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def sum_figures(rows: list[dict]) -> list[dict]:
    """Totals per (metric, unit): count, sum, min, max. Ranges count at their lower bound."""
    groups: dict[tuple, list] = defaultdict(list)
    for r in rows:
        groups[(r["metric"], r["unit"])].append(r["value"])
    return [{"metric": m, "unit": u, "n": len(v), "sum": _num(sum(v)), "min": _num(min(v)), "max": _num(max(v))}
            for (m, u), v in sorted(groups.items())]


_NOT_ADDITIVE = frozenset({"percent", "rank", "times"})  # shares, positions and multiples


def sum_caveats(kb: KB, rows: list[dict]) -> list[str]:
    """What a total of these figures would add that should not be added, per (metric, unit): different
    periods, exact values with bounds or approximations, places inside one another, one owner twice for
    one period (a figure reported by two sources)."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        groups[(r["metric"], r["unit"])].append(r)
    owners = sorted({r["owner"] for r in rows})
    places: dict[str, set[str]] = defaultdict(set)
    for i in range(0, len(owners), 500):
        chunk = owners[i:i + 500]
        for rec, term in kb.conn.execute(
                f"SELECT record, term FROM record_terms WHERE vocab = 'regions' AND record IN "
                f"({','.join('?' * len(chunk))})", chunk):
            places[rec].add(term)
    for owner in owners:  # a figure owned by a place itself
        if kb.terms.get(owner, {}).get("vocab") == "regions":
            places[owner].add(owner)
    out = []
    for (metric, unit), rs in sorted(groups.items()):
        if len(rs) < 2:
            continue
        said = []
        if unit in _NOT_ADDITIVE:
            said.append(f"{unit} values, which do not add up to a total")
        periods = sorted({r["as_of"] or "undated" for r in rs})
        if len(periods) > 1:
            said.append(f"{len(periods)} periods ({', '.join(periods)})")
        quals = sorted({r["qualifier"] or "exact" for r in rs})
        if len(quals) > 1:
            said.append(f"{' and '.join(quals)} values")
        held = {p for r in rs for p in places.get(r["owner"], ())}
        nested = sorted({(inner, outer) for inner in held for outer in kb.ancestors(inner) if outer in held})
        if nested:
            said.append("places within others (" + ", ".join(
                f"{kb.terms[i]['name_en']} within {kb.terms[o]['name_en']}" for i, o in nested[:3])
                + (", ..." if len(nested) > 3 else "") + ")")
        twice = sorted({r["owner"] for r in rs if sum(1 for x in rs if (x["owner"], x["as_of"]) ==
                                                       (r["owner"], r["as_of"])) > 1})
        if twice:
            said.append("one record's figure for one period more than once (" + ", ".join(twice[:3]) + ")")
        if said:
            out.append(f"the sum of {metric} ({unit}) adds " + "; ".join(said) + ": read it with care")
    return out


# ----------------------------------------------------------------- crosstab
DIMENSIONS = ("region", "mechanism", "instrument", "blockage", "kind", "year", "status")
_DIM_VOCAB = {kind: vocab for vocab, kind in VOCAB_KIND.items()}  # region -> regions ...


def _dim(value: str) -> str:
    v = fold(value).strip()
    if v not in DIMENSIONS and v.endswith("s"):
        v = v[:-1]
    if v in DIMENSIONS:
        return v
    raise UsageError(f"unknown dimension {value!r}; choose from {', '.join(DIMENSIONS)}")


def crosstab(kb: KB, rows_dim: str, cols_dim: str, f: Filters,
             depth: int | None = None, col_depth: int | None = None) -> tuple[str, list[str], list[dict]]:
    """Count records per (row value, column value): (the row dimension as normalised, the column
    values, the rows). ``depth`` rolls terms up to their ancestor at that depth (0 = the roots);
    ``col_depth``, when given, does so for the column dimension instead."""
    rd, cd = _dim(rows_dim), _dim(cols_dim)
    depths = {_DIM_VOCAB.get(cd): depth if col_depth is None else col_depth, _DIM_VOCAB.get(rd): depth}
    where, params = where_clause(kb, f)
    recs = kb.conn.execute(f"SELECT r.id, r.kind, r.date_start, r.status FROM records r WHERE {where}",
                           params).fetchall()
    rowids = [r[0] for r in recs]
    tags: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for i in range(0, len(rowids), 500):
        chunk = rowids[i:i + 500]
        for term, rec, vocab in kb.conn.execute(
                f"SELECT term, record, vocab FROM record_terms WHERE record IN ({','.join('?' * len(chunk))})", chunk):
            tags[rec][vocab].add(_roll(kb, term, depths.get(vocab, depth)))

    def values(rec, dim) -> set[str]:
        rowid, kind, start, status = rec
        if dim == "kind":
            return {kind}
        if dim == "year":
            return {start[:4] if start else "(no date)"}
        if dim == "status":
            return {status or "(none)"}
        return tags[rowid][_DIM_VOCAB[dim]] or {"(none)"}

    counts: dict[tuple[str, str], int] = defaultdict(int)
    totals: dict[str, int] = defaultdict(int)
    cols: set[str] = set()
    for rec in recs:
        col_values = values(rec, cd)
        cols |= col_values
        for a in values(rec, rd):
            totals[a] += 1
            for b in col_values:
                counts[(a, b)] += 1
    col_list = sorted(cols, key=lambda c: _order_key(kb, c))
    out = []
    for a in sorted(totals, key=lambda c: _order_key(kb, c)):
        row: dict[str, str | int] = {rd: a}
        if a in kb.terms:
            row["name_zh"] = kb.terms[a]["name_zh"]
        row.update({c: counts.get((a, c), 0) for c in col_list})
        row["total"] = totals[a]
        out.append(row)
    return rd, col_list, out


def _roll(kb: KB, term: str, depth: int | None) -> str:
    if depth is None:
        return term
    chain = [*reversed(kb.ancestors(term)), term]  # root first
    return chain[min(depth, len(chain) - 1)]


def _order_key(kb: KB, v: str):
    t = kb.terms.get(v)
    return (0, t["vocab"], t["ord"]) if t else (1, v, 0)


__all__ = ["LIST_KINDS", "crosstab", "figures", "kinds_overview", "list_kind", "sum_figures"]
