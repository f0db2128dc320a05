"""GB/T 7714-2015 (numeric) and APA 7 references, rendered from CSL-JSON items.

These follow the official CSL styles in ../shared/csl for the item types the
base holds (report, article-newspaper, article-magazine, periodical,
webpage, legislation, regulation); the client tests render the same CSL-JSON
with pandoc and those styles and compare entry by entry.

GB/T 7714-2015: ``主要责任者. 题名: 其他题名信息[文献类型标识/载体标识]. 出处项.``
with type codes [N] newspaper, [J] serial, [R] report, [EB/OL] online,
[A] laws and government documents, [Z] other; up to three names, then 等;
dates YYYY-MM-DD; the URL and access date only where a source gives a URL.

APA 7: author (or, failing one, the title or the site's publisher), date in
parentheses (n.d. when none), title, source; legal documents as
``Title (Year).``; same author and year told apart by a, b, c.
"""

from __future__ import annotations

import unicodedata

from ..render.cells import is_wide

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def date_parts_of(c: dict, var: str = "issued") -> list[int]:
    """The [year, month, day] parts (as many as known) of a CSL item's date variable."""
    d = c.get(var)
    return list(d["date-parts"][0]) if d else []


def _join(parts: list[str], sep: str) -> str:
    return sep.join(p for p in parts if p)


# ------------------------------------------------------------------ GB/T 7714
GBT_TYPE = {"legislation": "A", "regulation": "A", "bill": "A", "article": "A", "article-journal": "J",
            "article-magazine": "J", "periodical": "J", "article-newspaper": "N", "book": "M", "chapter": "M",
            "report": "R", "webpage": "EB", "post": "EB", "post-weblog": "EB", "dataset": "DS",
            "thesis": "D", "standard": "S", "patent": "P", "software": "CP", "paper-conference": "C"}


def _gbt_names(names: list[dict] | None) -> str:
    if not names:
        return ""
    shown = [n.get("literal") or " ".join(x for x in (n.get("family", "").upper(), n.get("given", "")) if x)
             for n in names]
    if len(shown) >= 4:
        shown = shown[:3] + ["等"]
    return ", ".join(shown)


def iso_date(c: dict) -> str:
    """The item's issued date as YYYY[-MM[-DD]], as GB/T 7714 prints dates."""
    p = date_parts_of(c)
    if not p:
        return ""
    return "-".join([str(p[0])] + [f"{x:02d}" for x in p[1:]])


def _gbt_year(c: dict) -> str:
    p = date_parts_of(c)
    if p:
        return f"[{p[0]}]" if c["issued"].get("circa") else str(p[0])
    a = date_parts_of(c, "accessed")
    return f"[{a[0]}]" if a else ""


def _gbt_accessed(c: dict) -> str:
    if (c.get("URL") or c.get("DOI")) and c.get("accessed"):
        return f"[{iso_date({'issued': c['accessed']})}]"
    return ""


def gbt(c: dict) -> str:
    """One GB/T 7714-2015 entry (without its [n] number)."""
    t = c["type"]
    author = _gbt_names(c.get("author"))
    if not author and not c.get("container-title"):
        author = _gbt_names(c.get("editor"))
    sub = []
    if t not in ("article", "article-journal"):
        sub.append(str(c.get("number", "")))
    head = _join([c.get("title", ""), "\u2003".join(s for s in sub if s)], ": ")
    code = GBT_TYPE.get(t, "Z")
    medium = c.get("medium") or ("OL" if c.get("URL") or c.get("DOI") else "")
    title = head + "[" + _join([code, medium], "/") + "]"
    if t == "periodical":
        rest = [_join([_gbt_year(c), str(c.get("volume", ""))], ", ") + (f"({c['issue']})" if c.get("issue") else ""),
                _gbt_publisher(c)]
    elif t in ("article-journal", "article-magazine", "article-newspaper"):
        if t == "article-newspaper":
            src = _join([c.get("container-title", ""), iso_date(c)], ", ")
            src += f"({c['page']})" if c.get("page") else ""
        else:
            src = _join([c.get("container-title", ""), _gbt_year(c), str(c.get("volume", ""))], ", ")
            src += f"({c['issue']})" if c.get("issue") else ""
            src = _join([src, str(c.get("page", ""))], ": ")
        rest = [src + _gbt_accessed(c)]
    elif t in ("dataset", "post", "post-weblog", "software", "webpage"):
        rest = [_gbt_publisher(c)]
    else:
        rest = [str(c.get("edition", "")), _gbt_publisher(c)]
    access = _join([c.get("URL", ""), ("DOI:" + c["DOI"]) if c.get("DOI") else ""], ". ")
    return _join([author, title, *rest, access], ". ") + "."


