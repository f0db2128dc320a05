"""The data behind ``kb chart``: a figure series or a crosstab, as plain data.

* ``metric_series(..., by="year")``: one metric over time, one series per
  owner (``--owner 中国`` or ``--owner cn-tech-contract-registration`` picks
  the national series). A figure that covers a period (``2012/2021``: a total
  over ten years) is no point of a yearly series; it is left out and said so.
* ``metric_series(..., by="region")``: one bar per figure, labelled with the
  owner's regions and the figure's date, largest first.
* ``heatmap``: the ``kb crosstab`` counts as a matrix.

Every chart carries its sources (with the citation note of any that asks
not to be cited) so the picture can say where its numbers come from.
"""

from __future__ import annotations

from collections import defaultdict

from ..errors import UsageError
from . import resolve
from .facets import Filters, where_clause
from .kb import KB
from .listing import crosstab, figures
from .timeline import date_key

BY = ("year", "region")


def _owners(kb: KB, words: list[str]) -> list[str]:
    """Record ids and terms a list of --owner words names; a term brings the records tagged with it directly."""
    out: list[str] = []
    for w in words:
        n = resolve.word(kb, w)
        found = [n.id]
        if n.vocab:
            found += [r for (r,) in kb.conn.execute(
                "SELECT r.id FROM record_terms rt JOIN records r ON r.id = rt.record WHERE rt.term = ? ORDER BY r.ord",
                (n.id,))]
        out += [x for x in found if x not in out]
    return out


def _metric(kb: KB, metric: str) -> str:
    metrics = [m for (m,) in kb.conn.execute("SELECT DISTINCT metric FROM figures ORDER BY metric")]
    if metric in metrics:
        return metric
    import difflib

    close = difflib.get_close_matches(metric, metrics, n=5, cutoff=0.5)
    close += [m for m in metrics if metric and metric in m and m not in close][:5]
    msg = f"unknown metric {metric!r}"
    if close:
        msg += "; closest: " + ", ".join(close[:6])
    raise UsageError(msg + " (kb figures lists every metric)")


def source_list(kb: KB, ids) -> list[dict]:
    """Sources in the order given, each once, with the citation note of any that restricts citation."""
    out = []
    for sid in dict.fromkeys(ids):
        s = kb.sources.get(sid, {})
        out.append({"id": sid, "title": s.get("title"), "restricted": bool(s.get("restricted")),
                    "citation_note": s.get("citation_note") if s.get("restricted") else None})
    return out


def metric_series(kb: KB, metric: str, owners: list[str] | None = None, f: Filters | None = None,
                  by: str = "year", unit: str | None = None) -> dict:
    """``{chart, metric, label_en, unit, series: [{owner, name_zh, name_en, regions, points}], left_out, sources}``."""
    if by not in BY:
        raise UsageError(f"unknown --by {by!r}; choose from {', '.join(BY)}")
    metric = _metric(kb, metric)
    owner_ids = _owners(kb, owners) if owners else None
    rows = figures(kb, f or Filters(), metrics=[metric], units=[unit] if unit else None, owners=owner_ids,
                   sort="as_of")
    units = sorted({r["unit"] for r in rows})
    if len(units) > 1:
        raise UsageError(f"{metric} comes in several units ({', '.join(units)}); choose one with --unit")
    names = kb.names_of({r["owner"] for r in rows})
    regions = _regions_of(kb, [r["owner"] for r in rows])
    series: dict[str, dict] = {}
    left_out: list[dict] = []
    for r in rows:
        point = {k: r[k] for k in ("value", "value_max", "qualifier", "as_of", "original", "note", "sources",
                                   "restricted")}
        if by == "year" and (not r["as_of"] or "/" in r["as_of"]):
            left_out.append({"owner": r["owner"], "as_of": r["as_of"], "value": r["value"], "original": r["original"],
                             "reason": "a total over a period, not a yearly value" if r["as_of"]
                             else "no date"})
            continue
        owner = r["owner"]
        nm = names.get(owner) or kb.terms.get(owner) or {}
        s = series.setdefault(owner, {"owner": owner, "name_zh": nm.get("name_zh"), "name_en": nm.get("name_en"),
                                      "regions": regions.get(owner, []), "points": []})
        s["points"].append(point)
    out_series = list(series.values())
    for s in out_series:
        s["points"].sort(key=lambda p: date_key(p["as_of"]) if p["as_of"] else (9999, 0, 0, 0))
    if by == "region":
        out_series.sort(key=lambda s: -max(p["value"] for p in s["points"]))
    labels = list(dict.fromkeys(r["label_en"] for r in rows if r["label_en"]))
    label = labels[0] if len(labels) == 1 else metric.replace("-", " ").capitalize()
    used = [sid for s in out_series for p in s["points"] for sid in p["sources"]]
    return {"chart": "time" if by == "year" else "regions", "metric": metric, "label_en": label,
            "unit": units[0] if units else unit, "series": out_series, "left_out": left_out,
            "sources": source_list(kb, used)}


def _regions_of(kb: KB, owners: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    ids = sorted(set(owners))
    if not ids:
        return out
    for rid, term in kb.conn.execute(
            f"SELECT r.id, rt.term FROM record_terms rt JOIN records r ON r.id = rt.record "
            f"WHERE rt.vocab = 'regions' AND r.id IN ({','.join('?' * len(ids))})", ids):
        out[rid].append(kb.mini(term))
    for o in ids:  # a region's own figures
        if o in kb.terms and kb.terms[o]["vocab"] == "regions":
            out[o].append(kb.mini(o))
    return out


def heatmap(kb: KB, rows: str, cols: str, f: Filters | None = None, depth: int | None = None,
            col_depth: int | None = None) -> dict:
    """``{chart: heatmap, row_dim, col_dim, rows: [{id, name_zh, name_en}], cols: [...], values, sources}``."""
    f = f or Filters()
    row_dim, col_values, table = crosstab(kb, rows, cols, f, depth, col_depth)

    def label(v: str) -> dict:
        t = kb.terms.get(v)
        return {"id": v, "name_zh": t["name_zh"] if t else None, "name_en": t["name_en"] if t else None}

    where, params = where_clause(kb, f)
    srcs = [s for (s,) in kb.conn.execute(
        f"SELECT DISTINCT e.source FROM evidence e JOIN records r ON r.id = e.record WHERE {where} "
        "ORDER BY e.source", params)]
    top = [s for s in srcs if not kb.sources.get(s, {}).get("part_of")] + \
          [s for s in srcs if kb.sources.get(s, {}).get("part_of")]
    return {"chart": "heatmap", "row_dim": row_dim, "col_dim": _dim_name(cols),
            "rows": [label(r[row_dim]) for r in table], "cols": [label(c) for c in col_values],
            "values": [[r[c] for c in col_values] for r in table], "totals": [r["total"] for r in table],
            "sources": source_list(kb, top)}


def _dim_name(value: str) -> str:
    from .listing import _dim

    return _dim(value)
