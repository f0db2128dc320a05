"""BibTeX and RIS from CSL-JSON items.

BibTeX uses the entry types that biblatex (and biblatex-gb7714-2015) and
pandoc read as the same kind of document: ``@legislation`` for laws,
regulations and government documents (GB/T 7714 [A]), ``@article`` with
``entrysubtype = {newspaper}`` for news reports ([N]) and ``{magazine}`` for
articles in a periodical ([J]), ``@periodical`` ([J]), ``@techreport``
(biber reads it as ``@report``, [R]), ``@online`` ([EB/OL]). It keeps Chinese
as UTF-8, wraps literal names and titles in an extra pair of braces so that
no style splits or re-cases them, and escapes the characters TeX treats
specially. A value can never end its field or its entry: braces are written
as ``\\{ \\}`` only in matched pairs (bibtex and biber count them) and as
``\\textbraceleft{}``/``\\textbraceright{}`` otherwise, and no value holds a
line break, so nothing in it starts a line (``@misc{`` included).
biblatex's default data model declares ``@legislation`` but gives it no
fields (it leaves them to styles such as biblatex-gb7714-2015), and reads
no publisher in ``@periodical``: ``biber --validate-datamodel`` flags those,
and otherwise only data the sources do not give (tests/test_cite_clients.py).

Every format uses the item's key as it is (CSL id, BibTeX key, RIS ID): ids
are already keys that pandoc can cite as ``[@key]`` (see items.Resolver).
A source's request not to be cited is BibTeX's ``note`` (alone, so that
kbcli's pandoc filter finds it) and RIS's first ``N1``; pulled quotes go to
``annotation`` and one ``N1`` line each; a law's English title, a
translation, to ``titleaddon`` in brackets and to RIS ``TT``. RIS values are
one line each: a value can never start a new tag or record.
"""

from __future__ import annotations

import re

from .safe import one_line
from .styles import date_parts_of, iso_date

