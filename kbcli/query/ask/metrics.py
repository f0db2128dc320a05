"""The metric a question names: in English words (technology contract turnover, R&D intensity) or in
Chinese (技术合同成交额, 转化率, 产业化率) through the English words metric ids and labels are made of."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from ...text import fold, word_key
from ..kb import KB
from .words import METRIC_SYNONYMS, METRIC_WORDS, QUESTION_WORDS

if TYPE_CHECKING:
    from .question import Question

_STOP = frozenset(w for w, tag in QUESTION_WORDS.items() if tag == "stop")

def _metric_table(kb: KB) -> list[tuple[str, frozenset[str], frozenset[str]]]:
    """Every metric with the words of its id and of its labels (cached: a few hundred, whatever the size)."""
    cache = kb.__dict__.get("_ask_metrics")
    if cache is None:
        labels: dict[str, set[str]] = {}
        for metric, label in kb.conn.execute("SELECT DISTINCT metric, label_en FROM figures"):
            words = labels.setdefault(metric, set())
            words.update(word_key(w) for w in re.findall(r"[a-z0-9]+", fold(label or "").replace("r&d", "rd"))
                         if w not in _STOP)
        cache = [(m, frozenset(word_key(w) for w in m.split("-")), frozenset(ws)) for m, ws in labels.items()]
        kb.__dict__["_ask_metrics"] = cache
    return cache


@lru_cache(maxsize=1)
def metric_words_re() -> re.Pattern:
    return re.compile("|".join(sorted(map(re.escape, METRIC_WORDS), key=len, reverse=True)))


def metric_words(q: Question) -> set[str]:
    """A question's English words, their synonyms, and the English words of its Chinese metric words."""
    words = (set(q.words) | {METRIC_SYNONYMS[w] for w in q.words if w in METRIC_SYNONYMS}) - _STOP
    for hit in metric_words_re().finditer(q.folded):
        words.update(word_key(w) for w in METRIC_WORDS[hit.group()].split())
    return words


def metrics_named(kb: KB, q: Question, free: list[str]) -> tuple[list[str], list[str]]:
    """The metrics a question names: (those whose id's words it holds all of (technology contract turnover,
    R&D intensity; Chinese words through ``METRIC_WORDS``: 技术合同成交额), the most specific when one's
    words hold another's; those whose label's words it holds most of (three at least, three fifths of the
    label, one of them a word no term of the question took)). An id names a metric; a label only
    suggests one: the answer keeps the first to that metric and ranks the second first."""
    words = metric_words(q)
    free_words = {word_key(w) for x in free for w in re.findall(r"[a-z0-9]+", fold(x))}
    if len(words) < 2:
        return [], []
    by_id: list[tuple[float, str, frozenset[str]]] = []
    by_label: list[tuple[float, str]] = []
    for m, ids, label in _metric_table(kb):
        if len(ids) >= 2 and ids <= words:
            by_id.append((len(ids) + 0.6, m, ids))
        common = len(label & words)
        ratio = common / len(label) if label else 0
        if common >= 3 and ratio >= 0.6 and label & free_words:
            by_label.append((common + ratio / 2, m))
    top_label = max((s for s, _ in by_label), default=0.0)
    labelled = sorted(m for s, m in by_label if s == top_label)
    top_id = max((s for s, _, _ in by_id), default=0.0)
    if top_id < top_label:  # the label says more of the question than any id does
        return [], labelled
    best = [(m, ids) for s, m, ids in by_id if s == top_id]
    return sorted(m for m, ids in best if not any(ids < other for _, other in best)), labelled


def related_metrics(kb: KB, metrics: list[str]) -> list[str]:
    """Metrics whose id holds every word of one of these (technology-contract-turnover:
    target-technology-contract-turnover, technology-contract-turnover-growth ...)."""
    table = _metric_table(kb)
    named = [frozenset(word_key(w) for w in m.split("-")) for m in metrics]
    return sorted(m for m, ids, _ in table if m not in metrics and any(n < ids for n in named))
