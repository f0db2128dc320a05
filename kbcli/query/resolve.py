"""From a user's words to what the base knows: the one place a word is resolved.

Every command that takes a name goes through here, so a word means the same
thing everywhere (filters, ``kb search``, ``kb show``, ``kb ask``, ``kb cite``):

* ``terms(kb, vocab, value)``: the terms of one vocabulary a filter value names
  (id, Chinese name in either script, English name, alias; English plurals,
  hyphens or spaces, centre/center and tech/technology all match, see
  ``kbcli.text.loose``).
* ``ident(kb, value)``: what ``kb show``/``kb cite`` mean by a value: a record,
  term or source by id or by name, a law's article (``law-sttl#art14``) or a
  record's figure (``ID#2``, ``ID#metric``, ``ID#metric@2022``). An ambiguous
  name lists its candidates.
* ``metrics(kb, value)``: the metric ids a ``--metric`` value names (id or label).
* ``segment(kb, text)``: a query or question cut into pieces, each naming the
  terms and records it matches; unspaced Chinese is split against the names the
  base knows (longest match), the rest stays free text.
* ``suggest(kb, value)``: the closest names, for messages about unknown words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from ..dates import check_date
from ..errors import NotFoundError, UnknownTermError, UsageError
from ..text import HAN, fold, loose
from .kb import KB, KIND_PLURAL, PLURAL_KIND, RECORD_KINDS, VOCAB_KIND, VOCABS

# ------------------------------------------------------------------ kinds, levels and dates


def parse_kind(value: str) -> str:
    """A record kind from its name, singular or plural (law, laws ...)."""
    v = fold(value).strip()
    if v in KIND_PLURAL:
        return v
    if v in PLURAL_KIND:
        return PLURAL_KIND[v]
    raise UsageError(f"unknown kind {value!r}; the kinds are {', '.join(RECORD_KINDS)}")


def parse_kinds(values: Iterable[str]) -> set[str]:
    return {parse_kind(v) for v in values}


REGION_LEVELS = ("world", "country", "macro-region", "province", "municipality", "sar", "city", "district",
                 "county", "zone", "park")


def parse_level(value: str) -> str:
    """A region level (city, province ...), singular or plural."""
    v = loose(value)
    for level in REGION_LEVELS:
        if loose(level) == v:
            return level
    raise UsageError(f"unknown region level {value!r}; the levels are {', '.join(REGION_LEVELS)}")


def parse_date(value: str, option: str) -> str:
    """A partial ISO date given to ``option``; anything else is a usage error naming the option."""
    if not value.strip():
        raise UsageError(f"{option}: give a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    try:
        return check_date(value.strip())
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None

# ------------------------------------------------------------------ terms


def terms(kb: KB, vocab: str, value: str) -> set[str]:
    """The term ids of ``vocab`` that a filter value names; unknown values raise with the closest terms.

    A name that terms of other vocabularies hold too (which validation allows only where the seed's
    ``meta.shared_names`` declares it) means all of them: ``--mechanism 首购`` is the union."""
    rows = kb.conn.execute("SELECT vocab, term FROM term_names WHERE name = ?", (loose(value),)).fetchall()
    if not any(v == vocab for v, _ in rows):
        raise UnknownTermError(VOCAB_KIND[vocab], value, suggest(kb, value, vocab))
    return {t for _, t in rows}


def _term_label(kb: KB, tid: str) -> str:
    t = kb.terms[tid]
    return f"{tid} ({t['name_zh']}, {t['name_en']})"


def _term_keys(kb: KB) -> dict[str, set[str]]:
    cache = kb.__dict__.setdefault("_term_keys", {})
    if not cache:
        for tid, t in kb.terms.items():
            for name in (tid, t["name_zh"], t["name_en"], *t["aliases"]):
                if name:
                    cache.setdefault(loose(name), set()).add(tid)
    return cache


def suggest(kb: KB, value: str, vocab: str | None = None, n: int = 5) -> list[str]:
    """The closest terms to ``value`` (of one vocabulary, or of all), as 'id (名称, Name)'."""
    import difflib

    keys = {k: {t for t in ids if vocab is None or kb.terms[t]["vocab"] == vocab} for k, ids in _term_keys(kb).items()}
    keys = {k: v for k, v in keys.items() if v}
    key = loose(value)
    close = difflib.get_close_matches(key, list(keys), n=12, cutoff=0.5 if key.isascii() else 0.4)
    # a name holding the value, or held by it (hefei in hefeishi), but not a two-letter id inside a word
    contains = [k for k in keys if len(key) > 1 and (key in k or (len(k) > 2 and k in key))]
    contains.sort(key=lambda k: abs(len(k) - len(key)))
    seen: list[str] = []
    for k in close[:3] + contains + close[3:]:
        for tid in sorted(keys[k], key=lambda t: kb.terms[t]["ord"]):
            if tid not in seen:
                seen.append(tid)
    return [_term_label(kb, t) for t in seen[:n]]


# ------------------------------------------------------------------ metrics


def metrics(kb: KB, value: str) -> list[str]:
    """The metric ids a ``--metric`` value names: an id, or a figure label (loosely, or as its beginning).
    Unknown values raise ``UsageError`` with the closest metrics."""
    if kb.conn.execute("SELECT 1 FROM figures WHERE metric = ? LIMIT 1", (value,)).fetchone():
        return [value]
    key = loose(value)
    by_id: dict[str, set[str]] = {}
    by_label: dict[str, set[str]] = {}
    for metric, label in kb.conn.execute("SELECT DISTINCT metric, label_en FROM figures"):
        by_id.setdefault(loose(metric), set()).add(metric)
        if label:
            by_label.setdefault(loose(label), set()).add(metric)
    hit = by_id.get(key) or by_label.get(key) or {
        m for k, ms in by_label.items() if len(key) >= 6 and k.startswith(key) for m in ms}
    if hit:
        return sorted(hit)
    by_key = {**by_label, **by_id}
    import difflib

    close = difflib.get_close_matches(key, list(by_key), n=8, cutoff=0.6)
    contains = [k for k in by_key if len(key) >= 4 and key in k]
    names = list(dict.fromkeys(m for k in close + contains for m in sorted(by_key[k])))[:5]
    msg = f"unknown metric {value!r}"
    raise UsageError(msg + ("; closest: " + ", ".join(names) if names else "; `kb figures` lists every metric"))


_UNIT_WORDS = {"元": "yuan", "人民币": "yuan", "rmb": "yuan", "cny": "yuan", "欧元": "eur", "euro": "eur",
               "美元": "usd", "dollar": "usd", "us dollar": "usd", "%": "percent", "百分比": "percent",
               "percentage": "percent", "家": "enterprise", "项": "item", "人": "person"}


def unit(kb: KB, value: str) -> str:
    """The unit a ``--unit`` value names (yuan, 元, percent, %, enterprises ...); unknown units are a usage
    error listing the units the figures use. Money is always in base units (元, not 万元)."""
    units = [r[0] for r in kb.conn.execute("SELECT DISTINCT unit FROM figures ORDER BY unit")]
    key = value.strip()
    for u in units:
        if loose(u) == loose(key):
            return u
    mapped = _UNIT_WORDS.get(fold(key)) or _UNIT_WORDS.get(loose(key))
    if mapped is not None and mapped in units:
        return mapped
    import difflib

    close = difflib.get_close_matches(loose(key), units, n=4, cutoff=0.6)
    hint = f"; closest: {', '.join(close)}" if close else ""
    raise UsageError(f"unknown unit {value!r}{hint}; the units are {', '.join(units)} (money in yuan: 元)")


# ------------------------------------------------------------------ identifiers

ARTICLE_RE = re.compile(r"^(?P<id>[^#]+)#(?:art(?:icle)?[-.]?\s*)(?P<n>\d+)$", re.IGNORECASE)
FRAGMENT_RE = re.compile(r"^(?P<id>[^#]+)#(?P<frag>.+)$")


@dataclass(frozen=True)
class Ref:
    """What an identifier names: ``kind`` is record, term, source, article or figure."""

    kind: str
    id: str  # the record, term or source id (for articles and figures: the record's)
    fragment: str | None = None  # article number, or the figure's number, metric or metric@period


def _record_ids_named(kb: KB, key: str) -> list[str]:
    return [r[0] for r in kb.conn.execute(
        "SELECT n.record FROM record_names n JOIN records r ON r.id = n.record WHERE n.name = ? ORDER BY r.ord",
        (key,))]


def _by_id(kb: KB, value: str) -> Ref | None:
    if kb.conn.execute("SELECT 1 FROM records WHERE id = ?", (value,)).fetchone():
        return Ref("record", value)
    if value in kb.terms:
        return Ref("term", value)
    if value in kb.sources:
        return Ref("source", value)
    return None


def ident(kb: KB, value: str) -> Ref:
    """What ``kb show``/``kb cite`` mean by ``value``: an id, a name in either script, an English name,
    an alias, ``law#art14`` or ``ID#figure``. Ambiguous names raise ``UsageError`` listing the candidates."""
    value = value.strip()
    ref = _by_id(kb, value)
    if ref is not None:
        return ref
    m = ARTICLE_RE.match(value)
    if m:
        base = _named(kb, m.group("id").strip(), kinds=("record",))
        return Ref("article", base.id, m.group("n"))
    m = FRAGMENT_RE.match(value)
    if m:
        if m.group("id").strip() in kb.sources:
            raise UsageError(f"{value!r}: {m.group('id').strip()} is a source; figures belong to records and terms "
                             "(kb figures shows each figure's handle)")
        base = _named(kb, m.group("id").strip(), kinds=("record", "term"))
        return Ref("figure", base.id, m.group("frag").strip())
    return _named(kb, value)


