"""Which of a record's figures answer the question, and which quote supports the answer."""

from __future__ import annotations

import re
from functools import lru_cache

from ...dates import date_range
from ...text import fold, word_key
from ..kb import record_evidence
from .interpret import Interpretation
from .words import MONEY_UNITS


def overlaps(period: str, since: str | None, until: str | None) -> bool:
    a, b = date_range(period)
    return (since is None or b >= date_range(since)[0]) and (until is None or a <= date_range(until)[1])


def answer_figures(it: Interpretation, rec: dict, needles: list[str], words: set[str]) -> list[dict]:
    """The record's figures that answer the question, best first (none when it asks for no number,
    names no date and has no money in it). What the question asks about weighs most: its metric, then the
    words it uses that name no term (成交额, 研发投入强度), then the period, then the kind of unit.
    ``needles`` are the question's words folded, ``words`` those of them no term names."""
    asked = it.amount or it.count or it.money or it.since or it.until or it.metrics
    out = []
    for f in rec.get("figures", []):
        if it.mode == "figures" and ((it.metrics and f["metric"] not in it.metrics) or (
                (it.since or it.until) and not (f.get("as_of") and overlaps(f["as_of"], it.since, it.until)))):
            continue  # the figures the printed command returns, no others
        s = 0.0
        money = f["unit"] in MONEY_UNITS
        if f["metric"] in it.metrics or f["metric"] in it.suggested:
            s += 4
        percent = f["unit"] == "percent"
        if it.share:
            s += 2 if percent else 0
        elif it.count:
            s += 2 if not money and not percent else 0
        elif it.money or it.amount:
            s += 2 if money else 0
        if word_key(f["unit"]) in it.words:
            s += 2  # 多少高校: a number of universities
        if percent and not it.share:
            s -= 1  # a growth rate or share answers only a question about one
        if f.get("qualifier") == "target" and not it.target:
            s -= 1.5  # a target answers a question about what is planned, not about what is
        if it.since or it.until:
            if f.get("as_of") and overlaps(f["as_of"], it.since, it.until):
                s += 2
            elif f.get("as_of"):
                s -= 2
        text = _figure_text(f["metric"], f.get("label_en") or "", f["original"],
                            tuple(e["quote"] for e in f["evidence"]))
        said = sum(_overlap_cached(n, text) * (3 if n in words else 1) for n in needles)
        if not asked:  # no number asked: a figure shows when the question's own words name it
            named = _figure_text("", f.get("label_en") or "", f["original"], ())
            said = sum(_overlap_cached(n, named) for n in words) + sum(
                _overlap_cached(n, text) for n in words if len(n) >= 4)
            if said >= 1.5:
                out.append(dict(f, _score=said))
            continue
        s += said
        if s > 0:
            out.append(dict(f, _score=s))
    out.sort(key=lambda f: -f["_score"])
    return out


@lru_cache(maxsize=8192)
def _figure_text(metric: str, label: str, original: str, quotes: tuple[str, ...]) -> str:
    """A figure's words, folded (cached: at scale the same figures' texts come again and again)."""
    return fold(" ".join([metric.replace("-", " "), label, original, *quotes]))


@lru_cache(maxsize=65536)
def _overlap_cached(needle: str, text: str) -> float:
    return overlap(needle, text)


def overlap(needle: str, text: str) -> float:
    """How much of a question's word stands in a text: 1 when whole; for a Chinese phrase of three or more
    characters, the share of its character pairs found (研发投入强度 in 研发经费投入强度), when at least half."""
    squeezed, pairs = _pairs(needle)
    if len(squeezed) < 2:
        return 0.0  # one character (量, 家) says nothing about which figure is meant
    if needle in text:
        return 1.0
    if not pairs:
        return 0.0
    share = sum(1 for p in pairs if p in text) / len(pairs)
    return share if share >= 0.5 else 0.0


@lru_cache(maxsize=256)
def _pairs(needle: str) -> tuple[str, frozenset]:
    """A word without spaces, and its character pairs when it is Chinese of three characters or more."""
    squeezed = re.sub(r"\s+", "", needle)
    if len(squeezed) < 3 or squeezed.isascii():
        return squeezed, frozenset()
    return squeezed, frozenset(squeezed[i:i + 2] for i in range(len(squeezed) - 1))


def quote(rec: dict, needles: list[str], figs: list[dict] | None = None) -> dict | None:
    """One supporting quote: the best figure's, else the quote holding most of the question's words and the
    names of the terms it names (in the order the record gives them when none does)."""
    if figs and figs[0]["evidence"]:
        return figs[0]["evidence"][0]
    best, hits = None, 0.0
    for e in record_evidence(rec):
        text = fold(e["quote"])
        n = sum(overlap(x, text) for x in needles)
        if n > hits:
            best, hits = e, n
    if best is not None:
        return best
    return rec["evidence"][0] if rec.get("evidence") else None
