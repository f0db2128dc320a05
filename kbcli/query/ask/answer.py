"""``kb ask``: a question answered exactly, partly (saying in words what it could not honour), or not at
all (saying what the base lacks). Nothing about another place or another named thing is ever the answer:
related material goes beside it, under its own key (``related``)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from .. import resolve
from ..facets import undated
from ..kb import KB
from ..search import search
from . import places
from .blockages import asks_blockages, blockage_answer, inferred
from .blockages import needles as blockage_needles
from .figures import answer_figures, quote
from .interpret import Interpretation, interpret
from .question import Question
from .rank import needles, rank, term_record
from .relax import CONTEXT, light, relaxed, run


@dataclass
class Answer:
    interpretation: Interpretation
    records: list[dict]
    related: list[dict] = field(default_factory=list)  # not the answer: what the base has nearby
    related_heading: str | None = None

    def to_json(self) -> dict:
        """The answer as ``kb ask --format json`` prints it: {question, interpretation, records} and, when
        there is related material that is not the answer, ``related`` {heading, records}."""
        out = {"question": self.interpretation.question, "interpretation": self.interpretation.to_json(),
               "records": self.records}
        if self.related:
            out["related"] = {"heading": self.related_heading, "records": self.related}
        return out


def ask(kb: KB, question: str, limit: int | None = None) -> Answer:
    q = Question.read(question)
    it = interpret(kb, q)
    for topic in resolve.out_of_scope(kb, q.raw):
        it.notes.append(f"{topic['topic_en']} ({topic['topic_zh']}) is outside the base: {topic['reason']}")
        if topic["topic_en"] not in it.out_of_scope:
            it.out_of_scope.append(topic["topic_en"])
    topical = any([it.mechanisms, it.instruments, it.blockages, it.kinds, it.metrics, it.records, it.entities])
    if it.out_of_scope and not topical:
        it.dropped.append(", ".join(it.out_of_scope) + " (outside the base)")
        return _none(it, [])  # a place or a date alone says nothing about a topic the base leaves out
    if it.missing and not (it.compare and (it.regions or it.records or it.entities)):
        return _missing(kb, it, limit)
    if it.missing:  # a comparison with a place the base lacks: the others answered, that one said
        for m in it.missing:
            it.dropped.append(f"{_missing_name(m)} (the base has nothing on it)")
    if it.article is not None:
        answer = _article(kb, it)
        if answer is not None:
            return answer
    cause = inferred(kb, it)
    if cause:  # a remedy for a problem the question describes: the records addressing that blockage
        it.blockages.append(cause)
        it.recognised.append({"text": kb.terms[cause]["name_zh"], "as": "blockage", "id": cause,
                              "name_zh": kb.terms[cause]["name_zh"], "name_en": kb.terms[cause]["name_en"],
                              "inferred": True})
    if asks_blockages(it):
        found = blockage_answer(kb, it, limit)
        if found:
            return _blockages(kb, it, found)
    if not it.anchored:
        return _search(kb, it, limit, "no term of the base recognised in the question")
    if it.compare and len(it.regions) >= 2 and it.mode == "figures":
        return _compare(kb, it, limit)
    it, records = _answer(kb, it)
    if not records:
        return _nothing_on(kb, it, limit)
    return _finish(kb, it, records, limit)


def _answer(kb: KB, tried: Interpretation) -> tuple[Interpretation, list[dict]]:
    """Run the question: for numbers, the figures of the metric it names (those of records tagged as it
    asks, else of any record of its place: the metric is the subject), then its figures on the topic,
    then its records; each relaxed as far as the subject allows."""
    if tried.mode == "figures" and tried.metrics:
        it, records = relaxed(kb, tried, steps=CONTEXT)
        if records:
            return it, records
        untagged = copy.deepcopy(tried)
        tags = [d for d in untagged.recognised if d.get("as") in ("mechanism", "instrument", "blockage")]
        if tags:
            untagged.mechanisms, untagged.instruments, untagged.blockages = [], [], []
            untagged.added_funding = False
            it, records = relaxed(kb, untagged, steps=("dates",))
            if records:
                place = "、".join(kb.terms[r]["name_zh"] for r in it.regions) or "any"
                for d in tags:
                    d["dropped"] = True
                    it.soft.append(d["text"])
                it.dropped.insert(0, f"no {place} record is tagged {'、'.join(d['text'] for d in tags)}; "
                                     f"showing {place}'s {'、'.join(it.metrics)} figures")
                return it, records
        loose = copy.deepcopy(tried)
        loose.metrics = []
        it, records = relaxed(kb, loose)
        if records:
            it.dropped.insert(0, f"--metric {' '.join(tried.metrics)} (no such figure)")
            return it, records
    elif tried.mode == "figures":
        it, records = relaxed(kb, tried)
        if records:
            return it, records
    if tried.mode == "figures":
        start = copy.deepcopy(tried)
        start.metrics = []
        it, records = relaxed(kb, start, mode="query")
        if records:
            it.notes.append("no figure matches; records instead")
            it.dropped.insert(0, "the number asked (no figure matches; the records instead)")
        return it, records
    return relaxed(kb, tried)


def _blockages(kb: KB, it: Interpretation, found: list[str]) -> Answer:
    """The blockages a question about what is wrong asks for, each with the quote holding most of it."""
    it.mode = "blockages"
    ns = needles(it) + blockage_needles(kb, it)
    recs = []
    for n, tid in enumerate(found):
        rec = term_record(kb, tid)
        rec["score"] = round(len(found) - n, 2)
        rec["answer"] = {"figures": [], "quote": quote(rec, ns)}
        rec["group"] = kb.mini(tid)
        recs.append(rec)
    it.matches = len(recs)
    it.match = "exact"
    return Answer(it, recs)


def _finish(kb: KB, it: Interpretation, records: list[dict], limit: int | None) -> Answer:
    if it.mode == "query" and (it.since or it.until):
        n = undated(kb, it.filters())
        if n:
            it.notes.append(f"{n} undated record(s) matching the other parts were left out by the dates")
    it.matches = len(records)
    recs = rank(kb, it, records, limit)
    if limit is not None and it.matches > len(recs):
        it.notes.append(f"the best {len(recs)} of {it.matches} records; --limit N shows more")
    it.match = "partial" if it.dropped else "exact"
    return Answer(it, recs)


def _none(it: Interpretation, related: list[dict], heading: str | None = None) -> Answer:
    it.mode, it.match = "none", "none"
    return Answer(it, [], related, heading)


# ---------------------------------------------------------------- what the base lacks

def _missing_name(m: dict) -> str:
    if m.get("name_zh"):
        return m["name_zh"] if m["name_zh"] == m["text"] else f"{m['text']} ({m['name_zh']}, {m['name_en']})"
    return m["text"]


def base_places(kb: KB) -> list[str]:
    """The places the base's records are about, as their Chinese names (the largest first)."""
    out = []
    for tid, t in kb.terms.items():
        if t["vocab"] != "regions" or t["level"] not in ("country", "macro-region", "province", "municipality",
                                                         "city", "sar"):
            continue
        within = kb.descendants.get(tid, [tid])  # a place the base holds records on, itself or within it
        if kb.conn.execute(f"SELECT 1 FROM record_terms WHERE term IN ({','.join('?' * len(within))}) LIMIT 1",
                           within).fetchone():
            out.append(t["name_zh"])
    return out