def _named(kb: KB, value: str, kinds: tuple[str, ...] = ("record", "term", "source")) -> Ref:
    ref = _by_id(kb, value)
    if ref is not None and ref.kind in kinds:
        return ref
    key = loose(value)
    found: list[Ref] = []
    if "record" in kinds:
        found += [Ref("record", r) for r in _record_ids_named(kb, key)]
    if "term" in kinds:
        for vocab in VOCABS:
            found += [Ref("term", t) for t in sorted(_term_keys(kb).get(key, ()), key=lambda t: kb.terms[t]["ord"])
                      if kb.terms[t]["vocab"] == vocab]
    if "source" in kinds:
        found += [Ref("source", s) for s, src in kb.sources.items() if src["title"] and loose(src["title"]) == key]
    found = list(dict.fromkeys(found))
    if len(found) == 1:
        return found[0]
    if found:
        raise UsageError(f"{value!r} names {len(found)} things; give one of their ids: "
                         + "; ".join(describe(kb, r) for r in found))
    raise not_found(kb, value)


@dataclass(frozen=True)
class Named:
    """What a word names for compare, graph and chart: a record (``vocab`` None) or a term of ``vocab``."""

    id: str
    vocab: str | None = None

    @property
    def kind(self) -> str:
        return VOCAB_KIND[self.vocab] if self.vocab else "record"


