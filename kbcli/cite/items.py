"""What is cited: sources and laws as citation items, resolved from the ids a writer gives.

A citation *item* is one bibliography entry: a source (a document, or an
article inside one) or a version of a law. A *target* is what the writer
asked for: a source, a record (cited through the sources behind its
evidence, with locators and quotes), a figure of a record or term (by its
handle, ``ID#metric@2022``, as ``kb figures`` shows it, or ``ID#N``), a law
(the law itself, in the version in force, then the sources behind it) or an
article of a law (``law-id#art14``: the law in the version whose numbering
the article uses, with the article in the running text).

The bibliographic facts all come from the seed's ``sources`` and ``laws``:
nothing is invented (no URL, page, place or edition that a source does not
give).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..errors import NotFoundError
from ..query import resolve
from ..query.handles import pick_figure
from ..query.kb import KB, record_evidence
from .safe import one_line

CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """14 -> 十四, 105 -> 一百零五 (article numbers as the statutes print them)."""
    if n < 10:
        return CN_DIGITS[n]
    if n < 20:
        return "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return CN_DIGITS[n // 10] + "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        tail = "" if rest == 0 else ("零" + cn_number(rest) if rest < 10 else
                                     (("一" + cn_number(rest)) if 10 <= rest < 20 else cn_number(rest)))
        return CN_DIGITS[n // 100] + "百" + tail
    return str(n)


@dataclass
class Item:
    """One bibliography entry."""

    key: str  # the citation key in every format (CSL id, BibTeX key, RIS ID): see Resolver.law_item
    kind: str  # "source" or "law"
    data: dict  # the source's fields (resolved through part_of), or the law's
    version: str | None = None  # for laws: the version date cited
    restricted: bool = False
    citation_note: str | None = None

    @property
    def restriction(self) -> str | None:
        """The line every output carries under a source that asks not to be cited."""
        if not self.restricted:
            return None
        return f"NOT FOR CITATION — marked by the source: {one_line(self.citation_note or '') or 'do not cite'}"

    @property
    def title_en(self) -> str | None:
        """A law's English title (a translation, given where the sources give or imply it)."""
        return one_line(self.data["title_en"]) if self.kind == "law" and self.data.get("title_en") else None

    @property
    def has_url(self) -> bool:
        return bool(self.data.get("url")) if self.kind == "source" else False


# Chinese quotation marks and their closers: “ ” outside, ‘ ’ inside (GB/T 15834), 「 」 and 『 』 in
# traditional-script text
PAIRS = {"“": "”", "‘": "’", "「": "」", "『": "』"}
OPENER = {v: k for k, v in PAIRS.items()}


def _apostrophe(s: str, i: int) -> bool:
    """’ between two Latin letters (China’s) is an apostrophe, not a closing mark."""
    return 0 < i < len(s) - 1 and s[i - 1].isascii() and s[i - 1].isalpha() and s[i + 1].isascii() \
        and s[i + 1].isalpha()


def balanced(quote: str) -> str:
    """A quote with every quotation mark closed: a quote cut inside a speaker's words gets the marks
    it lacks at its end (“2023年…28.6%” ) or its start, as a reader would close them; the words stay
    verbatim."""
    stack: list[str] = []
    missing: list[str] = []
    for i, ch in enumerate(quote):
        if ch in PAIRS:
            stack.append(ch)
        elif ch in OPENER and not (ch == "’" and _apostrophe(quote, i)):
            if stack and stack[-1] == OPENER[ch]:
                stack.pop()
            elif OPENER[ch] in stack:  # crossed marks: close what was opened inside
                while stack.pop() != OPENER[ch]:
                    pass
            else:
                missing.append(OPENER[ch])
    return "".join(reversed(missing)) + quote + "".join(PAIRS[o] for o in reversed(stack))


def nested(quote: str) -> str:
    """The quote as it reads inside “ ”: its outermost marks become ‘ ’, the marks inside those “ ”, and so
    on, whichever the source used (Chinese and US English alike: double marks outside, single inside).
    Expects a ``balanced`` quote; apostrophes and 「 」 『 』 stay."""
    if not any(c in quote for c in "“”‘’"):
        return quote
    out, depth = [], 0
    for i, ch in enumerate(quote):
        if ch in "“‘":
            out.append("‘" if depth % 2 == 0 else "“")
            depth += 1
        elif ch in "”’" and not (ch == "’" and _apostrophe(quote, i)) and depth:
            depth -= 1
            out.append("’" if depth % 2 == 0 else "”")
        else:
            out.append(ch)
    return "".join(out)


@dataclass
class Pull:
    """A quote pulled for a writer, under the entry of the source it comes from."""

    quote: str
    locator: str

    @property
    def text(self) -> str:
        """The quote with every quotation mark closed (a block quote needs no marks of its own)."""
        return balanced(one_line(self.quote))

    @property
    def line(self) -> str:
        """The quote and its locator on one line: “…” (locator), the quote's own marks nested inside
        (‘先使用后付费’), every one closed."""
        return f"“{nested(self.text)}” ({one_line(self.locator)})"


@dataclass
class Target:
    """What one id on the command line asks for."""

    items: list[Item]
    pulls: dict[str, list[Pull]] = field(default_factory=dict)  # item key -> quotes
    running_text: str | None = None  # article-level law citations: 《…法》第十四条