def _gbt_publisher(c: dict) -> str:
    t = c["type"]
    if t in ("book", "chapter", "paper-conference", "periodical", "thesis") or any(
            c.get(v) for v in ("archive", "archive-place", "publisher", "publisher-place", "page")):
        if c.get("publisher") or c.get("publisher-place"):
            who = _join([c.get("publisher-place", ""), c.get("publisher", "")], ": ")
        else:
            who = _join([c.get("archive-place", ""), c.get("archive", "")], ": ")
        return _join([_join([who, _gbt_year(c)], ", "), str(c.get("page", ""))], ": ") + _gbt_accessed(c)
    if c.get("URL") or c.get("DOI"):
        date = iso_date(c)
        return (f"({date})" if date else "") + _gbt_accessed(c)
    return _gbt_year(c)


# ------------------------------------------------------------------ APA 7
LEGAL = ("legislation", "regulation", "bill")
SERIAL = ("article-journal", "article-magazine", "article-newspaper")


def _apa_names(names: list[dict] | None) -> str:
    if not names:
        return ""
    shown = [n.get("literal") or _apa_person(n) for n in names]
    if len(shown) == 1:
        return shown[0]
    if len(shown) == 2:
        return f"{shown[0]}, & {shown[1]}"
    return ", ".join(shown[:-1]) + ", & " + shown[-1]


def _apa_person(n: dict) -> str:
    given = " ".join(p[0] + "." for p in n.get("given", "").replace("-", " ").split() if p)
    return _join([n.get("family", ""), given], ", ")


def apa_author(c: dict) -> str:
    """Who heads the entry: the author, else (for a web page) the publishing site."""
    if c["type"] in LEGAL:
        return ""
    a = _apa_names(c.get("author"))
    if not a and c["type"] == "webpage" and c.get("publisher") and not c.get("container-title"):
        a = c["publisher"]
    return a


def _apa_year(c: dict, suffix: str = "") -> str:
    p = date_parts_of(c)
    return f"{p[0]}{suffix}" if p else f"n.d.{'-' + suffix if suffix else ''}"


def apa_in_text(c: dict) -> str:
    """An APA parenthetical citation: (author or title, year)."""
    return f"({apa_author(c) or c['title']}, {_apa_year(c)})"


def _apa_date(c: dict, suffix: str = "") -> str:
    p = date_parts_of(c)
    if not p:
        return _apa_year(c, suffix)
    if c["type"] in LEGAL or c["type"] in ("report", "periodical", "book"):
        return f"{p[0]}{suffix}"
    out = f"{p[0]}{suffix}"
    if len(p) >= 2:
        out += f", {MONTHS[p[1] - 1]}"
        if len(p) == 3:
            out += f" {p[2]}"
    return out


def _end(text: str, punct: str = ".") -> str:
    """Append punctuation; after a closing quotation mark, inside it as US English places it,
    but never inside Chinese quotation marks (a quote ending in a CJK character or mark).

    This is where kb departs from the official APA CSL style, whose en-US locale sets
    punctuation-in-quote and so renders a Chinese title 打通科技成果转化“最后一公里.”;
    Chinese punctuation (GB/T 15834) keeps the full stop outside: “最后一公里”."""
    if not text:
        return text
    if text[-1] in "”’\"" and punct in ".,":
        if len(text) > 1 and is_cjk(text[-2]):
            return text + punct
        return text[:-1] + punct + text[-1]
    if text[-1] in ".?!" and punct == ".":
        return text
    return text + punct