def word(kb: KB, value: str, records: bool = True) -> Named:
    """The term (regions first, then mechanisms, instruments, blockages) or, with ``records``, the record a
    word names; several terms of one vocabulary are a usage error listing them."""
    w = value.strip()
    if records and kb.conn.execute("SELECT 1 FROM records WHERE id = ?", (w,)).fetchone():
        return Named(w)
    hits = _term_keys(kb).get(loose(w), set()) | ({w} if w in kb.terms else set())
    for vocab in VOCABS:
        mine = sorted(t for t in hits if kb.terms[t]["vocab"] == vocab)
        if len(mine) > 1:
            raise UsageError(f"{value!r} names several {vocab}: "
                             + ", ".join(f"{t} ({kb.terms[t]['name_zh']})" for t in mine) + "; give one id")
        if mine:
            return Named(mine[0], vocab)
    if records:
        named = _record_ids_named(kb, loose(w))
        if len(named) == 1:
            return Named(named[0])
        if named:
            raise UsageError(f"{value!r} names {len(named)} records; give one of their ids: " + ", ".join(named))
    raise not_found(kb, value)


def describe(kb: KB, ref: Ref) -> str:
    """A one-line label: 'id [kind] 名称'."""
    if ref.kind == "term":
        t = kb.terms[ref.id]
        return f"{ref.id} [{VOCAB_KIND[t['vocab']]}] {t['name_zh']}"
    if ref.kind == "source":
        return f"{ref.id} [source] {kb.sources[ref.id]['title']}"
    row = kb.conn.execute("SELECT kind, name_zh FROM records WHERE id = ?", (ref.id,)).fetchone()
    return f"{ref.id} [{row[0]}] {row[1]}" if row else ref.id


