"""What a question asks, as filters: its places, terms, named records and organisations, kinds, dates,
the metric it names and whether it asks for an amount, a count, a date or a comparison. Nothing is
run here but look-ups of names (``names``)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from ...text import fold, word_key
from .. import resolve
from ..facets import Filters
from ..kb import KB, VOCAB_KIND, VOCABS
from . import names
from .basetext import records_hold
from .metrics import metric_words, metrics_named
from .question import Question
from .words import (
    AMOUNT_RE,
    ARTICLE_RE,
    CITY_LEVELS,
    DETERMINERS,
    EXTRA,
    NATIONAL,
    SHARE_RE,
    TARGET_RE,
    article_number,
)


@dataclass
class Interpretation:
    question: str
    mode: str = "query"  # query (records), figures (numbers), search (ranked text), article, or none
    regions: list[str] = field(default_factory=list)
    mechanisms: list[str] = field(default_factory=list)
    instruments: list[str] = field(default_factory=list)
    blockages: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    since: str | None = None
    until: str | None = None
    metrics: list[str] = field(default_factory=list)
    suggested: list[str] = field(default_factory=list)  # metrics whose label the question's words hold: ranked
    words: list[str] = field(default_factory=list)  # its English words and its Chinese metric words in English
    records: list[str] = field(default_factory=list)  # records the question names
    entities: list[str] = field(default_factory=list)  # names the base's text holds (南开大学): the subject
    text: list[str] = field(default_factory=list)  # other words the base's text holds: they narrow too
    missing: list[dict[str, Any]] = field(default_factory=list)  # places and names the base does not hold
    money: bool = False
    share: bool = False  # the question asks for a rate, share or growth
    amount: bool = False
    count: bool = False
    compare: bool = False
    group_by: str | None = None  # "city", "province", "country", "region" or "blockage"
    when: bool = False  # the question asks when
    why: bool = False  # the question asks why (its causes: blockages)
    target: bool = False  # the question asks about a target (目标, aim, by 2025)
    problem: bool = False  # the question asks what is wrong (问题, 短板, holds back)
    remedy: bool = False  # the question asks what is done about a problem (解决, overcome)
    exact: bool = False  # 全国/national: the country itself, not the places within it
    article: int | None = None  # 第十四条, article 14: an article of the law the question names
    prefer_records: list[str] = field(default_factory=list)  # records named beside other filters: ranked first
    matches: int = 0  # records the command finds (the answer shows the best of them)
    match: str = "exact"  # exact, partial or none
    dropped: list[str] = field(default_factory=list)  # what the answer could not honour, in words
    recognised: list[dict[str, Any]] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    added_funding: bool = False
    prefer: list[str] = field(default_factory=list)  # terms named with money words: ranked first, not filtered
    soft: list[str] = field(default_factory=list)  # words of parts left out: still used for ranking
    out_of_scope: list[str] = field(default_factory=list)  # topics the base leaves out that the question names

    def filters(self) -> Filters:
        return Filters(regions=list(self.regions), mechanisms=list(self.mechanisms),
                       instruments=list(self.instruments), blockages=list(self.blockages), kinds=list(self.kinds),
                       levels=list(self.levels), exact=self.exact, text=list(self.text),
                       since=self.since if self.mode == "query" else None,
                       until=self.until if self.mode == "query" else None)

    @property
    def as_of(self) -> str | None:
        if self.since is None and self.until is None:
            return None
        if self.since == self.until:
            return self.since
        return f"{self.since or '1900'}/{self.until or '2099'}"

    @property
    def topical(self) -> bool:
        return any([self.mechanisms, self.instruments, self.blockages, self.metrics])

    @property
    def anchored(self) -> bool:
        """Whether anything says what the question is about (not only how it asks)."""
        return any([self.regions, self.mechanisms, self.instruments, self.blockages, self.metrics, self.records,
                    self.entities, self.text, self.kinds, self.levels, self.since, self.until,
                    self.group_by == "blockage"])

    def command(self) -> str:
        if self.mode == "none":
            return "-"
        if self.mode == "article":
            return shlex.join(["kb", "show", f"{self.records[0]}#art{self.article}"])
        if self.mode == "search":
            return shlex.join(["kb", "search", " ".join(self.unused) or self.question])
        if self.mode == "blockages":
            return shlex.join(["kb", "list", "blockages"])
        named_only = self.records and not any([self.mechanisms, self.instruments, self.blockages, self.metrics])
        if named_only and self.mode != "figures":
            return shlex.join(["kb", "show", self.records[0]])
        argv = ["kb", "figures" if self.mode == "figures" else "query"]
        if self.mode == "figures" and named_only:
            for rid in self.records:
                argv += ["--record", rid]
        for vocab in VOCABS:
            for tid in getattr(self, vocab):
                argv += [f"--{VOCAB_KIND[vocab]}", tid]
        if self.exact and self.regions:
            argv.append("--exact")
        for level in self.levels:
            argv += ["--level", level]
        for kind in self.kinds:
            argv += ["--kind", kind]
        for t in [*self.entities, *self.text]:
            argv += ["--text", t]
        if self.mode == "figures":
            for metric in self.metrics:
                argv += ["--metric", metric]
            if self.as_of:
                argv += ["--as-of", self.as_of]
        else:
            if self.since:
                argv += ["--since", self.since]
            if self.until:
                argv += ["--until", self.until]
        return shlex.join(argv)

    def to_json(self) -> dict:
        out: dict[str, Any] = {"match": self.match, "dropped": list(self.dropped), "command": self.command(),
                               "mode": self.mode}
        for k in ("regions", "mechanisms", "instruments", "blockages", "kinds", "levels", "metrics", "suggested", "records",
                  "entities", "text", "missing", "out_of_scope"):
            out[k] = list(getattr(self, k))
        out.update({"matches": self.matches,
                    "since": self.since, "until": self.until, "group_by": self.group_by, "exact": self.exact,
                    "when": self.when, "why": self.why, "problem": self.problem, "remedy": self.remedy,
                    "article": self.article, "compare": self.compare,
                    "intent": {"money": self.money, "amount": self.amount, "count": self.count},
                    "recognised": self.recognised, "unused": self.unused, "notes": self.notes})
        return out


def interpret(kb: KB, question: str | Question) -> Interpretation:
    """What the question asks, as filters (nothing is run here but look-ups of names)."""
    q = question if isinstance(question, Question) else Question.read(question)
    it = Interpretation(q.raw)
    it.since, it.until = q.since, q.until
    for expr in q.dates:
        it.recognised.append({"text": expr, "as": "date", "since": it.since, "until": it.until})
    funding_family = set(kb.descendants.get("funding", ["funding"]))
    extra = dict(EXTRA)
    for k, v in resolve.scope_words(kb).items():
        extra[k] = v + extra.get(k, [])
    pieces = resolve.segment(kb, q.text, extra=extra)
    free: list[resolve.Piece] = []
    for piece in pieces:
        tags = [t for t in piece.tags if t != "stop"]
        scope = [t for t in tags if t.startswith("scope:")]
        if scope:
            it.out_of_scope.extend(t[6:] for t in scope if t[6:] not in it.out_of_scope)
            it.recognised.append({"text": piece.text, "as": "out-of-scope", "id": scope[0][6:]})
            continue
        if piece.tags and not tags and not piece.terms:
            continue  # a question word with no meaning here
        if tags == ["money"] and _noun(q.text, piece):  # "the Xixian fund": a fund, not funding something
            tags = []
            if not piece.terms:
                free.append(piece)
                continue
        if tags:
            for tag in tags:
                _apply_tag(it, tag, piece.text)
            it.prefer.extend(t for t in piece.terms if t in funding_family)  # 补贴: funding, subsidies first
            continue
        if piece.terms:
            vocab, ids = _pick_vocab(kb, piece.terms)
            if vocab == "regions" and fold(piece.text).strip() in NATIONAL:
                it.exact = True
            target = getattr(it, vocab)
            # a name the seed declares shared by terms of several vocabularies stays a word, which the
            # resolver reads as all its terms (kb query --mechanism 首购: first-purchase or procurement)
            shared = len(ids) < len(piece.terms)
            for value in [piece.text] if shared else ids:
                if value not in target:
                    target.append(value)
            for tid in sorted(piece.terms) if shared else ids:
                it.recognised.append({"text": piece.text, "as": VOCAB_KIND[kb.terms[tid]["vocab"]], "id": tid,
                                      "name_zh": kb.terms[tid]["name_zh"], "name_en": kb.terms[tid]["name_en"],
                                      **({"shared": True} if shared else {})})
            continue
        if piece.records:
            for n, rid in enumerate(piece.records):
                if rid not in it.records:
                    it.records.append(rid)
                if n < 10:  # a name many records share: the first ten said
                    it.recognised.append({"text": piece.text, "as": "record", "id": rid})
            continue
        free.append(piece)
    names.read_free(kb, q, it, free, pieces)
    it.amount = it.amount or it.count or bool(AMOUNT_RE.search(q.folded))
    it.share = bool(SHARE_RE.search(q.folded))
    it.target = bool(TARGET_RE.search(q.folded)) or any(int(d[:4]) >= 2024 for d in (it.since, it.until) if d)
    art = ARTICLE_RE.search(q.folded)
    if art:
        it.article = article_number(art)
    others = it.regions or it.entities or it.kinds or it.topical or it.text
    placed = it.regions and _within(kb, it.records, it.regions)  # 深圳的全过程创新生态链: Shenzhen's own record
    held = it.entities and records_hold(kb, it.records, it.entities)  # the platform's ZGC Group products
    if it.records and (it.regions and not placed or it.entities and not held
                       or others and _concepts(kb, it.records)) and it.article is None:
        # a record's name beside a place or an organisation, or the name of a concept (北京的科技成果转化政策),
        # ranks that record first and its words count, but the question is about the place or organisation
        it.prefer_records, it.records = it.records, []
        for d in it.recognised:
            if d.get("as") == "record" and d["text"] not in it.soft:
                it.soft.append(d["text"])
    if it.article is not None and not _laws_named(kb, it.records + it.prefer_records):
        # "section 18 of China's transfer law", 成果转化法第十七条: the law the base cites that article of
        laws = [r[0] for r in kb.conn.execute("SELECT DISTINCT law FROM articles WHERE number = ?", (it.article,))]
        if len(laws) == 1:  # the one law the base cites that article of
            it.records.insert(0, laws[0])
            it.recognised.append({"text": "law", "as": "record", "id": laws[0]})
    if it.amount or it.count:  # a question for numbers: money in it is about the figures' unit, not a filter
        it.money = it.money and not it.amount
    if it.money and not funding_family & set(it.instruments):
        # money is the filter; another instrument named beside it (培训 in 补贴…培训) ranks instead of
        # widening the filter (values of one option are OR'd)
        for d in it.recognised:
            if d.get("as") == "instrument" and d["id"] not in funding_family and d["id"] in it.instruments:
                it.instruments.remove(d["id"])
                it.soft.append(d["text"])
                d["dropped"] = True
        it.instruments.append("funding")
        it.added_funding = True
    if it.amount or it.count:  # a metric only narrows a question for numbers
        taken = {word_key(w) for d in it.recognised if d.get("as") in ("mechanism", "instrument", "blockage", "record")
                 for w in re.findall(r"[a-z0-9]+", fold(d["text"]))}
        it.words = sorted(metric_words(q) - taken)  # the question's own words for what is counted (高校, firms)
        framing = [d["text"] for d in it.recognised if d.get("as") in ("level", "grouping")]  # cities with …
        it.metrics, it.suggested = metrics_named(kb, q, it.unused + framing)
        it.mode = "figures"
        for m in it.metrics:
            it.recognised.append({"text": m, "as": "metric", "id": m})
        for m in it.suggested:
            it.recognised.append({"text": m, "as": "metric suggested by its label", "id": m})
    places_named = [r for r in it.regions if r not in NATIONAL_IDS]
    apart = [r for r in places_named if not set(kb.ancestors(r)) & set(places_named)]
    outside = [m for m in it.missing if m["as"] == "place" and m.get("within") not in it.regions]
    if len(apart) + len(outside) >= 2:
        it.compare = True  # several places named, none within another: each is kept, and each answered
    return it


NATIONAL_IDS = frozenset(("cn",))


def _within(kb: KB, ids: list[str], regions: list[str]) -> bool:
    """Whether every record named is placed in one of the regions named (or a place within one)."""
    inside = {d for r in regions for d in kb.descendants.get(r, [r])}
    marks = ",".join("?" * len(ids))
    tagged: dict[str, set[str]] = {i: set() for i in ids}
    for rec, term in kb.conn.execute(
            f"SELECT record, term FROM record_terms WHERE vocab = 'regions' AND record IN ({marks})", ids):
        tagged[rec].add(term)
    return all(t & inside for t in tagged.values())


def _laws_named(kb: KB, ids: list[str]) -> bool:
    if not ids:
        return False
    marks = ",".join("?" * len(ids))
    return bool(kb.conn.execute(f"SELECT 1 FROM records WHERE kind = 'law' AND id IN ({marks})", ids).fetchone())


def _concepts(kb: KB, ids: list[str]) -> bool:
    """Whether every record named is a concept (科技成果转化: a word more than a thing)."""
    marks = ",".join("?" * len(ids))
    return all(r[0] == "concept" for r in kb.conn.execute(
        f"SELECT COALESCE(category, '') FROM records WHERE id IN ({marks})", ids))


def _noun(text: str, piece: resolve.Piece) -> bool:
    """Whether an English money word is a noun here: after a determiner, perhaps with a name between
    ('the Xixian fund', 'its funds')."""
    if not piece.text.isascii():
        return False
    before = re.findall(r"[a-z0-9']+", text[:piece.start].lower())[-3:]
    return any(w in DETERMINERS for w in before) and not any(w in ("does", "do", "did") for w in before)


def _apply_tag(it: Interpretation, tag: str, text: str) -> None:
    kind, _, value = tag.partition(":")
    if kind == "kind" and value not in it.kinds:
        it.kinds.append(value)
        it.recognised.append({"text": text, "as": "kind", "id": value})
    elif kind == "kinds":  # 做法, measures: what is done, in any form but a model
        it.kinds.extend(k for k in ("practice", "pilot", "law") if k not in it.kinds)
        it.recognised.append({"text": text, "as": "kind", "id": "practice, pilot, law"})
    elif kind == "group" and value == "blockage":
        it.group_by = "blockage"
        it.recognised.append({"text": text, "as": "grouping", "id": "blockage"})
    elif kind == "when":
        it.when = True
        it.recognised.append({"text": text, "as": "when"})
    elif kind == "level":
        levels = CITY_LEVELS if value == "city" else [value]
        it.levels.extend(lv for lv in levels if lv not in it.levels)
        it.group_by = value
        it.recognised.append({"text": text, "as": "level", "id": value})
    elif kind == "group":
        it.group_by = it.group_by or "region"
        it.recognised.append({"text": text, "as": "grouping", "id": "region"})
    elif kind in ("why", "problem", "remedy"):
        setattr(it, kind, True)
        it.recognised.append({"text": text, "as": kind})
    elif kind == "compare":
        it.compare = True
        it.recognised.append({"text": text, "as": "comparison"})
    elif kind in ("money", "amount", "count"):
        setattr(it, kind, True)
        it.recognised.append({"text": text, "as": kind})


def _pick_vocab(kb: KB, ids: list[str]) -> tuple[str, list[str]]:
    """A name shared by terms of several vocabularies counts in one: regions, then blockages,
    mechanisms, instruments."""
    for vocab in ("regions", "blockages", "mechanisms", "instruments"):
        mine = [t for t in ids if kb.terms[t]["vocab"] == vocab]
        if mine:
            return vocab, mine
    return "mechanisms", ids  # pragma: no cover - every term has a vocabulary
