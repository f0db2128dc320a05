"""What the base's text holds: a phrase anywhere in it (records, or a vocabulary term's names and quotes),
in the names, actors and tags of records, in how many records; and a run of Chinese cut into the longest
stretches the text holds. kb ask reads the words its vocabularies do not name through these."""

from __future__ import annotations

import re

from ...store.schema import EN_COLUMNS, FTS_TABLE, ZH_COLUMNS
from ...text import HAN, fold
from ..kb import KB
from .words import FUNCTION_CHARS


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _expr(text: str) -> str | None:
    """The index's expression for a phrase: Chinese (or letters and signs run together: 1+1+M+N) as its
    character pairs, English as words."""
    if re.search(f"[{HAN}]", text) or re.search(r"[^\w\s'’-]", text):
        t = re.sub(r"\s+", "", fold(text))
        if len(t) < 2:
            return None
        return f"{{{' '.join(ZH_COLUMNS)}}} : ({_phrase(' '.join(map(str.__add__, t, t[1:])))})"
    words = re.findall(r"[^\W_]+", text)
    return f"{{{' '.join(EN_COLUMNS)}}} : ({_phrase(' '.join(words))})" if words else None


def term_texts(kb: KB) -> list[tuple[str, str]]:
    """Every term's names, description and quotes (its figures' among them), folded: what the index of
    records does not hold (a vocabulary is small and does not grow with the records)."""
    cache = kb.__dict__.get("_ask_term_texts")
    if cache is None:
        quotes: dict[str, list[str]] = {}
        for term, quote in kb.conn.execute("SELECT term, quote FROM evidence WHERE term IS NOT NULL"):
            quotes.setdefault(term, []).append(quote)
        for term, label, original in kb.conn.execute(
                "SELECT owner, label_en, original FROM figures WHERE owner_kind = 'term'"):
            quotes.setdefault(term, []).extend(x for x in (label, original) if x)
        cache = [(tid, fold(" ".join([t["name_zh"], t["name_en"], *t["aliases"], *quotes.get(tid, ())])))
                 for tid, t in kb.terms.items()]
        kb.__dict__["_ask_term_texts"] = cache
    return cache


def occurs(kb: KB, text: str) -> bool:
    """Whether the base's text (records, or a vocabulary term's names and quotes) holds the phrase."""
    expr = _expr(text)
    if expr is None:
        return False
    if kb.conn.execute(f"SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? LIMIT 1", (expr,)).fetchone():
        return True
    needle = re.sub(r"\s+", "", fold(text)) if re.search(f"[{HAN}]", text) else fold(text)
    return any(needle in t for _, t in term_texts(kb))


_NAME_COLUMNS = "{name_zh name_en tags_zh tags_en}"


def about_rowids(kb: KB, text: str, cap: int = 5000) -> set[int]:
    """The records whose names, actors or tags hold the phrase (not only their quotes or summary)."""
    expr = _expr(text)
    if expr is None:
        return set()
    expr = _NAME_COLUMNS + " : " + expr.split(" : ", 1)[1]
    return {r[0] for r in kb.conn.execute(
        f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? LIMIT ?", (expr, cap))}


def phrase_rowids(kb: KB, text: str, cap: int = 50000) -> set[int]:
    """The records whose text holds the phrase (an organisation's name: 天津大学, not 天津 and 大学 apart)."""
    expr = _expr(text)
    if expr is None:
        return set()
    return {r[0] for r in kb.conn.execute(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? LIMIT ?",
                                          (expr, cap))}


def records_hold(kb: KB, ids: list[str], phrases: list[str]) -> bool:
    """Whether every record of ``ids`` holds every phrase in its text."""
    rowids = [r[0] for r in kb.conn.execute(
        f"SELECT rowid FROM records WHERE id IN ({','.join('?' * len(ids))})", ids)]
    for p in phrases:
        expr = _expr(p)
        if expr is None or len({r[0] for r in kb.conn.execute(
                f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? AND rowid IN ({','.join('?' * len(rowids))})",
                [expr, *rowids])}) < len(rowids):
            return False
    return bool(rowids)


def names_hold(kb: KB, text: str) -> bool:
    """Whether some record's names, actors or tags hold the phrase: a name, not a word of its text."""
    return bool(about_rowids(kb, text, 1))


def frequency(kb: KB, text: str, cap: int) -> int:
    """How many records hold the phrase, counted up to ``cap``."""
    expr = _expr(text)
    if expr is None:
        return 0
    return kb.conn.execute(f"SELECT COUNT(*) FROM (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? "
                           "LIMIT ?)", (expr, cap)).fetchone()[0]


def split_known(kb: KB, chunk: str) -> tuple[list[str], list[str]]:
    """A run of Chinese the base's names do not cover, cut into the longest stretches its text holds
    (科技創新引領產業創新有 -> 科技創新引領產業創新): each stretch as long as it can be, from the left; what no
    stretch covers is given back as lost (characters that stand alone are dropped)."""
    found: list[str] = []
    lost: list[str] = []
    n, i = len(chunk), 0
    gone = ""
    while i < n:
        if i + 2 > n or not occurs(kb, chunk[i:i + 2]):
            gone += chunk[i]
            i += 1
            continue
        lo, hi = i + 2, n  # the longest stretch from i the text holds: holding is monotone in its end
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if occurs(kb, chunk[i:mid]):
                lo = mid
            else:
                hi = mid - 1
        if len(gone.strip("".join(FUNCTION_CHARS))) > 1:
            lost.append(gone)
        gone = ""
        found.append(chunk[i:lo])
        i = lo
    if len(gone.strip("".join(FUNCTION_CHARS))) > 1:
        lost.append(gone)
    return found, lost



def records(kb: KB) -> int:
    n = kb.__dict__.get("_ask_records")
    if n is None:
        n = kb.conn.execute("SELECT MAX(rowid) FROM records").fetchone()[0] or 0
        kb.__dict__["_ask_records"] = n
    return n
