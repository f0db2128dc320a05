"""``kb compare 合肥 杭州``: terms side by side.

Each item is a vocabulary term (a region first: words are tried as regions,
then mechanisms, instruments and blockages) and stands for the records tagged
with it or a narrower term, narrowed by the usual filters. The comparison is a
list of rows, one per kind, term or figure, with one number per item:

* ``kind``: records by kind, and ``total``;
* ``region``, ``mechanism``, ``instrument``, ``blockage``: how many of the
  item's records are tagged with that term;
* ``figure``: the figures of the item's records and of the term itself, in
  base units, one row per metric, unit, period and qualifier (a second figure
  with the same key gets a second row, so no value is lost).

``only`` names the items that have a row while the others have nothing there:
what one has that the others lack.
"""

from __future__ import annotations

from collections import defaultdict

from ..errors import UsageError
from . import resolve
from .facets import Filters, where_clause
from .kb import KB, RECORD_KINDS, VOCAB_KIND, VOCABS
from .listing import figures

SECTIONS = ("kind", *(VOCAB_KIND[v] for v in VOCABS), "figure")
FIGURE_KEYS = ("owner", "owner_kind", "metric", "label_en", "value", "value_max", "unit", "qualifier", "as_of",
               "original", "sources", "restricted")


def _record_rowids(kb: KB, term: str, f: Filters) -> list[tuple[int, str, str]]:
    """(rowid, id, kind) of the records tagged with ``term`` or a narrower term that pass ``f``."""
    terms = kb.descendants.get(term, [term])
    where, params = where_clause(kb, f)
    sql = (f"SELECT r.rowid, r.id, r.kind FROM records r WHERE {where} AND r.id IN "
           f"(SELECT record FROM record_terms WHERE term IN ({','.join('?' * len(terms))})) ORDER BY r.ord")
    return kb.conn.execute(sql, [*params, *terms]).fetchall()


def compare(kb: KB, words: list[str], f: Filters | None = None) -> dict:
    """``{items, rows, figures}``: the items as resolved, the comparison rows, each item's figures in full."""
    f = f or Filters()
    if len(words) < 2:
        raise UsageError("compare needs at least two terms, e.g. kb compare 合肥 杭州")
    named = [resolve.word(kb, w, records=False) for w in words]
    ids = [n.id for n in named]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise UsageError(f"{', '.join(dup)} named twice; compare different terms")
    items, recs = [], {}
    for n in named:
        rows = _record_rowids(kb, n.id, f)
        recs[n.id] = rows
        t = kb.terms[n.id]
        items.append({"id": n.id, "kind": n.kind, "name_zh": t["name_zh"], "name_en": t["name_en"],
                      "records": len(rows)})

    out: list[dict] = []

    def add(section: str, key: str, counts: dict[str, float], **extra) -> None:
        row: dict = {"section": section, "id": key, "name_zh": extra.pop("name_zh", None),
                     "name_en": extra.pop("name_en", None), "unit": extra.pop("unit", "records"),
                     "qualifier": extra.pop("qualifier", None), "as_of": extra.pop("as_of", None)}
        if section == "figure":  # a figure a term lacks is blank; a count is 0
            row.update({i: counts.get(i) for i in ids})
            have = [i for i in ids if counts.get(i) is not None]
        else:
            row.update({i: counts.get(i, 0) for i in ids})
            have = [i for i in ids if counts.get(i)]
        row["only"] = have if len(have) < len(ids) else []
        row["owners"] = extra.pop("owners", [])  # whose figure each value is (a city's, within a province)
        out.append(row)

    # records by kind
    by_kind: dict[str, dict[str, int]] = {i: defaultdict(int) for i in ids}
    for i in ids:
        for _, _, kind in recs[i]:
            by_kind[i][kind] += 1
    for kind in RECORD_KINDS:
        if any(by_kind[i][kind] for i in ids):
            add("kind", kind, {i: by_kind[i][kind] for i in ids})
    add("kind", "total", {i: len(recs[i]) for i in ids})

    # terms the items' records are tagged with
    tagged: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for i in ids:
        rowids = [r[1] for r in recs[i]]
        for k in range(0, len(rowids), 500):
            chunk = rowids[k:k + 500]
            for (term,) in kb.conn.execute(
                    f"SELECT term FROM record_terms WHERE record IN ({','.join('?' * len(chunk))})", chunk):
                tagged[term][i] += 1
    for vocab in VOCABS:
        in_vocab = sorted((t for t in tagged if kb.terms.get(t, {}).get("vocab") == vocab),
                          key=lambda t: kb.terms[t]["ord"])
        for term in in_vocab:
            if term in ids:  # an item's own term: every one of its records, said by `total`
                continue
            add(VOCAB_KIND[vocab], term, dict(tagged[term]), name_zh=kb.terms[term]["name_zh"],
                name_en=kb.terms[term]["name_en"])

    # figures, in base units
    figs: dict[str, list[dict]] = {}
    for i in ids:
        owners = [i] + [r[1] for r in recs[i]]
        figs[i] = [{k: x[k] for k in FIGURE_KEYS} for x in figures(kb, Filters(), owners=owners, sort="metric")]
    keyed: dict[tuple, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for i in ids:
        for x in figs[i]:
            keyed[(x["metric"], x["unit"], x["as_of"] or "", x["qualifier"])][i].append(x)
    for (metric, unit, as_of, qualifier), per_item in sorted(keyed.items(), key=lambda kv: (
            -len(kv[1]), kv[0][0], kv[0][2])):  # metrics all items have come first
        for k in range(max(len(v) for v in per_item.values())):
            vals = {i: per_item[i][k]["value"] for i in ids if len(per_item.get(i, ())) > k}
            label = next(v[k]["label_en"] for v in per_item.values() if len(v) > k)
            owners = [f"{i}: {per_item[i][k]['owner']}" for i in ids if len(per_item.get(i, ())) > k]
            add("figure", metric, vals, name_en=label, unit=unit, qualifier=qualifier, as_of=as_of or None,
                owners=owners)
    return {"items": items, "rows": out, "figures": figs}
