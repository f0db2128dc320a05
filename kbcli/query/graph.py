"""``kb graph``: the relation graph around records or terms, to a chosen depth.

Nodes are records and vocabulary terms. Edges:

* between records, the relations of ``kbcli.query.relations`` (legal basis
  with its articles, implements, part of, related), one edge per linked pair;
* ``broader``: a term to its parent term (the term hierarchy);
* ``tagged``: a record to a term it is tagged with (region, mechanism,
  instrument, blockage).

From the starting nodes the walk follows relations in both directions, the
hierarchy up and down, and from a term to the records tagged with it; it does
not go from a record out to each of its terms (every record would pull in its
region and, through it, half the base). Within ``depth`` steps every edge
between two nodes it reached is drawn. The result is plain data: node-link
JSON in the shape networkx (``node_link_graph(data, edges="links")``) and d3 read.
"""

from __future__ import annotations

from collections import defaultdict

from ..errors import UsageError
from . import resolve
from .kb import KB, VOCAB_KIND
from .relations import RELS, merge, rel_text, stored_links

EDGE_KINDS = (*RELS, "broader", "tagged")


def _parse_rels(rels: list[str] | None) -> set[str]:
    if not rels:
        return set(EDGE_KINDS)
    out = set()
    for r in rels:
        key = r.strip().lower().replace("-", "_").replace(" ", "_")
        if key not in EDGE_KINDS:
            raise UsageError(f"unknown relation {r!r}; choose from {', '.join(EDGE_KINDS)}")
        out.add(key)
    return out


def graph(kb: KB, words: list[str], depth: int = 1, rels: list[str] | None = None, max_nodes: int = 500) -> dict:
    """The node-link graph within ``depth`` steps of the records or terms ``words`` name."""
    if not words:
        raise UsageError("name at least one record or term, e.g. kb graph law-sttl")
    if depth < 0:
        raise UsageError("--depth must be 0 or more")
    kinds = _parse_rels(rels)
    seeds = [resolve.word(kb, w) for w in words]
    record_ids = {r[0] for r in kb.conn.execute("SELECT id FROM records")}
    children: dict[str, list[str]] = defaultdict(list)
    for tid, t in kb.terms.items():
        if t["parent"]:
            children[t["parent"]].append(tid)

    level: dict[str, int] = {s.id: 0 for s in seeds}
    frontier = list(level)
    for d in range(1, depth + 1):
        nxt: list[str] = []
        recs = [n for n in frontier if n in record_ids]
        step: dict[str, set[str]] = defaultdict(set)
        if recs:
            for e in merge(stored_links(kb, recs)):
                if any(r["rel"] in kinds for r in e["rels"]):
                    step[e["source"]].add(e["target"])
                    step[e["target"]].add(e["source"])
        for n in frontier:
            if n in kb.terms:
                if "broader" in kinds:
                    step[n].update(children.get(n, ()))
                    if kb.terms[n]["parent"]:
                        step[n].add(kb.terms[n]["parent"])
                if "tagged" in kinds:
                    step[n].update(r for (r,) in kb.conn.execute(
                        "SELECT r.id FROM record_terms rt JOIN records r ON r.id = rt.record WHERE rt.term = ? "
                        "ORDER BY r.ord", (n,)))
            for m in sorted(step.get(n, ()), key=str):
                if m not in level:
                    level[m] = d
                    nxt.append(m)
        if len(level) > max_nodes:
            raise UsageError(f"the graph grows past {max_nodes} nodes at depth {d}; "
                             "lower --depth or choose relations with --rel")
        frontier = nxt
        if not frontier:
            break
    return _assemble(kb, seeds, level, kinds, record_ids, depth)


def _assemble(kb: KB, seeds, level: dict[str, int], kinds: set[str], record_ids: set[str], depth: int) -> dict:
    recs = [n for n in level if n in record_ids]
    names = kb.names_of(recs)
    nodes = []
    for n, d in level.items():
        if n in record_ids:
            nm = names.get(n, {})
            nodes.append({"id": n, "type": "record", "kind": nm.get("kind"), "name_zh": nm.get("name_zh"),
                          "name_en": nm.get("name_en"), "depth": d})
        else:
            t = kb.terms[n]
            nodes.append({"id": n, "type": "term", "kind": VOCAB_KIND[t["vocab"]], "name_zh": t["name_zh"],
                          "name_en": t["name_en"], "depth": d})
    links: list[dict] = []
    for e in merge(stored_links(kb, recs)):
        if e["source"] in level and e["target"] in level:
            rs = [r for r in e["rels"] if r["rel"] in kinds]
            if rs:
                links.append({"source": e["source"], "target": e["target"], "rel": rs[0]["rel"],
                              "rels": rs, "label": ", ".join(rel_text(r) for r in rs), "directed": e["directed"]})
    if "broader" in kinds:
        for n in level:
            p = kb.terms[n]["parent"] if n in kb.terms else None
            if p in level:
                links.append({"source": n, "target": p, "rel": "broader", "rels": [{"rel": "broader", "articles": []}],
                              "label": "within" if kb.terms[n]["vocab"] == "regions" else "narrower of",
                              "directed": True})
    terms = [n for n in level if n in kb.terms]
    if "tagged" in kinds and terms and recs:
        rows = kb.conn.execute(
            f"SELECT r.id, rt.term, rt.vocab FROM record_terms rt JOIN records r ON r.id = rt.record "
            f"WHERE rt.term IN ({','.join('?' * len(terms))}) ORDER BY r.ord", terms).fetchall()
        for rid, term, vocab in rows:
            if rid in level:
                label = "addresses" if vocab == "blockages" else VOCAB_KIND[vocab]
                links.append({"source": rid, "target": term, "rel": "tagged",
                              "rels": [{"rel": "tagged", "articles": []}], "label": label, "directed": True})
    return {"directed": True, "multigraph": False,
            "graph": {"seeds": [s.id for s in seeds], "depth": depth},
            "nodes": nodes, "links": links}