def nearest(kb: KB, m: dict, n: int = 3) -> list[str]:
    """The base's places nearest a real place it lacks: the one it lies in, then the nearest by distance."""
    out: list[str] = [m["within"]] if m.get("within") else []
    p = places.place(m["id"]) if m.get("id") else None
    here = places.where(p) if p else None
    if here is not None:
        from ...text import loose

        dist = []
        for tid, t in kb.terms.items():
            if t["vocab"] != "regions" or tid in out or t["level"] not in ("province", "municipality", "city"):
                continue
            for name in (t["name_zh"], t["name_en"]):
                ids = places.lookup(loose(name))
                other = places.place(ids[0]) if ids else None
                there = places.where(other) if other else None
                if there:
                    dist.append((places.km(here, there), tid))
                    break
        out += [tid for _, tid in sorted(dist)]
    return [f"{kb.terms[t]['name_zh']} {kb.terms[t]['name_en']}" for t in out[:n]]


def _missing(kb: KB, it: Interpretation, limit: int | None) -> Answer:
    """A place or a name the base does not hold: none, with the places the base covers, the nearest ones,
    and what the base has on the rest of the question elsewhere (not the answer)."""
    for m in it.missing:
        what = _missing_name(m)
        if m["as"] == "place":
            near = nearest(kb, m)
            it.dropped.append(f"{what} (a place the base has nothing on)")
            it.notes.append(f"the base has nothing on {what}: its sources cover {'、'.join(base_places(kb))}"
                            + (f"; the nearest: {', '.join(near)}" if near else ""))
        else:
            it.dropped.append(f"{what} (a name the base's sources never mention)")
            it.notes.append(f"the base has nothing on {what}: no record or quote names it")
    names = "、".join(_missing_name(m) for m in it.missing)
    rest = copy.deepcopy(it)
    rest.missing, rest.notes, rest.dropped = [], [], []
    related: list[dict] = []
    heading = None
    if rest.anchored and (rest.topical or rest.kinds or rest.text or rest.entities or rest.regions):
        r_it, recs = _answer(kb, rest)
        if recs:
            related = rank(kb, r_it, recs, min(limit or 5, 5))
            heading = f"not about {names}: what the base has on the rest of the question elsewhere"
    return _none(it, related, heading)


