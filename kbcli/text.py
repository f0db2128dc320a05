"""Text folding and tokenising shared by matching, search and quote checks.

* ``fold`` is for matching names and search text: NFKC, traditional to
  simplified Chinese, case-folded.
* ``fold_quote`` is for verbatim quote checks: NFKC with all whitespace
  removed, script untouched (a traditional quote must stay traditional).
* ``pair_text`` writes Chinese text for the full-text index so that its
  tokenizer sees overlapping bigrams of each run of Chinese characters (the
  scheme of Lucene's CJK analyzer) plus single characters at the run's ends;
  ``query_parts`` splits a query the same way.
* ``clean`` makes text safe to print: control characters, bidirectional
  overrides and invisible formatting characters become visible escapes.
  Everything kb prints goes through it: data cells, headers, citations, and
  every message on stderr (``say``).
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from array import array
from functools import lru_cache
from pathlib import Path
from typing import Any

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_WS_RE = re.compile(r"\s+")
# Characters that change what a terminal or editor shows without being seen themselves:
# bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069: the
# "Trojan Source" characters) and the implicit direction marks (U+061C, U+200E, U+200F);
# line and paragraph separators (U+2028, U+2029), which some terminals and editors break
# lines on; zero-width spaces and joiners that hide text (U+200B, U+2060-U+2064, U+FEFF;
# not ZWJ/ZWNJ, which scripts and emoji need); deprecated format controls (U+206A-U+206F);
# interlinear annotation controls (U+FFF9-U+FFFB); and the invisible tag characters
# (U+E0000-U+E007F), used to smuggle hidden text.
INVISIBLE = ((0x061C, 0x061C), (0x200B, 0x200B), (0x200E, 0x200F), (0x2028, 0x202E), (0x2060, 0x2064),
             (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0xE0000, 0xE007F))
_INVISIBLE_CLASS = "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in INVISIBLE)
# C0 and C1 controls and DEL, except tab and newline, and the invisible characters above.
_CONTROL_RE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE_CLASS}]")
_CONTROL_ALL_RE = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE_CLASS}]")


@lru_cache(maxsize=1)
def _t2s() -> tuple[dict[str, str], frozenset]:
    text = (Path(__file__).parent / "data" / "t2s.txt").read_text(encoding="utf-8")
    trad, simp = [line for line in text.splitlines() if line and not line.startswith("#")]
    return dict(zip(trad, simp)), frozenset(trad)


def to_simplified(s: str) -> str:
    """Traditional characters to simplified. Most text has none, so look for them first:
    a set intersection runs in C, where ``str.translate`` with a dict looks up every character."""
    table, trad = _t2s()
    found = trad.intersection(s)
    for ch in found:
        s = s.replace(ch, table[ch])
    return s


def fold(s: str) -> str:
    """Normalise for matching: NFKC, traditional->simplified, case-folded."""
    if s.isascii():
        return s.casefold()
    if not unicodedata.is_normalized("NFKC", s):
        s = unicodedata.normalize("NFKC", s)
    return to_simplified(s).casefold()


def pair_text(s: str) -> str:
    """Chinese text for the FTS index: every adjacent pair of folded characters, space-separated.

    The index's tokenizer then splits pairs that hold a space or punctuation, which
    leaves exactly the overlapping bigrams of each run of Chinese characters plus the
    run's last character on its own: 概念验证。 -> 概念 念验 验证 证。 -> 概念 念验 验证 证.
    Spaces inside a text are dropped (quotes are compared without whitespace too);
    newlines keep texts apart. A sentinel newline gives the text's last character its pair.

    The pairs are laid out as code points in an array, three to a pair (first, second,
    space), by two strided copies: as fast again as ``" ".join(map(str.__add__, t, t[1:]))``,
    which makes a string per pair (the build writes every quote this way).
    """
    if _fold_needed().intersection(s):  # traditional characters or full-width letters and digits
        s = fold(s)
    elif not s.isascii():
        s = s.casefold()
    t = _INLINE_SPACE_RE.sub("", s) + "\n"
    n = len(t) - 1
    if not n:
        return ""
    chars = array("I", t.encode(_UTF32))
    out = _SPACE32 * (3 * n - 1)
    out[0::3] = chars[:-1]
    out[1::3] = chars[1:]
    return out.tobytes().decode(_UTF32)


_UTF32 = "utf-32-le" if sys.byteorder == "little" else "utf-32-be"  # code points as the machine's 32-bit integers
_SPACE32 = array("I", [32])
assert _SPACE32.itemsize == 4


_INLINE_SPACE_RE = re.compile(r"[^\S\n]+")  # spaces the PDF extraction put inside Chinese sentences
# Characters that folding changes in a way the index's tokenizer would not: traditional
# characters and full-width letters and digits (full-width punctuation is a separator anyway).
# Compiled on first use: the expressions with the Han ranges cost milliseconds to compile,
# and most runs of `kb` never need them (start-up time is a feature).
@lru_cache(maxsize=1)
def _fold_needed() -> frozenset:
    return _t2s()[1] | frozenset(chr(c) for c in range(0xFF10, 0xFF5B) if chr(c).isalnum())


@lru_cache(maxsize=1)
def _han_re() -> re.Pattern:
    return re.compile(f"[{HAN}]")


@lru_cache(maxsize=1)
def _token_re() -> re.Pattern:
    return re.compile(rf"([{HAN}]+)|([^\W_{HAN}]+)")


def has_han(s: str) -> bool:
    return _han_re().search(s) is not None


_LOOSE_RE = re.compile(r"[\s\-_./'’·,，、()（）]+")
_LATIN_WORD_RE = re.compile(r"[a-z]+")
# Word-level variants folded to one spelling: US and British spellings, short forms.
_WORD_VARIANTS = {"center": "centre", "tech": "technology", "program": "programme", "license": "licence",
                  "labor": "labour", "favor": "favour"}
_NO_PLURAL = ("ss", "us", "is", "ics")


def word_key(w: str) -> str:
    """One English word in its matching form: singular, one spelling (centres -> centre,
    subsidies -> subsidy, tech -> technology, organization -> organisation)."""
    if len(w) > 3 and w.endswith("s") and not w.endswith(_NO_PLURAL):
        if w.endswith("ies") and len(w) > 4:
            w = w[:-3] + "y"
        elif w.endswith(("sses", "xes", "ches", "shes")):
            w = w[:-2]
        else:
            w = w[:-1]
    w = _WORD_VARIANTS.get(w, w)
    if "iz" in w:
        w = w.replace("organiz", "organis").replace("standardiz", "standardis").replace("subsidiz", "subsidis")
    return w


def loose(s: str) -> str:
    """A key for matching names: folded; English words singular and in one spelling; without
    spaces, hyphens or brackets. ``Proof-of-concept centers`` and ``proof of concept centre``
    give one key, as do ``tech brokers`` and ``technology broker``."""
    f = fold(s)
    if _LATIN_WORD_RE.search(f):
        f = _LATIN_WORD_RE.sub(lambda m: word_key(m.group()), f)
    return _LOOSE_RE.sub("", f)


def fold_quote(s: str) -> str:
    """Normalise for verbatim comparison: NFKC and no whitespace."""
    return _WS_RE.sub("", unicodedata.normalize("NFKC", s))


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
        for han, word in _token_re().findall(chunk):
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


def fmt_number(v) -> str:
    """A number as printed: integral floats without '.0', None as ''."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v)


