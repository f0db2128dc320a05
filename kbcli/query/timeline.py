"""``kb timeline``: records and dated figures in date order, grouped by year.

Dates may be partial. Within a year, an entry dated by the year alone comes
first (it may stand for any day of it and is not placed arbitrarily inside),
then months, each month's entry dated by the month alone before its days. A
figure that covers a period (``as_of: 2018/2022``) is placed at the period's
end, when the figure is known, after the entries dated on that day. Records
without a date are listed apart, after the dated ones, and counted; figures
without a date are counted but not placed.
"""

from __future__ import annotations

from typing import Any

from ..dates import check_date
from .facets import Filters, query
from .listing import figures

ENTRY_KEYS = ("year", "date", "kind", "id", "name_zh", "name_en", "regions", "metric", "label_en", "value",
              "value_max", "unit", "qualifier", "original", "sources", "restricted")


def date_key(date: str) -> tuple[int, int, int, int]:
    """Sort key of a partial date or period: (year, month or 0, day or 0, 0); a period sorts at its end,
    after everything dated within its last year, month or day: (year, month or 13, day or 32, 1)."""
    end = date.split("/")[-1]
    check_date(end)
    parts = [int(p) for p in end.split("-")]
    if "/" in date:
        parts += [13, 32][len(parts) - 1:]
        return parts[0], parts[1], parts[2], 1
    parts += [0, 0]
    return parts[0], parts[1], parts[2], 0


def _sources(rec: dict) -> list[str]:
    from .kb import record_evidence

    return list(dict.fromkeys(e["source"] for e in record_evidence(rec)))


def timeline(kb, f: Filters, with_figures: bool = True) -> dict:
    """``{entries, undated, counts}``: the dated entries in order, the undated records, and how many of each."""
    records = query(kb, f, sort="date")
    entries: list[dict] = []
    undated: list[dict] = []
    for r in records:
        row: dict[str, Any] = dict.fromkeys(ENTRY_KEYS)
        srcs = _sources(r)
        row.update({"date": r["date"], "kind": r["kind"], "id": r["id"], "name_zh": r["name_zh"],
                    "name_en": r["name_en"], "regions": [t["id"] for t in r["regions"]], "sources": srcs,
                    "restricted": any(kb.sources.get(s, {}).get("restricted") for s in srcs)})
        if r["date"]:
            row["year"] = date_key(r["date"])[0]
            entries.append(row)
        else:
            undated.append(row)
    undated_figures = 0
    if with_figures and records:
        by_id = {r["id"]: r for r in records}
        for x in figures(kb, Filters(), owners=list(by_id), sort="owner"):
            if not x["as_of"]:
                undated_figures += 1
                continue
            owner = by_id[x["owner"]]
            row = {k: x.get(k) for k in ENTRY_KEYS}
            row.update({"year": date_key(x["as_of"])[0], "date": x["as_of"], "kind": "figure", "id": x["owner"],
                        "name_zh": owner["name_zh"], "name_en": owner["name_en"],
                        "regions": [t["id"] for t in owner["regions"]]})
            entries.append(row)
    # records before figures on the same date; otherwise the order kb query gives (stable sort)
    entries.sort(key=lambda e: (date_key(e["date"]), e["kind"] == "figure"))
    counts = {"dated_records": sum(1 for e in entries if e["kind"] != "figure"),
              "dated_figures": sum(1 for e in entries if e["kind"] == "figure"),
              "undated_records": len(undated), "undated_figures": undated_figures}
    return {"entries": entries, "undated": undated, "counts": counts}
