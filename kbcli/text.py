"""Text folding and tokenising shared by matching, search and quote checks.

* ``fold`` is for matching names and search text: NFKC, traditional to
  simplified Chinese, case-folded.
* ``fold_quote`` is for verbatim quote checks: NFKC with all whitespace
  removed, script untouched (a traditional quote must stay traditional).
* ``search_tokens`` turns text into the tokens stored in the full-text index:
  overlapping bigrams for runs of Chinese characters (the scheme of Lucene's
  CJK analyzer) plus the run's last character on its own, and words for
  everything else.
* ``clean`` makes data safe to print: control characters become visible.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_TOKEN_RE = re.compile(rf"([{HAN}]+)|([^\W_]+)")
_WS_RE = re.compile(r"\s+")
# C0 and C1 controls and DEL, except tab and newline.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_ALL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, int]:
    text = (Path(__file__).parent / "data" / "t2s.txt").read_text(encoding="utf-8")
    trad, simp = [line for line in text.splitlines() if line and not line.startswith("#")]
    return str.maketrans(trad, simp)


def to_simplified(s: str) -> str:
    return s.translate(_t2s_table())


def fold(s: str) -> str:
    """Normalise for matching: NFKC, traditional->simplified, case-folded."""
    s = unicodedata.normalize("NFKC", s)
    if not s.isascii():
        s = s.translate(_t2s_table())
    return s.casefold()


_SPELLING = (("center", "centre"), ("organiz", "organis"))
_LOOSE_RE = re.compile(r"[\s\-_./'’·,，、()（）]+")
_PROGRAM_RE = re.compile(r"programme?")


def loose(s: str) -> str:
    """A key for matching names: folded, without spaces, hyphens or brackets, British spellings."""
    k = _LOOSE_RE.sub("", fold(s))
    if k.isascii():
        for a, b in _SPELLING:
            k = k.replace(a, b)
        k = _PROGRAM_RE.sub("programme", k)
    return k


def fold_quote(s: str) -> str:
    """Normalise for verbatim comparison: NFKC and no whitespace."""
    return _WS_RE.sub("", unicodedata.normalize("NFKC", s))


def search_tokens(s: str) -> list[str]:
    """Index tokens: CJK bigrams (+ each run's last character), other words."""
    out: list[str] = []
    for han, word in _TOKEN_RE.findall(fold(s)):
        if han:
            n = len(han)
            if n > 1:
                out.extend([han[i : i + 2] for i in range(n - 1)])
            out.append(han[-1])
        else:
            out.append(word)
    return out


def query_parts(s: str) -> list[list[tuple[str, bool]]]:
    """Split a search query into phrases of (token, is_prefix) pairs.

    Each whitespace-separated chunk becomes one phrase. A Chinese run of two
    or more characters becomes its bigrams; a single Chinese character becomes
    a prefix token, which matches both the bigrams it starts and a run's last
    character.
    """
    phrases: list[list[tuple[str, bool]]] = []
    for chunk in fold(s).split():
        phrase: list[tuple[str, bool]] = []
        for han, word in _TOKEN_RE.findall(chunk):
            if han:
                if len(han) == 1:
                    phrase.append((han, True))
                else:
                    phrase.extend((han[i : i + 2], False) for i in range(len(han) - 1))
            else:
                phrase.append((word, False))
        if phrase:
            phrases.append(phrase)
    return phrases


def has_control(s: str) -> bool:
    return bool(_CONTROL_RE.search(s))


def clean(s: str, keep_newlines: bool = True) -> str:
    """Replace control characters with visible escapes such as ``\\x1b``."""
    rx = _CONTROL_RE if keep_newlines else _CONTROL_ALL_RE
    if not rx.search(s):
        return s
    return rx.sub(lambda m: "\\x%02x" % ord(m.group()), s)
