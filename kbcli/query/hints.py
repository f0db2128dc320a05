"""Why a result is empty (or partial), in words a user can act on: the closest terms to the words
the base does not know, the topics it leaves out on purpose, and how many records each filter finds
on its own."""

from __future__ import annotations

import re

from .facets import Filters, where_clause
from .kb import KB, VOCAB_KIND, VOCABS
from .resolve import out_of_scope, segment, suggest
from .search import STOPWORDS


def scope_notes(kb: KB, text: str) -> list[str]:
    return [f"{t['topic_en']} ({t['topic_zh']}) is outside the base: {t['reason']}" for t in out_of_scope(kb, text)]


def unknown_words(kb: KB, text: str) -> list[str]:
    """The words of ``text`` that name nothing the base knows, each with its closest terms."""
    out = []
    for piece in segment(kb, text):
        if piece.known:
            continue
        words = [piece.text] if piece.han else re.findall(r"[^\W_]+", piece.text)
        for w in words:
            if w.casefold() in STOPWORDS or (w.isdigit()):
                continue
            close = suggest(kb, w, n=3)
            if close:
                out.append(f"{w!r} is not a term of the base; closest: {', '.join(close)}")
    return out


def empty_search(kb: KB, text: str) -> list[str]:
    lines = [f"no record matches {text!r}"] + scope_notes(kb, text) + unknown_words(kb, text)
    return lines


def partial_search(text: str, records: list[dict], n_parts: int) -> list[str]:
    """When no record matches every part of a query, say so: the results match only some."""
    if n_parts < 2 or not records or len(records[0].get("matched", [])) >= n_parts:
        return []
    if (records[0].get("match") or {}).get("field") == "figure":  # a value or a figure's label: found whole
        return []
    return [f"no record matches every part of {text!r}; these match some of them (best first)"]


def empty_query(kb: KB, f: Filters) -> list[str]:
    """Each filter on its own: how many records it finds, so the user sees which combination is empty."""
    counts, more = [], []
    for vocab in VOCABS:
        for v in getattr(f, vocab):
            alone = Filters(exact=f.exact)
            setattr(alone, vocab, [v])
            counts.append(f"--{VOCAB_KIND[vocab]} {v}: {_count(kb, alone)}")
    for k in f.kinds:
        counts.append(f"--kind {k}: {_count(kb, Filters(kinds=[k]))}")
    for lv in f.levels:
        counts.append(f"--level {lv}: {_count(kb, Filters(levels=[lv]))}")
    for t in f.text:
        counts.append(f"--text {t}: {_count(kb, Filters(text=[t]))}")
        more.extend(scope_notes(kb, t) + unknown_words(kb, t))
    if f.dated:
        counts.append(f"--since/--until: {_count(kb, Filters(since=f.since, until=f.until))}")
    head = "no record matches every filter; records per filter alone: " + "; ".join(counts) if len(counts) > 1 \
        else "no record matches"
    return [head, *more]


def _count(kb: KB, f: Filters) -> int:
    where, params = where_clause(kb, f)
    return kb.conn.execute(f"SELECT COUNT(*) FROM records r WHERE {where}", params).fetchone()[0]
