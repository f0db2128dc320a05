"""``kb cite``: references a writer can paste, in GB/T 7714, APA, BibTeX, CSL-JSON, RIS or Markdown.

Several ids give one bibliography without duplicates, in the style's order:
GB/T 7714 numbers entries in the order they are first cited, APA sorts them
by author (or title) and year. ``--quote`` adds each verbatim quote and its
locator under the reference of the source it comes from.
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

    @property
    def restricted(self) -> list[Item]:
        return [i for i in self.items if i.restricted]


def collect(kb: KB, idents: list[str], accessed: str | None = None) -> Citation:
    resolver = Resolver(kb)
    cit = Citation()
    for ident in idents:
        target = resolver.resolve(ident)
        for item in target.items:
            if item.key not in cit.csl:
                cit.items.append(item)
                cit.csl[item.key] = to_csl(item, accessed)
        for key, pulls in target.pulls.items():
            have = cit.pulls.setdefault(key, [])
            have.extend(p for p in pulls if all(p.quote != h.quote for h in have))
        if target.running_text:
            cit.running.append((target.running_text, target.items[0].key))
    return cit


def _quote_lines(pulls: list[Pull], indent: str) -> list[str]:
    return [f"{indent}{p.line}" for p in pulls]


def render(cit: Citation, style: str, quote: bool = False, ref_style: str = "gbt7714") -> str:
    if style == "csl-json":
        items = []
        for item in cit.items:
            c = dict(cit.csl[item.key])
            if quote and cit.pulls.get(item.key):
                c["note"] = "\n".join(p.line for p in cit.pulls[item.key])
            items.append(c)
        return json_dumps(items) + "\n"
    if style == "bibtex":
        out = []
        for item in cit.items:
            note = None
            if quote and cit.pulls.get(item.key):
                note = " ".join(p.line for p in cit.pulls[item.key])
            out.append(bibtex(cit.csl[item.key], note))
        return "\n".join(out)
    if style == "ris":
        return "\n".join(ris(cit.csl[i.key], [p.line for p in cit.pulls.get(i.key, [])]
                             if quote else None) for i in cit.items)
    if style == "markdown":
        return _markdown(cit, ref_style)
    numbered, entries = _entries(cit, style)
    lines: list[str] = []
    for text, key in cit.running:
        lines.append(f"In text: {text}{_in_text(cit, style, key, numbered)}")
    if cit.running:
        lines.append("")
    for key, entry in entries:
        lines.append(entry)
        if quote:
            lines.extend(_quote_lines(cit.pulls.get(key, []), "    "))
    return "\n".join(lines) + "\n"


def _entries(cit: Citation, style: str, md: bool = False) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """(number of each item, [(item key, entry text)]) in the style's order."""
    if style == "apa":
        order = apa_order([cit.csl[i.key] for i in cit.items])
        return {}, [(c["id"], apa(c, suffix, md=md)) for c, suffix in order]
    numbered = {item.key: n for n, item in enumerate(cit.items, 1)}
    return numbered, [(item.key, f"[{numbered[item.key]}] {gbt(cit.csl[item.key])}") for item in cit.items]


def _in_text(cit: Citation, style: str, key: str, numbered: dict[str, int]) -> str:
    if style == "apa":
        return " " + apa_in_text(cit.csl[key])
    return f"[{numbered[key]}]"


def _markdown(cit: Citation, ref_style: str) -> str:
    """A block quote per quote, the reference beneath; references without quotes as a list."""
    numbered, entries = _entries(cit, ref_style, md=True)
    by_key = dict(entries)
    out: list[str] = []
    for text, key in cit.running:
        out.append(f"{text}{_in_text(cit, ref_style, key, numbered)}\n")
    for key, entry in entries:
        pulls = cit.pulls.get(key, [])
        if not pulls:
            continue
        for p in pulls:
            out.append(f"> {p.quote}\n>\n> — {by_key[key]}（{p.locator}）\n")
    rest = [entry for key, entry in entries if not cit.pulls.get(key)]
    if rest:
        out.append("\n".join(f"- {e}" for e in rest) + "\n")
    return "\n".join(out)
