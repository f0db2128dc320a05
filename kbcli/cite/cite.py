"""``kb cite``: references a writer can paste, in GB/T 7714, APA, BibTeX, CSL-JSON, RIS or Markdown.

Several ids give one bibliography without duplicates, in the style's order:
GB/T 7714 numbers entries in the order they are first cited, APA sorts them
by author (or title) and year. ``--quote`` adds each verbatim quote, in
quotation marks (“ ”, its own marks nested as ‘ ’, every one closed), and its
locator under the reference of the source it comes from. A source that asks
not to be cited says so under its reference in every style: a line under the
entry (GB/T 7714, APA, Markdown), ``note`` in CSL-JSON and BibTeX, ``N1`` in
RIS, so a pasted or exported reference keeps it; styles and reference
managers do not print those fields (``HIDDEN``), so kb warns when it writes
one there, and kbcli's pandoc filter (``kb-restricted.lua``) prints it.

Markdown is for renderers that turn it into HTML: data is escaped (``safe.md``),
and the only links are http(s) addresses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..query.kb import KB
from ..render.output import json_dumps
from .csl import NOT_A_BODY, to_csl
from .formats import bibtex, ris
from .items import Item, Pull, Resolver
from .safe import md, web_url
from .styles import apa, apa_in_text, apa_order, gbt

# styles that keep a source's request not to be cited in a field no style or reference manager prints
_FILTER = "pandoc prints it with kbcli's filter: --lua-filter \"$(kb cite --lua-filter)\""
HIDDEN = {"csl-json": f"CSL-JSON keeps that request in note, which no citation style prints; {_FILTER}",
          "bibtex": f"BibTeX keeps that request in note, which biblatex-gb7714-2015 does not print; {_FILTER}",
          "ris": "RIS keeps that request in an N1 note, which reference managers do not print in a bibliography; "
                 "use --style csl-json or bibtex with kbcli's pandoc filter (kb cite --lua-filter)"}


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


def gaps(cit: Citation) -> list[tuple[str, str]]:
    """What each reference lacks that its kind of entry usually carries (a newspaper's name and date, a web
    page's address, a date, a law's issuing body): the sources do not give it, and a writer should know
    the entry is incomplete. (item key, what it lacks and why)"""
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
            named = [i for i in item.data.get("issuers") or () if i in NOT_A_BODY]
            if named:
                out.append((item.key, f"an issuing body: the sources name none but {'、'.join(named)} (the state)"
                            + (f", and give no {' or '.join(missing)}" if missing else "")))
                continue
            missing.append("an issuing body")
        if missing:
            out.append((item.key, f"{' and '.join(missing)}: the sources give none"))
    return out


def unsafe_urls(cit: Citation) -> list[str]:
    """Items whose source gives an address that is not http(s): it is left out of every style."""
    return [i.key for i in cit.items if i.kind == "source" and i.data.get("url") and not web_url(i.data["url"])]


def _notes(cit: Citation, item: Item, quote: bool) -> list[str]:
    """What travels with an entry: the source's restriction, then (with --quote) its pulled quotes."""
    quotes = [p.line for p in cit.pulls.get(item.key, [])] if quote else []
    return [n for n in (item.restriction, *quotes) if n]


def render(cit: Citation, style: str, quote: bool = False, ref_style: str = "gbt7714") -> str:
    if style == "csl-json":
        items = []
        for item in cit.items:
            c = dict(cit.csl[item.key])
            if c.get("medium") == "OL":  # GB/T 7714's online marker: APA would print it as [OL]
                del c["medium"]
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


def _entries(cit: Citation, style: str, markdown: bool = False) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """(number of each item, [(item key, entry text)]) in the style's order; with ``markdown``, made of
    the items' values escaped for Markdown (``_md_item``)."""
    csl = {k: _md_item(c) for k, c in cit.csl.items()} if markdown else cit.csl
    if style == "apa":
        order = apa_order([csl[i.key] for i in cit.items])
        title_en = {i.key: md(i.title_en) if markdown and i.title_en else i.title_en for i in cit.items}
        return {}, [(c["id"], apa(c, suffix, md=markdown, title_en=title_en[c["id"]])) for c, suffix in order]
    numbered = {item.key: n for n, item in enumerate(cit.items, 1)}
    return numbered, [(item.key, f"[{numbered[item.key]}] {gbt(csl[item.key])}") for item in cit.items]


def _md_item(c: dict) -> dict:
    """A CSL item whose texts Markdown renders as themselves; its URL (http(s) only) an autolink."""
    out: dict = {}
    for k, v in c.items():
        if k == "URL":
            out[k] = "<" + v.replace("<", "%3C").replace(">", "%3E") + ">"
        elif k in ("author", "editor"):
            out[k] = [{"literal": md(n.get("literal", ""))} for n in v]
        elif isinstance(v, str) and k not in ("id", "type", "language"):
            out[k] = md(v)
        else:
            out[k] = v
    return out


def _in_text(cit: Citation, style: str, key: str, numbered: dict[str, int], markdown: bool = False) -> str:
    if style == "apa":
        return " " + (md(apa_in_text(cit.csl[key])) if markdown else apa_in_text(cit.csl[key]))
    return f"[{numbered[key]}]"


def _markdown(cit: Citation, ref_style: str) -> str:
    """A block quote per quote (every quotation mark in it closed), the reference beneath; references
    without quotes as a list. A source's restriction follows its reference every time."""
    numbered, entries = _entries(cit, ref_style, markdown=True)
    by_key = dict(entries)
    items = {i.key: i for i in cit.items}
    out: list[str] = []
    for text, key in cit.running:
        out.append(f"{md(text)}{_in_text(cit, ref_style, key, numbered, markdown=True)}\n")
    for key, _ in entries:
        restriction = md(items[key].restriction or "")
        for p in cit.pulls.get(key, []):
            loc = f" ({md(p.locator)})" if ref_style == "apa" else f"（{md(p.locator)}）"
            out.append(f"> {md(p.text)}\n>\n> — {by_key[key]}{loc}\n"
                       + (f">\n> {restriction}\n" if restriction else ""))
    rest = [(key, entry) for key, entry in entries if not cit.pulls.get(key)]
    if rest:
        out.append("\n".join(f"- {entry}" + (f"\n  {md(items[key].restriction or '')}" if items[key].restriction
                                                else "") for key, entry in rest) + "\n")
    return "\n".join(out)