def has_control(s: str) -> bool:
    """Whether ``s`` holds a character ``clean`` would escape (tab and newline aside)."""
    return bool(_CONTROL_RE.search(s))


def _escape(m: re.Match) -> str:
    c = ord(m.group())
    if c <= 0xFF:
        return f"\\x{c:02x}"
    return f"\\u{c:04x}" if c <= 0xFFFF else f"\\U{c:08x}"


def clean(s: str, keep_newlines: bool = True) -> str:
    """Replace control and invisible formatting characters with visible escapes such as
    ``\\x1b`` or ``\\u202e``; with ``keep_newlines`` (the default) tab and newline stay."""
    rx = _CONTROL_RE if keep_newlines else _CONTROL_ALL_RE
    if not rx.search(s):
        return s
    return rx.sub(_escape, s)


def say(message: str) -> None:
    """Print one message line on stderr, sanitised (``clean``, newlines escaped too).

    Every message kb prints goes through here. A closed or broken stderr loses the
    message: it never falls back to stdout, and it never raises."""
    stream = sys.stderr
    if stream is None:  # started with stderr closed
        return
    try:
        stream.write(clean(str(message), keep_newlines=False) + "\n")
        stream.flush()
    except (OSError, ValueError):  # EPIPE, EBADF, a closed file object
        pass


# ---------------------------------------------------------------- JSON as kb prints it
def _json_escapes() -> dict[int, str]:
    """DEL, C1 controls and the invisible characters ``clean`` escapes, as JSON \\u escapes
    (astral ones as surrogate pairs): json leaves them raw, and they decode back unchanged."""
    table = {c: f"\\u{c:04x}" for c in range(0x7F, 0xA0)}
    for lo, hi in INVISIBLE:
        for c in range(lo, hi + 1):
            v = c - 0x10000
            table[c] = f"\\u{c:04x}" if c <= 0xFFFF else f"\\u{0xD800 + (v >> 10):04x}\\u{0xDC00 + (v & 0x3FF):04x}"
    return table


_JSON_ESCAPES = _json_escapes()


_JSON_UNSAFE_RE = re.compile("[" + "".join(
    chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ((0x7F, 0x9F), *INVISIBLE)) + "]")


def json_safe(s: str) -> str:
    """JSON text with DEL, C1 controls and invisible formatting characters escaped (json leaves them
    raw). Most text holds none: a search in C finds that out before any translation."""
    return s.translate(_JSON_ESCAPES) if _JSON_UNSAFE_RE.search(s) else s


_JSON_LINE_ESCAPES = {**_JSON_ESCAPES, **{c: f"\\u{c:04x}" for c in range(0x20)}}


def json_line_safe(line: str) -> str:
    """A line of JSON made earlier (and stored: ``record_docs.json``) as ``json_safe`` would print it, and
    with control characters escaped too (json.dumps never writes them raw: a line holding one was not
    made by kb). Nearly every line is printable as it is, which ``str.isprintable`` tells in C at about
    1 ns a character (a regular expression took three times as long)."""
    return line if line.isprintable() else line.translate(_JSON_LINE_ESCAPES)


_ONE_LINE = json.JSONEncoder(ensure_ascii=False, default=str)  # json.dumps makes one per call: a third of its time


def json_dumps(obj: Any, indent: int | None = 2) -> str:
    """JSON as kb prints it: UTF-8 text, with what ``json_safe`` escapes escaped."""
    if indent is None:
        s = _ONE_LINE.encode(obj)
        return s if s.isprintable() else json_safe(s)
    return json_safe(json.dumps(obj, ensure_ascii=False, indent=indent, default=str))
