"""Ranking an answer's records: by the question's own words and the figures that answer it, never by
the order of record kinds; each record made whole with its answering figures and one quote."""

from __future__ import annotations

import json
from functools import lru_cache

from ... import shape
from ...text import fold, loose
from .. import resolve
from ..kb import KB, VOCAB_KIND, VOCABS, record_evidence
from ..search import part_rowids, parts, text_relevance
from .figures import answer_figures, overlaps, quote
from .interpret import Interpretation
from .words import CITY_LEVELS

SHORTLIST = 60  # records made whole and ranked again with their figures' quotes, of those ranked light


def needles(it: Interpretation) -> list[str]:
    """The question's words, folded: those no term names, and the names of the terms and records it names."""
    out = [fold(w) for w in it.unused + it.soft + it.text + it.entities]
    for d in it.recognised:
        if d.get("as") in ("region", "mechanism", "instrument", "blockage"):
            out += [fold(d["text"]), fold(d["name_zh"])]
        elif d.get("as") == "record":
            out.append(fold(d["text"]))
    return [n for n in dict.fromkeys(out) if n]


class Context:
    """What scoring every record shares: the question's words, their matches in the index, the terms asked."""

    def __init__(self, kb: KB, it: Interpretation):
        self.needles = needles(it)
        self.words = {fold(w) for w in it.unused + it.soft + it.text + it.entities}
        self.unused_rows: list[set[int]] = []
        self.relevance: dict[int, float] = {}
        free = it.unused + it.soft + it.text
        self._word_parts = parts(kb, " ".join(free)[:1900]) if free else []
        typed = " ".join([*free, *(d["text"] for d in it.recognised if d.get("as") in VOCAB_KIND.values())])
        self._typed = parts(kb, typed[:1900]) if typed.strip() else []
        self._figures: dict[tuple, list[dict]] = {}
        self._kb = kb
        self.asked = {v: {t for x in getattr(it, v) for t in ([x] if x in kb.terms else resolve.terms(kb, v, x))}
                      for v in VOCABS}  # a shared name (a word, not an id) counts as all its terms
        self.plain = {w.casefold() for w in it.unused}
        self.term_words = {loose(d["text"]) for d in it.recognised
                           if d.get("as") in ("mechanism", "instrument", "blockage")}

    def figures(self, it: Interpretation, rec: dict) -> list[dict]:
        """The figures of a record that answer; for a light record, remembered by its figures' rows (at scale
        many records hold the same figures: their scores are made once)."""
        rows = rec.get("rows") if "raw" in rec else None
        if rows is None:  # a whole record: its quotes count too
            return answer_figures(it, rec, self.needles, self.words) if rec.get("figures") else []
        if not rows:
            return []
        found = self._figures.get(rows)
        if found is None:
            found = self._figures[rows] = answer_figures(it, rec, self.needles, self.words)
        return found

    def candidates(self, rowids: list[int]) -> None:
        """The words not recognised still rank: by the parts of them each candidate matches."""
        if self._word_parts and rowids:
            self.unused_rows = [part_rowids(self._kb, p, within=rowids) for p in self._word_parts]

    def relevant(self, rowids: list[int]) -> None:
        """BM25 of every word of the question, as typed, for these records (the shortlist): the order among
        records that score the same. Computed for the shortlist only: at scale, thousands match."""
        if self._typed and rowids:
            self.relevance = text_relevance(self._kb, self._typed, within=sorted(rowids))


@lru_cache(maxsize=8192)
def _names_key(zh: str, en: str) -> str:
    return loose(f"{zh} {en}")


def score(it: Interpretation, rec: dict, ctx: Context) -> tuple[float, list[dict]]:
    """A record's score for the question, and the figures that answer it (best first)."""
    s = 0.0
    if rec["id"] in it.records:
        s += 5
    light_tags = rec["tags"] if "raw" in rec else None
    for vocab, field_name in zip(VOCABS, ("regions", "mechanisms", "instruments", "addresses")):
        if not ctx.asked[vocab]:
            continue
        tags = light_tags[field_name] if light_tags is not None else {t["id"] for t in rec[field_name]}
        both = len(tags & ctx.asked[vocab])  # a record addressing more of the terms asked ranks higher
        s += 2 + 0.5 * (both - 1) if both else 1 if tags else 0
    instruments = light_tags["instruments"] if light_tags is not None else {t["id"] for t in rec["instruments"]}
    if it.prefer and instruments & set(it.prefer):
        s += 1
    if rec["id"] in it.prefer_records:
        s += 2
    if rec.get("category") and set(rec["category"].split("-")) & ctx.plain:
        s += 1.5  # a model of the category asked (statutory modes, Germany's models)
    if ctx.term_words:
        names = _names_key(rec["name_zh"], rec["name_en"])
        s += sum(1 for w in ctx.term_words if w in names)  # 天使基金 names one kind of venture fund
    rowid = rec.get("rowid")
    s += sum(1 for rows in ctx.unused_rows if rowid in rows)
    b = max(ctx.relevance.get(rowid, 0.0), 0.0) if rowid is not None else 0.0
    s += 0.5 * b / (1 + b)
    figs = ctx.figures(it, rec)
    if figs and it.mode == "figures":  # in a question for numbers the best figure weighs fully
        s += 1 + max(f["_score"] for f in figs)
    elif figs and it.money:  # money asked of records: one that names its amount first
        s += 1 + max(f["_score"] for f in figs) / 10
    if it.since or it.until:
        d = rec.get("date")
        if d and overlaps(d, it.since, it.until):
            s += 1
    return s, figs