def is_cjk(ch: str) -> bool:
    """A wide East Asian character: Han, kana, hangul, CJK and full-width punctuation."""
    return is_wide(ch)


def apa(c: dict, suffix: str = "", md: bool = False, title_en: str | None = None) -> str:
    """One APA 7 entry. ``suffix`` tells apart works of one author and year (a, b, ...).
    ``title_en``, an English translation of a law's title, follows the title in square
    brackets, as APA marks a translated title (the official APA CSL style has no variable
    for it, so pandoc's rendering of kb's CSL-JSON leaves it out)."""
    def it(s: str) -> str:
        return f"*{s}*" if md and s else s

    t = c["type"]
    title = c.get("title", "")
    tr = f" [{title_en}]" if title_en else ""
    if t in LEGAL:
        head = title + tr
        if c.get("number"):
            head = _end(head, ",") + (" Pub. L. No. " if t == "legislation" else " No. ") + str(c["number"])
        year = date_parts_of(c)
        return head + (f" ({year[0]}{suffix})" if year else "") + "."
    author = apa_author(c)
    date = f"({_apa_date(c, suffix)})"
    container = c.get("container-title", "")
    if t in SERIAL:
        titled = (title if container else it(title)) + tr
        tail = [_end(it(container))] if container else []
    elif t == "report":
        titled = it(title) + tr + (f" ({c['number']})" if c.get("number") else "")
        tail = [_end(c["publisher"])] if c.get("publisher") else []
    elif t == "periodical":
        titled, tail = it(title) + tr, []
    elif t == "webpage":
        medium = c.get("medium") if c.get("medium") != "OL" else None  # [OL] is GB/T 7714's online marker
        titled = it(title) + tr + (f" [{medium}]" if medium else "")
        site = container or ("" if author == c.get("publisher") else c.get("publisher", ""))
        tail = [_end(site)] if site else []
    else:
        titled = it(title) + tr
        tail = [_end(c["publisher"])] if c.get("publisher") else []
    if c.get("URL"):
        tail.append(c["URL"])
    if author:
        parts = [_end(author), _end(date), _end(titled)]
    else:
        parts = [_end(titled), _end(date)]
    return " ".join(parts + tail)


def sort_key(s: str) -> tuple:
    """An approximation of the Unicode Collation Algorithm's root order, as CSL processors
    use it: punctuation and spaces ignored, digits before Latin letters (case-insensitive)
    before other scripts, Han characters by code point."""
    key = []
    for ch in s:
        cat = unicodedata.category(ch)
        if cat[0] in "PZS" or ch.isspace():
            continue
        if ch.isdigit():
            key.append((1, int(ch) if ch.isascii() else unicodedata.digit(ch, 0)))
        elif ch.isascii() and ch.isalpha():
            key.append((2, ord(ch.lower())))
        else:
            key.append((3, ord(ch)))
    return tuple(key)


def apa_order(items: list[dict]) -> list[tuple[dict, str]]:
    """Items in APA reference-list order, each with its year suffix ('', 'a', 'b' ...)."""
    def head(c: dict) -> str:
        return apa_author(c) or c.get("title", "")

    def year(c: dict) -> int:
        p = date_parts_of(c)
        return p[0] if p else -1

    ordered = sorted(items, key=lambda c: (sort_key(head(c)), year(c), sort_key(c.get("title", "")),
                                           c.get("title", "")))
    groups: dict[tuple, list[dict]] = {}
    for c in ordered:
        if apa_author(c):  # only authored works get a, b, c
            groups.setdefault((head(c), year(c)), []).append(c)
    suffix: dict[str, str] = {}
    for same in groups.values():
        if len(same) > 1:
            for i, c in enumerate(same):
                suffix[c["id"]] = "abcdefghijklmnopqrstuvwxyz"[i]
    return [(c, suffix.get(c["id"], "")) for c in ordered]