def not_found(kb: KB, value: str) -> NotFoundError:
    """'Nothing is called X', with the closest ids and names."""
    import difflib

    close = difflib.get_close_matches(value, kb.all_ids(), n=5, cutoff=0.6)
    close += [s for s in suggest(kb, value, n=3) if s.split(" ", 1)[0] not in close]
    msg = f"no record, term or source is called {value!r}"
    if close:
        msg += "; closest: " + ", ".join(close[:6])
    return NotFoundError(msg)


# ------------------------------------------------------------------ scope


def out_of_scope(kb: KB, text: str) -> list[dict]:
    """The topics the base leaves out (the seed's ``meta.out_of_scope``) whose words ``text`` uses."""
    import json

    row = kb.conn.execute("SELECT value FROM meta WHERE key = 'out_of_scope'").fetchone()
    if row is None:
        return []
    key = loose(text)
    return [t for t in json.loads(row[0]) if any(loose(k) and loose(k) in key for k in t["keywords"])]


def scope_words(kb: KB) -> dict[str, list[str]]:
    """The out-of-scope topics' words as ``segment`` extras (tag ``scope:<topic>``)."""
    import json

    row = kb.conn.execute("SELECT value FROM meta WHERE key = 'out_of_scope'").fetchone()
    out: dict[str, list[str]] = {}
    for topic in json.loads(row[0]) if row else []:
        for k in topic["keywords"]:
            out.setdefault(loose(k), []).append(f"scope:{topic['topic_en']}")
    return out


# ------------------------------------------------------------------ segmentation

# a unit is one Chinese character or one run of Latin letters and digits
@lru_cache(maxsize=1)
def _unit_re() -> re.Pattern:
    """A Chinese character, or a run of other letters and digits. Compiled on first use (about 1.5 ms:
    kb query never segments a question)."""
    return re.compile(rf"[{HAN}]|[^\W_{HAN}]+")

MAX_HAN = 24  # longest Chinese name tried, in characters
_AFTER_SINGLE = frozenset("的了吗呢第里内中级有是在和与及对给为把被于由向都也还又能会做用请各等将已哪")
MAX_WORDS = 16  # longest English name tried, in words (a law's or a plan's full title)


@dataclass
class Piece:
    """A stretch of a query: the text as typed and what it names (nothing for free text)."""

    text: str
    start: int
    end: int
    terms: list[str] = field(default_factory=list)
    records: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # the caller's own words (see ``segment``'s ``extra``)

    @property
    def known(self) -> bool:
        return bool(self.terms or self.records or self.tags)

    @property
    def han(self) -> bool:
        return bool(re.search(f"[{HAN}]", self.text))