def rank(kb: KB, it: Interpretation, records: list[dict], limit: int | None = None) -> list[dict]:
    """Best first: every record scored light (tags, names, the question's words in the index, dates,
    figures without their quotes), the best SHORTLIST (or ``limit``, if more) made whole and scored
    again with their figures' quotes, then cut to ``limit``, each with the figures that answer and a
    quote; grouped by place or blockage when asked. Ties go to the record holding more of the
    question's words (BM25), then to the order found."""
    ctx = Context(kb, it)
    ctx.candidates(sorted(r["rowid"] for r in records if r.get("rowid") is not None))

    def order(rec: dict) -> float:
        rowid = rec.get("rowid")
        return -ctx.relevance.get(rowid, 0.0) if rowid is not None else 0.0

    scored = sorted(((-score(it, rec, ctx)[0], rec.get("rowid") or 0, n, rec) for n, rec in enumerate(records)),
                    key=lambda x: x[:3])
    short = [rec for *_, rec in (scored[:max(SHORTLIST, limit)] if limit else scored)]
    ctx.relevant([r["rowid"] for r in short if r.get("rowid") is not None])
    whole = _whole(kb, short)
    rescored = []
    for n, (light, rec) in enumerate(zip(short, whole)):
        rec["rowid"] = light["rowid"]
        s, figs = score(it, rec, ctx)
        rec["score"] = round(s, 2)
        rescored.append((-s, order(rec), n, rec, figs))
    rescored.sort(key=lambda x: x[:3])
    if limit is not None:
        rescored = rescored[:limit]
    out = []
    for *_, rec, figs in rescored:
        rec.pop("rowid", None)
        row = shape.row(rec) if not rec.get("term") else rec
        row["answer"] = {"figures": [{k: v for k, v in f.items() if k != "_score"} for f in figs[:3]],
                         "quote": quote(rec, ctx.needles, figs)}
        out.append(row)
    if len(it.entities) > 1:
        out = _in_turn(it.entities, out)
    if it.group_by or it.compare:
        out = grouped(kb, it, out)
    return out


def _in_turn(entities: list[str], records: list[dict]) -> list[dict]:
    """Records of several organisations named, each organisation's best in turn (天津大学 and 南开大学: the
    first of each, then the second of each ...), records naming them all first."""
    keys = [fold(e) for e in entities]
    buckets: list[list[dict]] = [[] for _ in range(len(keys) + 1)]
    for rec in records:
        text = fold(json.dumps([rec.get("name_zh"), rec.get("name_en"), rec.get("summary_en"), rec.get("actors"),
                                [e["quote"] for e in record_evidence(rec)]], ensure_ascii=False))
        held = [n for n, k in enumerate(keys) if k in text]
        buckets[len(keys) if len(held) == len(keys) or not held else held[0]].append(rec)
    both, each = buckets[-1], buckets[:-1]
    out = list(both)
    for n in range(max(map(len, each), default=0)):
        out += [b[n] for b in each if n < len(b)]
    return out


def _whole(kb: KB, light: list[dict]) -> list[dict]:
    """The light records made whole, in their order (a vocabulary term as a record-like item)."""
    recs = [r for r in light if not r.get("term")]
    made = iter(kb.records_from_rows(kb.docs([(r["rowid"], r["kind"]) for r in recs])))
    return [term_record(kb, r["id"]) if r.get("term") else next(made) for r in light]


def term_record(kb: KB, tid: str) -> dict:
    return kb.term_record(tid)


def grouped(kb: KB, it: Interpretation, records: list[dict]) -> list[dict]:
    """Records grouped by place, or by the blockage they address (in the order of each group's best record);
    ``group`` names the place or blockage. A comparison groups by the places it names."""
    groups: dict[str, list[dict]] = {}
    for rec in records:
        if it.group_by == "blockage":
            place = rec["addresses"][0]["id"] if rec.get("addresses") else None
        elif it.compare and it.regions:
            place = _named_place(kb, rec, it.regions)
        else:
            place = _place(kb, rec, it.group_by or "region")
        rec["group"] = kb.mini(place) if place else None
        groups.setdefault(place or "", []).append(rec)
    return [r for g in groups.values() for r in g]


def _named_place(kb: KB, rec: dict, named: list[str]) -> str | None:
    for t in rec.get("regions", []):
        for tid in [t["id"], *kb.ancestors(t["id"])]:
            if tid in named:
                return tid
    return rec["regions"][0]["id"] if rec.get("regions") else None


def _place(kb: KB, rec: dict, level: str) -> str | None:
    regions = [t["id"] for t in rec.get("regions", [])]
    if not regions:
        return None
    if level == "region":
        return regions[0]
    wanted = set(CITY_LEVELS) if level == "city" else {level}
    for rid in regions:
        for tid in [rid, *kb.ancestors(rid)]:
            if kb.terms.get(tid, {}).get("level") in wanted:
                return tid
    return regions[0]

