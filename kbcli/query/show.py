"""``kb show ID``: everything about one record, term or source.

A record comes with its relations in both directions (a law lists the
models and practices resting on it) and with the figures on which its
sources disagree.
"""

from __future__ import annotations

import json

from ..dates import date_range
from .kb import KB, VOCAB_KIND

REL_INVERSE = {"legal_basis": "basis_of", "implements": "implemented_by", "part_of": "has_part",
               "related": "related"}


def incoming(kb: KB, rid: str) -> list[dict]:
    rows = kb.conn.execute(
        "SELECT l.src, l.rel, l.articles, r.kind, r.name_zh, r.name_en FROM links l JOIN records r ON r.id = l.src "
        "WHERE l.dst = ? ORDER BY l.rel, r.ord", (rid,)).fetchall()
    return [{"rel": REL_INVERSE[rel], "id": src, "kind": kind, "name_zh": zh, "name_en": en,
             "articles": json.loads(arts) if arts else []} for src, rel, arts, kind, zh, en in rows]


def disagreements(figures: list[dict]) -> list[dict]:
    """Figures of one metric whose periods overlap but whose values and sources differ."""
    groups: dict[tuple, list[dict]] = {}
    for f in figures:
        groups.setdefault((f["metric"], f["unit"]), []).append(f)
    out = []
    for (metric, unit), figs in groups.items():
        if len(figs) < 2:
            continue
        for i, a in enumerate(figs):
            clash = [b for b in figs[i + 1:] if _overlap(a, b) and (a["value"], a.get("value_max")) != (
                b["value"], b.get("value_max")) and _sources(a) != _sources(b)]
            if clash:
                vals = [a] + clash
                out.append({"metric": metric, "unit": unit, "values": [
                    {"value": v["value"], "value_max": v.get("value_max"), "qualifier": v["qualifier"],
                     "as_of": v.get("as_of"), "original": v["original"], "sources": sorted(_sources(v))}
                    for v in vals]})
                break
    return out


def _sources(f: dict) -> set[str]:
    return {e["source"] for e in f["evidence"]}


def _overlap(a: dict, b: dict) -> bool:
    if not a.get("as_of") or not b.get("as_of"):
        return True
    a0, a1 = date_range(a["as_of"])
    b0, b1 = date_range(b["as_of"])
    return a0 <= b1 and b0 <= a1


def show(kb: KB, ident: str) -> dict:
    """The full view of ``ident`` (a record, a vocabulary term or a source)."""
    rec = kb.get_record(ident)
    if rec is not None:
        rec["incoming"] = incoming(kb, ident)
        rec["disagreements"] = disagreements(rec["figures"])
        return rec
    if ident in kb.terms:
        return show_term(kb, ident)
    if ident in kb.sources:
        return show_source(kb, ident)
    raise kb.not_found(ident)


def show_term(kb: KB, tid: str) -> dict:
    t = kb.terms[tid]
    raw = kb.term_doc(tid)
    desc = kb.descendants.get(tid, [tid])
    direct = kb.conn.execute(
        "SELECT r.id, r.kind, r.name_zh, r.name_en FROM record_terms rt JOIN records r ON r.rowid = rt.rec "
        "WHERE rt.term = ? ORDER BY r.ord", (tid,)).fetchall()
    total = kb.conn.execute(
        f"SELECT COUNT(DISTINCT rec) FROM record_terms WHERE term IN ({','.join('?' * len(desc))})", desc).fetchone()[0]
    return {
        "id": tid, "kind": VOCAB_KIND[t["vocab"]], "name_zh": t["name_zh"], "name_en": t["name_en"],
        "level": t["level"], "aliases": t["aliases"], "description_en": raw.get("description_en"),
        "parents": [kb.mini(p) for p in kb.ancestors(tid)],
        "children": [kb.mini(c) for c, v in kb.terms.items() if v["parent"] == tid],
        "figures": [kb.figure(f) for f in raw.get("figures", ())],
        "evidence": kb.evidence(raw.get("evidence", ())),
        "records": [{"id": i, "kind": k, "name_zh": zh, "name_en": en} for i, k, zh, en in direct],
        "records_with_descendants": total,
    }


def show_source(kb: KB, sid: str) -> dict:
    s = kb.sources[sid]
    doc = json.loads(s["doc"])
    counts = kb.conn.execute(
        "SELECT COUNT(*), COUNT(DISTINCT owner) FROM evidence WHERE source = ?", (sid,)).fetchone()
    out = {"id": sid, "kind": "source", **{k: v for k, v in doc.items() if k not in ("id", "evidence")},
           "restricted": s["restricted"], "citation_note": s["citation_note"],
           "parts": [x for x, v in kb.sources.items() if v["part_of"] == sid],
           "quotes": counts[0], "items_citing": counts[1],
           "evidence": kb.evidence(doc.get("evidence", ()))}
    return out
