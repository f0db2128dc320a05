"""``kb cite``: references a writer can paste, in GB/T 7714, APA, BibTeX, CSL-JSON, RIS or Markdown.

Several ids give one bibliography without duplicates, in the style's order:
GB/T 7714 numbers entries in the order they are first cited, APA sorts them
by author (or title) and year. ``--quote`` adds each verbatim quote, in
single quotation marks, and its locator under the reference of the source it
comes from. A source that asks not to be cited says so under its reference in
every style: a line under the entry (GB/T 7714, APA, Markdown), ``note`` in
CSL-JSON and BibTeX, ``N1`` in RIS, so a pasted or exported reference keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..query.kb import KB
from ..render.output import json_dumps
from .csl import to_csl
from .formats import bibtex, ris
from .items import Item, Pull, Resolver
from .styles import apa, apa_in_text, apa_order, gbt


@dataclass
class Citation:
    items: list[Item] = field(default_factory=list)  # in order of first citation, no duplicates
    pulls: dict[str, list[Pull]] = field(default_factory=dict)
    running: list[tuple[str, str]] = field(default_factory=list)  # (running text, item key)
    csl: dict[str, dict] = field(default_factory=dict)
    accessed: str | None = None

    @property
    def restricted(self) -> list[Item]:
        return [i for i in self.items if i.restricted]

    @property
    def without_url(self) -> list[Item]:
        """Items an access date cannot apply to: kb prints one only with a URL."""
        return [i for i in self.items if not i.has_url]


def collect(kb: KB, idents: list[str], accessed: str | None = None, everything: bool = False,
            quote: bool = False) -> Citation:
    """The bibliography for ``idents`` (and, with ``everything``, every item of the base after them). A law
    or an article is cited alone unless ``quote`` asks for the quotes, which bring their sources."""
    resolver = Resolver(kb, law_sources=quote)
    cit = Citation(accessed=accessed)

    def add(item: Item) -> None:
        if item.key not in cit.csl:
            cit.items.append(item)
            cit.csl[item.key] = to_csl(item, accessed)

    for ident in idents:
        target = resolver.resolve(ident)
        for item in target.items:
            add(item)
        for key, pulls in target.pulls.items():
            have = cit.pulls.setdefault(key, [])
            for p in pulls:  # one pull per passage: a quote inside another adds nothing
                if any(p.quote in h.quote for h in have):
                    continue
                have[:] = [h for h in have if h.quote not in p.quote] + [p]
        if target.running_text:
            cit.running.append((target.running_text, target.items[0].key))
    if everything:
        for item in resolver.all_items():
            add(item)
    return cit


def gaps(cit: Citation) -> list[tuple[str, list[str]]]:
    """What each reference lacks that its kind of entry usually carries (a newspaper's name and date, a web
    page's address, a date): the sources do not give it, and a writer should know the entry is incomplete."""
    out = []
    for item in cit.items:
        c = cit.csl[item.key]
        missing = []
        if c.get("type") == "article-newspaper" and not c.get("container-title"):
            missing.append("the newspaper's name")
        if c.get("medium") == "OL" and not c.get("URL"):
            missing.append("a URL (it was read online)")
        if not c.get("issued"):
            missing.append("a date")
        if item.kind == "law" and not c.get("author"):
            missing.append("an issuing body")
        if missing:
            out.append((item.key, missing))
    return out


def _notes(cit: Citation, item: Item, quote: bool) -> list[str]:
    """What travels with an entry: the source's restriction, then (with --quote) its pulled quotes."""
    quotes = [p.line for p in cit.pulls.get(item.key, [])] if quote else []
    return [n for n in (item.restriction, *quotes) if n]


def render(cit: Citation, style: str, quote: bool = False, ref_style: str = "gbt7714") -> str:
    if style == "csl-json":
        items = []
        for item in cit.items:
            c = dict(cit.csl[item.key])
            notes = _notes(cit, item, quote)
            if notes:
                c["note"] = "\n".join(notes)
            items.append(c)
        return json_dumps(items) + "\n"
    if style == "bibtex":
        return "\n".join(bibtex(cit.csl[i.key], _quotes(cit, i, quote), i.restriction, i.title_en)
                         for i in cit.items)
    if style == "ris":
        return "\n".join(ris(cit.csl[i.key], _quotes(cit, i, quote), i.restriction, i.title_en) for i in cit.items)
    if style == "markdown":
        return _markdown(cit, ref_style)
    numbered, entries = _entries(cit, style)
    by_key = {i.key: i for i in cit.items}
    lines: list[str] = []
    for text, key in cit.running:
        lines.append(f"In text: {text}{_in_text(cit, style, key, numbered)}")
    if cit.running:
        lines.append("")
    for key, entry in entries:
        lines.append(entry)
        lines.extend(f"    {n}" for n in _notes(cit, by_key[key], quote))
    return "\n".join(lines) + "\n"


def _quotes(cit: Citation, item: Item, quote: bool) -> list[str]:
    return [p.line for p in cit.pulls.get(item.key, [])] if quote else []


def _entries(cit: Citation, style: str, md: bool = False) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """(number of each item, [(item key, entry text)]) in the style's order."""
    if style == "apa":
        order = apa_order([cit.csl[i.key] for i in cit.items])
        title_en = {i.key: i.title_en for i in cit.items}
        return {}, [(c["id"], apa(c, suffix, md=md, title_en=title_en[c["id"]])) for c, suffix in order]
    numbered = {item.key: n for n, item in enumerate(cit.items, 1)}
    return numbered, [(item.key, f"[{numbered[item.key]}] {gbt(cit.csl[item.key])}") for item in cit.items]


def _in_text(cit: Citation, style: str, key: str, numbered: dict[str, int]) -> str:
    if style == "apa":
        return " " + apa_in_text(cit.csl[key])
    return f"[{numbered[key]}]"


def _markdown(cit: Citation, ref_style: str) -> str:
    """A block quote per quote, the reference beneath; references without quotes as a list.
    A source's restriction follows its reference every time."""
    numbered, entries = _entries(cit, ref_style, md=True)
    by_key = dict(entries)
    items = {i.key: i for i in cit.items}
    out: list[str] = []
    for text, key in cit.running:
        out.append(f"{text}{_in_text(cit, ref_style, key, numbered)}\n")
    for key, _ in entries:
        restriction = items[key].restriction
        for p in cit.pulls.get(key, []):
            loc = f" ({p.locator})" if ref_style == "apa" else f"（{p.locator}）"
            out.append(f"> {p.quote}\n>\n> — {by_key[key]}{loc}\n"
                       + (f">\n> {restriction}\n" if restriction else ""))
    rest = [(key, entry) for key, entry in entries if not cit.pulls.get(key)]
    if rest:
        out.append("\n".join(f"- {entry}" + (f"\n  {items[key].restriction}" if items[key].restriction else "")
                             for key, entry in rest) + "\n")
    return "\n".join(out)