def segment(kb: KB, text: str, extra: dict[str, list[str]] | None = None,
            single_han: Iterable[str] = ()) -> list[Piece]:
    """Cut ``text`` into pieces: stretches that name terms, records or the caller's ``extra`` words
    (keys made with ``loose``), chosen to cover as much of the text as possible with as few pieces as
    possible (so 合肥中试 is 合肥 + 中试, and 概念验证中心 one piece), and free text between them.

    Names of one Chinese character (京, 肥) are matched only when ``extra`` lists them, or when they
    are in ``single_han``: inside a phrase they are too often part of another word."""
    extra = extra or {}
    units = [(m.start(), m.end()) for m in _unit_re().finditer(text)]
    if not units:
        return []
    spans: dict[tuple[int, int], str] = {}
    for i in range(len(units)):
        han_run = True
        for j in range(i, min(len(units), i + MAX_HAN)):
            is_han = units[j][1] - units[j][0] == 1 and re.match(f"[{HAN}]", text[units[j][0]])
            han_run = han_run and bool(is_han)
            if not han_run and j - i >= MAX_WORDS:
                break
            spans[(i, j + 1)] = loose(text[units[i][0]:units[j][1]])
    keys = set(spans.values())
    found_terms = _lookup(kb, "SELECT name, term FROM term_names WHERE name IN ({})", keys)
    found_records = _lookup(kb, "SELECT name, record FROM record_names WHERE name IN ({})", keys)
    singles = {loose(s) for s in single_han}

    def match(span: tuple[int, int]) -> tuple[list[str], list[str], list[str]] | None:
        key = spans[span]
        single = span[1] - span[0] == 1 and len(key) == 1 and not key.isascii()
        tags = extra.get(key, [])
        if single and tags and tags != ["stop"] and span[1] < len(units):
            # a one-character word (市, 省) before another character is part of a word (市场, 省会) unless
            # that character is a particle
            nxt = text[units[span[1]][0]:units[span[1]][1]]
            if re.fullmatch(f"[{HAN}]", nxt) and nxt not in _AFTER_SINGLE:
                tags = []
        if single and not tags and key not in singles:
            return None
        ts, rs = sorted(found_terms.get(key, ())), sorted(found_records.get(key, ()))
        return (ts, rs, tags) if (ts or rs or tags) else None

    # best[j]: (units covered, -pieces naming only a record, -pieces) of the best cut of units[:j]: as much
    # text named as possible, by vocabulary terms and question words rather than by a record's name
    # (单列管理试点 is 单列管理 + 试点 before it is one pilot's short name), in as few pieces as possible
    best: list[tuple[int, int, int]] = [(0, 0, 0)] + [(-1, 0, 0)] * len(units)
    back: list[tuple[int, tuple | None]] = [(0, None)] * (len(units) + 1)
    for j in range(1, len(units) + 1):
        best[j], back[j] = best[j - 1], (j - 1, None)  # unit j-1 as free text
        for i in range(max(0, j - MAX_HAN), j):
            if (i, j) not in spans:
                continue
            hit = match((i, j))
            if hit is None:
                continue
            record_only = not hit[0] and not hit[2]
            score = (best[i][0] + (j - i), best[i][1] - record_only, best[i][2] - 1)
            if score > best[j]:
                best[j], back[j] = score, (i, hit)
    cuts: list[tuple[int, int, tuple | None]] = []
    j = len(units)
    while j > 0:
        i, hit = back[j]
        cuts.append((i, j, hit))
        j = i
    cuts.reverse()
    pieces: list[Piece] = []
    for i, j, hit in cuts:
        start, end = units[i][0], units[j - 1][1]
        if hit is None:
            prev = pieces[-1] if pieces else None
            # free units run together when nothing but spaces-free text separates them in one script
            if prev is not None and not prev.known and _joins(text, prev.end, start, prev.text):
                prev.text, prev.end = text[prev.start:end], end
                continue
            pieces.append(Piece(text[start:end], start, end))
        else:
            ts, rs, tags = hit
            pieces.append(Piece(text[start:end], start, end, list(ts), list(rs), list(tags)))
    return pieces


def _joins(text: str, a: int, b: int, prev: str) -> bool:
    """Whether free text ending at ``a`` continues with the unit at ``b``: Chinese runs join
    (no space between), Latin words do not (each word is its own piece)."""
    gap = text[a:b]
    return gap == "" and bool(re.match(f"[{HAN}]", text[b])) and bool(re.search(f"[{HAN}]$", prev))


def _lookup(kb: KB, sql: str, keys: set[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    ks = [k for k in keys if k]
    for i in range(0, len(ks), 900):
        chunk = ks[i:i + 900]
        for name, target in kb.conn.execute(sql.format(",".join("?" * len(chunk))), chunk):
            out.setdefault(name, set()).add(target)
    return out