_TEX = {"\\": r"\textbackslash{}", "%": r"\%", "&": r"\&", "#": r"\#", "_": r"\_", "$": r"\$",
        "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_LONE = {"{": r"\textbraceleft{}", "}": r"\textbraceright{}"}


def tex(s: str) -> str:
    """A value as BibTeX and LaTeX read it back: one line, special characters escaped, and braces that
    bibtex and biber count (``\\{`` included) only in matched pairs, so a value never ends its field."""
    s = one_line(s)
    matched: set[int] = set()
    opened: list[int] = []
    for i, ch in enumerate(s):
        if ch == "{":
            opened.append(i)
        elif ch == "}" and opened:
            matched.update((opened.pop(), i))
    out = []
    for i, ch in enumerate(s):
        if ch in "{}":
            out.append("\\" + ch if i in matched else _LONE[ch])
        else:
            out.append(_TEX.get(ch, ch))
    return "".join(out)


# CSL type -> (BibTeX entry type, entrysubtype)
ENTRY = {"report": ("techreport", None), "legislation": ("legislation", None), "regulation": ("legislation", None),
         "bill": ("legislation", None), "article-newspaper": ("article", "newspaper"),
         "article-magazine": ("article", "magazine"), "article-journal": ("article", None),
         "periodical": ("periodical", None), "webpage": ("online", None), "post": ("online", None),
         "post-weblog": ("online", None)}


def _names(names: list[dict]) -> str:
    return " and ".join("{" + tex(n.get("literal") or n.get("family", "")) + "}" for n in names)


def _year_month(c: dict) -> tuple[str, str, str]:
    p = date_parts_of(c)
    year = str(p[0]) if p else ""
    month = str(p[1]) if len(p) > 1 else ""
    return year, month, iso_date(c)


def bibtex(c: dict, quotes: list[str] | None = None, restriction: str | None = None,
           title_en: str | None = None) -> str:
    t = c["type"]
    entry, subtype = ENTRY.get(t, ("misc", None))
    fields: list[tuple[str, str]] = []
    if subtype:
        fields.append(("entrysubtype", subtype))
    if c.get("author"):
        fields.append(("author", _names(c["author"])))
    if c.get("editor") and t not in ("article-newspaper", "webpage"):
        fields.append(("editor", _names(c["editor"])))
    fields.append(("title", "{" + tex(c["title"]) + "}"))
    if title_en:
        fields.append(("titleaddon", "{[" + tex(title_en) + "]}"))
    container = c.get("container-title")
    if entry == "techreport":
        if c.get("publisher"):
            fields.append(("institution", tex(c["publisher"])))
        if c.get("number"):
            fields.append(("number", tex(str(c["number"]))))
    elif entry == "article":
        if container:
            fields.append(("journaltitle", tex(container)))
        if c.get("issue"):
            fields.append(("number", tex(str(c["issue"]))))
    elif entry == "legislation":
        if c.get("number"):  # the document number (渝府办发〔2023〕24号)
            fields.append(("number", tex(str(c["number"]))))
    elif entry == "periodical":
        if c.get("publisher"):  # biblatex-gb7714-2015 and pandoc read it
            fields.append(("publisher", tex(c["publisher"])))
        if c.get("issue"):
            fields.append(("issue", tex(str(c["issue"]))))
    elif entry == "online":
        site = container or c.get("publisher")
        if site:
            fields.append(("organization", tex(site)))
    else:
        issued_as = [str(x) for x in (container or c.get("publisher"), c.get("number")) if x]
        if issued_as:
            fields.append(("howpublished", tex(", ".join(issued_as))))
    if c.get("publisher-place") and entry in ("techreport", "misc"):
        fields.append(("location", tex(c["publisher-place"])))
    year, month, date = _year_month(c)
    if year:
        fields.append(("year", year))
    if month:
        fields.append(("month", month))
    if date:
        fields.append(("date", date))
    if c.get("URL"):
        fields.append(("url", bib_url(c["URL"])))
    fields.append(("language", "chinese" if c.get("language", "").startswith("zh") else "english"))
    if restriction:
        fields.append(("note", tex(restriction)))
    if quotes:
        fields.append(("annotation", tex(" ".join(quotes))))
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields)
    return f"@{entry}{{{c['id']},\n{body}\n}}\n"


def bib_url(url: str) -> str:
    """A URL for biblatex's verbatim url field: what would end the field or a line percent-encoded."""
    return re.sub(r"[{}\\\s]", lambda m: f"%{ord(m.group()):02X}", url)


RIS_TYPE = {"report": "RPRT", "article-newspaper": "NEWS", "article-magazine": "MGZN", "article-journal": "JOUR",
            "periodical": "JFULL", "webpage": "ELEC", "legislation": "STAT", "regulation": "GOVDOC"}


def ris(c: dict, quotes: list[str] | None = None, restriction: str | None = None,
        title_en: str | None = None) -> str:
    """One RIS record. Every value is one line, so none can start a tag (``TY  - ``) or end the record."""
    lines = [("TY", RIS_TYPE.get(c["type"], "GEN")), ("ID", c["id"])]
    lines.extend(("AU", n.get("literal") or n.get("family", "")) for n in c.get("author") or ())
    lines.extend(("A2", n.get("literal", "")) for n in c.get("editor") or ())
    lines.append(("TI", c["title"]))
    if title_en:
        lines.append(("TT", title_en))
    for tag, var in (("T2", "container-title"), ("PB", "publisher"), ("CY", "publisher-place"), ("M1", "number"),
                     ("IS", "issue")):
        if c.get(var):
            lines.append((tag, str(c[var])))
    year, _, date = _year_month(c)
    if year:
        lines.append(("PY", year))
        lines.append(("DA", "/".join(date.split("-")) + "/"))
    if c.get("URL"):
        lines.append(("UR", c["URL"]))
    lines.append(("LA", c.get("language", "zh-CN")))
    lines.extend(("N1", n) for n in (restriction, *(quotes or ())) if n)
    return "\n".join(f"{tag}  - {one_line(v)}" for tag, v in lines) + "\nER  - \n"
