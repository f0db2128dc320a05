"""Relations between records, each pair of records linked once.

The seed states a link on the record it starts from (``legal_basis``,
``implements``, ``part_of``, ``related``). Read plainly, one pair can appear
several times: a practice names a law as its legal basis, as what it is part
of and as related; two practices each name the other as related. ``merge``
turns the stored links into one edge per pair and direction, with every kind
of relation it carries; ``related`` is symmetric and adds nothing to a pair
that a directed relation already links, so it is dropped there. ``kb show``
and ``kb graph`` both read relations through this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from .kb import KB

RELS = ("legal_basis", "implements", "part_of", "related")
DIRECTED = ("legal_basis", "implements", "part_of")
LABEL = {"legal_basis": "legal basis", "implements": "implements", "part_of": "part of", "related": "related"}
INVERSE = {"legal_basis": "basis of", "implements": "implemented by", "part_of": "has part", "related": "related"}


def stored_links(kb: KB, ids: Iterable[str] | None = None) -> list[tuple[str, str, str, list]]:
    """(src, rel, dst, articles) as stored, touching ``ids`` (every link when None)."""
    sql = "SELECT src, rel, dst, articles FROM links"
    if ids is None:
        rows = kb.conn.execute(sql + " ORDER BY rowid").fetchall()
    else:
        ids = sorted(set(ids))
        rows = []
        for i in range(0, len(ids), 400):
            chunk = ids[i:i + 400]
            marks = ",".join("?" * len(chunk))
            rows += kb.conn.execute(f"{sql} WHERE src IN ({marks}) OR dst IN ({marks}) ORDER BY rowid",
                                    chunk + chunk).fetchall()
        rows = list(dict.fromkeys(rows))
    return [(s, r, d, json.loads(a) if a else []) for s, r, d, a in rows]


def merge(links: Iterable[tuple[str, str, str, list]]) -> list[dict]:
    """One edge per linked pair and direction: ``{source, target, rels: [{rel, articles}], directed}``.

    Directed relations keep the direction the seed states (``source`` rests on,
    implements or is part of ``target``). A pair linked only by ``related`` gets
    one undirected edge, however many times and in whichever direction it is stated.
    """
    directed: dict[tuple[str, str], dict] = {}
    related: dict[frozenset, dict] = {}
    for src, rel, dst, articles in links:
        if src == dst:
            continue
        if rel in DIRECTED:
            edge = directed.setdefault((src, dst), {"source": src, "target": dst, "rels": [], "directed": True})
            old = next((r for r in edge["rels"] if r["rel"] == rel), None)
            if old is None:
                edge["rels"].append({"rel": rel, "articles": list(articles)})
            else:
                old["articles"] = sorted(set(old["articles"]) | set(articles), key=str)
        else:
            related.setdefault(frozenset((src, dst)), {"source": src, "target": dst,
                                                       "rels": [{"rel": "related", "articles": []}],
                                                       "directed": False})
    order = {r: i for i, r in enumerate(RELS)}
    for edge in directed.values():
        edge["rels"].sort(key=lambda r: order[r["rel"]])
    linked = {frozenset(pair) for pair in directed}
    return list(directed.values()) + [e for pair, e in related.items() if pair not in linked]


def rel_text(rel: dict, inverse: bool = False) -> str:
    """``legal basis art. 9, 10`` (or ``basis of art. 9, 10`` seen from the other end)."""
    name = (INVERSE if inverse else LABEL)[rel["rel"]]
    if rel.get("articles"):
        name += " art. " + ", ".join(str(a) for a in rel["articles"])
    return name


def neighbours(kb: KB, rid: str) -> list[dict]:
    """The records linked to ``rid``, each once: ``{id, kind, name_zh, name_en, direction, rels}``.

    ``direction`` is ``out`` (``rid`` rests on, implements or is part of it), ``in``
    (the reverse) or ``both`` (related, or directed relations both ways); ``rels``
    lists the relations as read from ``rid`` (``legal basis art. 9``, ``basis of``...).
    """
    edges = [e for e in merge(stored_links(kb, [rid])) if rid in (e["source"], e["target"])]
    by_other: dict[str, dict] = {}
    for e in edges:
        other = e["target"] if e["source"] == rid else e["source"]
        way = "both" if not e["directed"] else ("out" if e["source"] == rid else "in")
        n = by_other.setdefault(other, {"id": other, "direction": way, "rels": []})
        if n["direction"] != way:
            n["direction"] = "both"
        n["rels"] += [{"rel": r["rel"], "articles": r["articles"], "inverse": way == "in",
                       "text": rel_text(r, inverse=way == "in")} for r in e["rels"]]
    names = kb.names_of(by_other)
    rank = {"out": 0, "in": 1, "both": 2}
    out = []
    for other, n in by_other.items():
        nm = names.get(other, {})
        out.append({"id": other, "kind": nm.get("kind"), "name_zh": nm.get("name_zh"), "name_en": nm.get("name_en"),
                    "direction": n["direction"], "rels": n["rels"]})
    out.sort(key=lambda n: (rank[n["direction"]], RELS.index(n["rels"][0]["rel"])))
    return out