class Resolver:
    def __init__(self, kb: KB, law_sources: bool = True):
        self.kb = kb
        self.law_sources = law_sources  # a law or article brings the sources behind it (for their quotes)
        self._items: dict[str, Item] = {}

    # ---------------------------------------------------------------- items
    def source_item(self, sid: str) -> Item:
        key = sid
        if key in self._items:
            return self._items[key]
        src = self.kb.sources.get(sid)
        if src is None:
            raise NotFoundError(f"no source {sid!r}")
        data = json.loads(src["doc"])
        parent = None
        if data.get("part_of") and data["part_of"] in self.kb.sources:
            parent = json.loads(self.kb.sources[data["part_of"]]["doc"])
            # an article inherits what it does not state from its document
            # (not its title as a container: a document's title may be the curators' description)
            for k in ("publisher", "publisher_place", "language", "url", "site", "medium"):
                if not data.get(k) and parent.get(k):
                    data[k] = parent[k]
        item = Item(key, "source", data, restricted=src["restricted"], citation_note=src["citation_note"])
        self._items[key] = item
        return item

    def law_item(self, law_id: str, version: str | None = None) -> Item:
        row = self.kb.conn.execute("SELECT d.doc FROM records r JOIN record_docs d ON d.rowid = r.rowid "
                                   "WHERE r.id = ? AND r.kind = 'law'", (law_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no law {law_id!r}")
        data = json.loads(row[0])
        current = current_version(data)
        version = version or current
        # one key in CSL-JSON, BibTeX and RIS, citable by pandoc as [@key]: an id is [a-z0-9] runs
        # joined by - _ . (seed.models.ID_RE), so law-id:1996 is a valid key that no id can take
        key = law_id if version == current else f"{law_id}:{version}"
        if key not in self._items:
            self._items[key] = Item(key, "law", data, version=version)
        return self._items[key]

    def all_items(self) -> list[Item]:
        """Every item of the base: the sources, then each law in the version in force and in
        every other version whose numbering a cited article uses."""
        items = [self.source_item(sid) for sid in self.kb.sources]
        rows = self.kb.conn.execute("SELECT r.id, d.doc FROM records r JOIN record_docs d ON d.rowid = r.rowid "
                                    "WHERE r.kind = 'law' ORDER BY r.ord").fetchall()
        for law_id, doc in rows:
            items.append(self.law_item(law_id))
            versions = dict.fromkeys(a.get("version") for a in json.loads(doc).get("articles", ()))
            items.extend(self.law_item(law_id, v) for v in versions if v)
        return list({i.key: i for i in items}.values())

    # -------------------------------------------------------------- targets
    def resolve(self, ident: str) -> Target:
        """What one id on the command line asks for; ids and names resolve as everywhere (``query.resolve``)."""
        kb = self.kb
        ref = resolve.ident(kb, ident)
        if ref.kind == "source":
            return Target([self.source_item(ref.id)])
        if ref.kind == "article":
            return self._article(ref.id, int(ref.fragment or 0), ident)
        if ref.kind == "figure":
            return self._figure(ref.id, ref.fragment or "")
        if ref.kind == "term":
            return self._evidence_target(kb.term_doc(ref.id).get("evidence", []))
        rec = kb.get_record(ref.id)
        assert rec is not None  # resolved above
        if rec["kind"] == "law":
            target = self._evidence_target(record_evidence(rec)) if self.law_sources else Target([])
            target.items = [self.law_item(ref.id)] + target.items
            return target
        return self._evidence_target(record_evidence(rec))

    def _evidence_target(self, evidence: Iterable[dict]) -> Target:
        target = Target([])
        for e in evidence:
            item = self.source_item(e["source"])
            if item not in target.items:
                target.items.append(item)
            pulls = target.pulls.setdefault(item.key, [])
            if not any(p.quote == e["quote"] for p in pulls):
                pulls.append(Pull(e["quote"], e["locator"]))
        return target

    def _figure(self, owner: str, frag: str) -> Target:
        """A figure of a record or a term, by handle (``ID#metric@2022``) or number (``ID#2``)."""
        kb = self.kb
        rec = kb.get_record(owner)
        if rec is not None:
            figs = rec["figures"]
        elif owner in kb.terms:
            figs = [kb.figure(f) for f in kb.term_doc(owner).get("figures", ())]
        elif owner in kb.sources:
            raise NotFoundError(f"'{owner}#{frag}': {owner} is a source; figures belong to records and terms "
                                "(kb figures lists their handles)")
        else:
            raise kb.not_found(owner)
        return self._evidence_target(figs[pick_figure(owner, figs, frag)]["evidence"])

    def _article(self, law_id: str, number: int, ident: str) -> Target:
        rec = self.kb.get_record(law_id)
        if rec is None or rec["kind"] != "law":
            raise NotFoundError(f"{ident!r}: {law_id!r} is not a law in the base")
        arts = [a for a in rec["articles"] if a["number"] == number]
        if not arts:
            listed = ", ".join(str(a["number"]) for a in rec["articles"]) or "none"
            raise NotFoundError(f"{ident!r}: the base has no article {number} of {law_id} (articles: {listed})")
        art = arts[0]
        item = self.law_item(law_id, art.get("version"))
        target = self._evidence_target(art["evidence"]) if self.law_sources else Target([])
        target.items = [item] + target.items
        version = art.get("version")
        ver = f"（{version}年）" if version and version != current_version(rec) else ""
        items = "".join(f"（{i}）" for i in art.get("items", [])) if art.get("items") else ""
        target.running_text = f"《{rec['name_zh']}》{ver}第{cn_number(number)}条{items}"
        return target


def current_version(law: dict) -> str | None:
    """The latest version of a law: its last amendment, else its issue date."""
    amended = law.get("amended") or []
    return max(amended) if amended else (law.get("issued") or law.get("date"))
