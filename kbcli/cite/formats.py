"""BibTeX and RIS from CSL-JSON items.

BibTeX uses entry types that both bibtex and biber know (@techreport,
@article, @misc), keeps Chinese as UTF-8, wraps literal names and titles in
an extra pair of braces so that no style splits or re-cases them, and
escapes the characters TeX treats specially. Only fields of biblatex's data
model for the entry type are written (``biber --tool --validate-datamodel``
then reports nothing but data the sources do not give: a date, an author).

Every format uses the item's key as it is (CSL id, BibTeX key, RIS ID): ids
are already keys that pandoc can cite as ``[@key]`` (see items.Resolver).
Notes (the source's citation restriction first, then pulled quotes) go to
``note`` in BibTeX and one ``N1`` line each in RIS; a law's English title,
a translation, to ``titleaddon`` in brackets and to RIS ``TT``.
"""

from __future__ import annotations

import re

from .styles import date_parts_of, iso_date

_TEX = {"\\": r"\textbackslash{}", "%": r"\%", "&": r"\&", "#": r"\#", "_": r"\_", "$": r"\$",
        "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "{": r"\{", "}": r"\}"}
_TEX_RE = re.compile(r"[\\%&#_$~^{}]")

BIB_NOTE = {"legislation": "Law", "regulation": "Regulation or government document",
            "periodical": "Periodical issue", "webpage": "Online article", "article-newspaper": "Newspaper article"}


def tex(s: str) -> str:
    return _TEX_RE.sub(lambda m: _TEX[m.group()], s)


def _year_month(c: dict) -> tuple[str, str, str]:
    p = date_parts_of(c)
    year = str(p[0]) if p else ""
    month = str(p[1]) if len(p) > 1 else ""
    return year, month, iso_date(c)


def bibtex(c: dict, quotes: list[str] | None = None, restriction: str | None = None,
           title_en: str | None = None) -> str:
    t = c["type"]
    fields: list[tuple[str, str]] = []
    names = c.get("author") or []
    if names:
        fields.append(("author", " and ".join("{" + tex(n.get("literal") or n.get("family", "")) + "}"
                                              for n in names)))
    if c.get("editor") and t != "article-newspaper":
        fields.append(("editor", " and ".join("{" + tex(n.get("literal", "")) + "}" for n in c["editor"])))
    fields.append(("title", "{" + tex(c["title"]) + "}"))
    if title_en:
        fields.append(("titleaddon", "{[" + tex(title_en) + "]}"))
    container = c.get("container-title")
    if t == "report":
        entry = "techreport"
        if c.get("publisher"):
            fields.append(("institution", tex(c["publisher"])))
        if c.get("number"):
            fields.append(("number", tex(str(c["number"]))))
    elif t in ("article-journal", "article-magazine", "article-newspaper") and container:
        entry = "article"
        fields.append(("journal", tex(container)))
        if c.get("issue"):
            fields.append(("number", tex(str(c["issue"]))))
    else:
        entry = "misc"
        # @misc has no number: a document number (渝府办发〔2023〕24号) is how the document was issued
        issued_as = [str(x) for x in (container or c.get("publisher"), c.get("number")) if x]
        if issued_as:
            fields.append(("howpublished", tex(", ".join(issued_as))))
    # biblatex's @article has no publisher (the journal stands for it); @techreport names it as institution
    if c.get("publisher-place"):
        fields.append(("address", tex(c["publisher-place"])))
    year, month, date = _year_month(c)
    if year:
        fields.append(("year", year))
    if month:
        fields.append(("month", month))
    if date:
        fields.append(("date", date))
    if c.get("URL"):
        fields.append(("url", c["URL"]))
    fields.append(("language", "chinese" if c.get("language", "").startswith("zh") else "english"))
    kind = BIB_NOTE.get(t)
    parts = [n for n in (restriction, kind, *(quotes or ())) if n]
    if parts:
        fields.append(("note", tex(". ".join(" ".join(p.split()) for p in parts))))
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields)
    return f"@{entry}{{{c['id']},\n{body}\n}}\n"


RIS_TYPE = {"report": "RPRT", "article-newspaper": "NEWS", "article-magazine": "MGZN", "article-journal": "JOUR",
            "periodical": "JFULL", "webpage": "ELEC", "legislation": "STAT", "regulation": "GOVDOC"}


def ris(c: dict, quotes: list[str] | None = None, restriction: str | None = None,
        title_en: str | None = None) -> str:
    lines = [f"TY  - {RIS_TYPE.get(c['type'], 'GEN')}", f"ID  - {c['id']}"]
    for n in c.get("author") or []:
        lines.append(f"AU  - {n.get('literal') or n.get('family', '')}")
    for n in c.get("editor") or []:
        lines.append(f"A2  - {n.get('literal', '')}")
    lines.append(f"TI  - {c['title']}")
    if title_en:
        lines.append(f"TT  - {title_en}")
    if c.get("container-title"):
        lines.append(f"T2  - {c['container-title']}")
    if c.get("publisher"):
        lines.append(f"PB  - {c['publisher']}")
    if c.get("publisher-place"):
        lines.append(f"CY  - {c['publisher-place']}")
    if c.get("number"):
        lines.append(f"M1  - {c['number']}")
    if c.get("issue"):
        lines.append(f"IS  - {c['issue']}")
    year, _, date = _year_month(c)
    if year:
        lines.append(f"PY  - {year}")
        lines.append("DA  - " + "/".join(date.split("-")) + "/")
    if c.get("URL"):
        lines.append(f"UR  - {c['URL']}")
    lines.append(f"LA  - {c.get('language', 'zh-CN')}")
    for n in (restriction, *(quotes or ())):
        if n:
            lines.append(f"N1  - {' '.join(n.split())}")
    lines.append("ER  - ")
    return "\n".join(lines) + "\n"
