"""A question read once: its text without punctuation, folded (NFKC, simplified script, case-folded)
once, its dates taken out. Every later step uses these, never the raw question again."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ...text import fold, word_key
from .words import ARTICLE_RE, read_dates

_PUNCT = re.compile(r"[?？!！。.,，、;；:：\"“”'‘’()（）《》〈〉「」『』【】]+")
_EN_WORD = re.compile(r"[a-z0-9]+(?:&[a-z0-9]+)?")


@dataclass
class Question:
    raw: str
    text: str = ""  # punctuation as spaces, dates taken out (what is segmented)
    folded: str = ""  # the whole question folded, punctuation as spaces (what patterns are matched on)
    since: str | None = None
    until: str | None = None
    dates: list[str] = field(default_factory=list)
    words: frozenset[str] = frozenset()  # its English words in their matching form (word_key), R&D as rd

    @classmethod
    def read(cls, raw: str) -> Question:
        q = cls(raw)
        nfkc = unicodedata.normalize("NFKC", raw)
        # "Art. 9", "U.S." keep their dots for the article pattern; punctuation elsewhere separates words
        spaced = _PUNCT.sub(" ", nfkc)
        q.folded = fold(nfkc)
        q.text, q.since, q.until, q.dates = read_dates(spaced)
        q.text = ARTICLE_RE.sub(" ", q.text)  # 第九條, Art. 9: read as the article asked, not as words
        words = _EN_WORD.findall(fold(q.text).replace("r&d", "rd"))
        q.words = frozenset(word_key(w) for w in words)
        return q
