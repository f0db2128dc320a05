"""``kb show ID``: everything about one record, term or source.

A record comes with its relations in both directions (a law lists the
models and practices resting on it) and with its figures compared across
sources (``comparisons``, classified as ``query.agreement`` does for
``kb figures --compare``; ``disagreements`` are the conflicting ones).
"""

from __future__ import annotations

import json

from ..errors import NotFoundError, UsageError
from . import resolve
from .agreement import compare_figures, root_of
from .handles import figure_handles, pick_figure
from .kb import KB, VOCAB_KIND
from .relations import neighbours

REL_INVERSE = {"legal_basis": "basis_of", "implements": "implemented_by", "part_of": "has_part",
               "related": "related"}


def incoming(kb: KB, rid: str) -> list[dict]:
    rows = kb.conn.execute(
        "SELECT l.src, l.rel, l.articles, r.kind, r.name_zh, r.name_en FROM links l JOIN records r ON r.id = l.src "
        "WHERE l.dst = ? ORDER BY l.rel, r.ord", (rid,)).fetchall()
    return [{"rel": REL_INVERSE[rel], "id": src, "kind": kind, "name_zh": zh, "name_en": en,
             "articles": json.loads(arts) if arts else []} for src, rel, arts, kind, zh, en in rows]


def show(kb: KB, value: str) -> dict:
    """The full view of what ``value`` names (see ``resolve.ident``): a record, a vocabulary term, a
    source, a law's article or a record's figure."""
    ref = resolve.ident(kb, value)
    if ref.kind == "term":
        return show_term(kb, ref.id)
    if ref.kind == "source":
        return show_source(kb, ref.id)
    rec = kb.get_record(ref.id)
    assert rec is not None  # resolved above
    if ref.kind == "article":
        return show_article(kb, rec, int(ref.fragment or 0))
    if ref.kind == "figure":
        return show_figure(kb, rec, ref.fragment or "")
    rec["incoming"] = incoming(kb, ref.id)
    rec["relations"] = neighbours(kb, ref.id)  # each linked record once, with its direction
    rec["comparisons"] = compare_figures(ref.id, rec["figures"], root_of(kb), rec["kind"], rec["name_en"])
    rec["disagreements"] = [c for c in rec["comparisons"] if c["status"] == "conflicting"]
    return rec


def show_article(kb: KB, law: dict, number: int) -> dict:
    """One article of a law as the sources cite it, with the records resting on it."""
    ident = f"{law['id']}#art{number}"
    if law["kind"] != "law":
        raise UsageError(f"{ident!r}: {law['id']} is a {law['kind']}, not a law; only laws have articles")
    arts = [a for a in law.get("articles", []) if a["number"] == number]
    if not arts:
        listed = ", ".join(str(a["number"]) for a in law.get("articles", [])) or "none"
        raise NotFoundError(f"{ident!r}: the base has no article {number} of {law['id']} (articles: {listed})")
    cited_by = [r for r in incoming(kb, law["id"]) if r["rel"] == "basis_of" and number in r["articles"]]
    return {"id": ident, "kind": "article", "law": {k: law[k] for k in ("id", "name_zh", "name_en")},
            "number": number,
            # one article may be cited in more than one version's numbering
            "versions": [{k: a[k] for k in ("version", "items", "gist_en", "evidence")} for a in arts],
            "cited_by": [{k: r[k] for k in ("id", "kind", "name_zh", "name_en")} for r in cited_by]}


def show_figure(kb: KB, rec: dict, frag: str) -> dict:
    """One figure of a record, by its handle (``ID#metric``, ``ID#metric@2022``) or number (``ID#2``)."""
    figs = rec["figures"]
    try:
        i = pick_figure(rec["id"], figs, frag)
    except NotFoundError as exc:
        raise UsageError(str(exc)) from None
    return {"id": figure_handles(rec["id"], figs)[i], "kind": "figure",
            "owner": {k: rec[k] for k in ("id", "kind", "name_zh", "name_en")}, **figs[i]}


def show_term(kb: KB, tid: str, limit: int | None = None) -> dict:
    """A term; ``limit``: at most that many of the records tagged with it (the web's term page), all when None."""
    t = kb.terms[tid]
    raw = kb.term_doc(tid)
    desc = kb.descendants.get(tid, [tid])
    direct = kb.conn.execute(
        "SELECT r.id, r.kind, r.name_zh, r.name_en FROM record_terms rt JOIN records r ON r.id = rt.record "
        "WHERE rt.term = ? ORDER BY r.ord" + ("" if limit is None else f" LIMIT {int(limit)}"), (tid,)).fetchall()
    total = kb.conn.execute(
        f"SELECT COUNT(DISTINCT record) FROM record_terms WHERE term IN ({','.join('?' * len(desc))})", desc).fetchone()[0]
    figures = [kb.figure(f) for f in raw.get("figures", ())]
    return {
        "id": tid, "kind": VOCAB_KIND[t["vocab"]], "name_zh": t["name_zh"], "name_en": t["name_en"],
        "level": t["level"], "aliases": t["aliases"], "description_en": raw.get("description_en"),
        "parents": [kb.mini(p) for p in kb.ancestors(tid)],
        "children": [kb.mini(c) for c, v in kb.terms.items() if v["parent"] == tid],
        "see_also": [kb.mini(x) for x in kb.see_also.get(tid, [])],
        "evidence_cues": raw.get("evidence_cues", []),
        "figures": figures,
        "comparisons": compare_figures(tid, figures, root_of(kb), "term", t["name_en"]),
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