def _nothing_on(kb: KB, it: Interpretation, limit: int | None) -> Answer:
    """The subject is in the base but nothing on the topic: none, with the topic elsewhere beside it."""
    subject = [kb.terms[r]["name_zh"] for r in it.regions] + it.entities + it.records
    topic = [d["text"] for d in it.recognised if d.get("as") in ("mechanism", "instrument", "blockage", "metric")
             and not d.get("dropped")]
    what = "、".join(subject) or "the question"
    about = "、".join(topic) or "what the question asks"
    it.dropped.append(f"{about} for {what}")
    it.notes.append(f"the base has nothing on {about} for {what}")
    related: list[dict] = []
    heading = None
    if subject and it.topical:
        rest = copy.deepcopy(it)
        rest.regions, rest.entities, rest.records, rest.notes, rest.dropped = [], [], [], [], []
        rest.exact = False
        r_it, recs = _answer(kb, rest)
        if recs:
            related = rank(kb, r_it, recs, min(limit or 5, 5))
            heading = f"not about {what}: what the base has on {about} elsewhere"
    return _none(it, related, heading)


# ---------------------------------------------------------------- comparisons, articles, search

def _compare(kb: KB, it: Interpretation, limit: int | None) -> Answer:
    """Several places compared: each answered on its own (its figures for the period asked, else its
    nearest period, said), then together, grouped by place."""
    records: list[dict] = []
    seen: set[str] = set()
    for region in it.regions:
        one = copy.deepcopy(it)
        one.regions, one.compare, one.dropped, one.notes = [region], False, [], []
        one_it, recs = _answer(kb, one)
        name = kb.terms[region]["name_zh"]
        if not recs:
            it.dropped.append(f"{name} (nothing on it for this question)")
            it.notes.append(f"the base has nothing for {name} on this question")
            continue
        for d in one_it.dropped:
            it.dropped.append(f"{name}: {d}")
        if (it.since or it.until) and one_it.as_of != it.as_of:
            it.notes.append(f"{name}: no figure for {it.as_of}; its figures of other periods (each says its period)")
        for r in recs:
            if r["id"] not in seen:
                seen.add(r["id"])
                r["_as_of"] = one_it.as_of
                records.append(r)
    if not records:
        return _nothing_on(kb, it, limit)
    wide = copy.deepcopy(it)
    wide.since = wide.until = None if any(r["_as_of"] != it.as_of for r in records) else it.since
    if wide.since is None:
        wide.until = None
    it.matches = len(records)
    recs = rank(kb, wide, records, limit)
    it.match = "partial" if it.dropped else "exact"
    return Answer(it, recs)


def _article(kb: KB, it: Interpretation) -> Answer | None:
    """第十四条 of a law the question names: that article, as `kb show law#artN` shows it."""
    for rid in it.records + it.prefer_records:
        law = kb.get_record(rid)
        if law is None or law["kind"] != "law":
            continue
        arts = [a for a in law.get("articles", []) if a["number"] == it.article]
        if not arts:
            listed = ", ".join(str(a["number"]) for a in law.get("articles", [])) or "none"
            it.notes.append(f"the base cites no article {it.article} of {rid} (its articles: {listed})")
            it.dropped.append(f"article {it.article} of {rid} (the base cites its articles {listed})")
            continue
        it.mode, it.records, it.prefer_records = "article", [rid], []
        art = arts[0]
        ver = f" (numbering of the {art['version']} text)" if art.get("version") else ""
        it.notes.append(f"article {it.article}{ver}: {art['gist_en']}")
        from ... import shape

        law = shape.row(law)
        law["score"] = 1.0
        law["answer"] = {"figures": [], "quote": art["evidence"][0] if art["evidence"] else None,
                         "article": {k: art.get(k) for k in ("number", "version", "items", "gist_en")}}
        it.matches, it.match = 1, "exact"
        return Answer(it, [law])
    if it.dropped and not it.regions and not it.topical:
        return _none(it, [])
    return None


def _search(kb: KB, it: Interpretation, limit: int | None, why: str) -> Answer:
    it.mode = "search"
    words = it.unused or [it.question]
    it.notes.append(f"{why}; ranked full-text search instead")
    try:
        recs = search(kb, " ".join(words), limit=limit or 20, terms=True)
    except Exception:  # noqa: BLE001 - nothing searchable left (punctuation only)
        recs = []
    from ... import shape

    recs = [shape.row(r) if not r.get("term") else r for r in recs]  # the record contract of kb query
    for r in recs:
        r["answer"] = {"figures": answer_figures(it, r, [], set())[:3], "quote": quote(r, words)}
    if not recs:
        it.match = "none"
        it.dropped.append("every word (nothing in the base matches them)")
    else:
        it.match = "partial"
        it.dropped.append("the question's terms (none recognised: records holding its words)")
    return Answer(it, recs)


__all__ = ["Answer", "ask", "base_places", "light", "nearest", "run", "term_record"]
