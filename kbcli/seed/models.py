"""The seed's schema as pydantic models.

Field-level rules live here (types, required fields, unknown fields, id and
date syntax, non-empty quotes, no control characters). Rules that need the
whole seed (references, unique ids, cycles) live in ``validate``.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from ..dates import check_date, date_range
from ..text import INVISIBLE, has_control

# --------------------------------------------------------------------------
# Scalar types

ID_RE = re.compile(r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$")
DATETIME_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$")


def _text(v: str) -> str:
    if not v or v.isspace():
        raise ValueError("must not be empty")
    if not v.isprintable() and has_control(v):  # isprintable: a fast path in C for the usual case
        raise ValueError("must not contain control characters or invisible formatting characters (such as U+202E)")
    return v


def _id(v: str) -> str:
    if not ID_RE.fullmatch(v):  # not match: its $ also matches before a final newline
        raise ValueError("must be lowercase letters, digits and single - _ . separators, e.g. 'hefei-poc-award'")
    return v


def _date_or_interval(v: str) -> str:
    """A partial date or an interval of two (``2018/2022``), start before end."""
    if "/" in v:
        a, _, b = v.partition("/")
        check_date(a)
        check_date(b)
        if date_range(a)[0] > date_range(b)[1]:
            raise ValueError(f"interval {v!r} ends before it starts")
        return v
    return check_date(v)


def _datetime(v: str) -> str:
    """A date, or a date and time as printed on a web page (``2024-11-14 13:13:12``)."""
    m = DATETIME_RE.fullmatch(v)
    if m:
        check_date(m.group(1))
        h, mi, s = int(m.group(2)), int(m.group(3)), int(m.group(4) or 0)
        if h > 23 or mi > 59 or s > 59:
            raise ValueError(f"{v!r} has no such time")
        return v
    return check_date(v)


def _url(v: str) -> str:
    """An http or https URL with a host: a source's link is printed in citations, on the web pages and in
    metadata.json, where a javascript: or data: URL would run when clicked."""
    scheme, sep, rest = v.partition(":")
    if not sep or scheme.lower() not in ("http", "https"):
        shown = f"a {scheme + ':'!r} URL" if sep and len(scheme) <= 20 else "without a scheme"
        raise ValueError(f"must be an http:// or https:// URL, not {shown}")
    if not rest.startswith("//") or not rest[2:].split("/", 1)[0].strip() or any(c.isspace() for c in v):
        raise ValueError("must be an http:// or https:// URL with a host and no spaces, e.g. https://www.most.gov.cn/")
    return v


SEED_SCHEMA_VERSION = 1  # the meta.schema_version of the seeds this kb reads


def _schema_version(v: int) -> int:
    if v != SEED_SCHEMA_VERSION:
        raise ValueError(f"schema_version {v} is not one this kb reads: it reads schema_version {SEED_SCHEMA_VERSION}")
    return v


def _number(v):
    """Numbers arrive as strings from the reader; keep ints exact."""
    if isinstance(v, bool):
        raise ValueError("must be a number")
    if isinstance(v, (int, float)):
        n = v
    elif isinstance(v, str):
        s = v.strip().replace("_", "")
        try:
            n = int(s)
        except ValueError:
            try:
                n = float(s)
            except ValueError:
                raise ValueError(f"{v!r} is not a number") from None
    else:
        raise ValueError("must be a number")
    if isinstance(n, float):
        if math.isnan(n) or n in (float("inf"), float("-inf")):
            raise ValueError("must be a finite number")
        if n.is_integer() and abs(n) < 2**53:
            n = int(n)
    elif not -(2**63) <= n < 2**63:  # SQLite's integers are 64-bit
        raise ValueError(f"{n} is too large: at most {2**63 - 1} (write it as 1.5e30 for a rough figure)")
    return n


def _bool(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "yes", "on"):
        return True
    if isinstance(v, str) and v.lower() in ("false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def _char_class(ranges) -> str:
    """Code point ranges as the inside of a regular-expression class, every character escaped."""
    return "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges)


def _ranges(chars) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for c in sorted(chars):
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return [(a, b) for a, b in out]


# Text and ids are checked by pydantic-core itself (its Rust regular expressions), not by a Python
# function called for every string of the seed: at 100k records that was a third of validation.
# The patterns say exactly what _text and _id say, which give the message when a value fails.
_CONTROL = _char_class(((0x00, 0x08), (0x0B, 0x1F), (0x7F, 0x9F), *INVISIBLE))
_SPACE = _char_class(_ranges(c for c in range(0x3001) if chr(c).isspace()))  # what str.isspace calls space
TEXT_PATTERN = f"^[^{_CONTROL}]*[^{_CONTROL}{_SPACE}][^{_CONTROL}]*$"
ID_PATTERN = ID_RE.pattern
# the check that words the message of a value a pattern refused
PATTERN_CHECKS = {TEXT_PATTERN: _text, ID_PATTERN: _id}

Text = Annotated[str, StringConstraints(pattern=TEXT_PATTERN)]
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
PartialDate = Annotated[str, AfterValidator(check_date)]
DateOrInterval = Annotated[str, AfterValidator(_date_or_interval)]
DateTime = Annotated[str, AfterValidator(_datetime)]
Number = Annotated[int | float, BeforeValidator(_number)]
Flag = Annotated[bool, BeforeValidator(_bool)]
Url = Annotated[str, StringConstraints(pattern=TEXT_PATTERN), AfterValidator(_url)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, str_strip_whitespace=False)


# --------------------------------------------------------------------------
# Evidence and figures


class Evidence(Model):
    """A verbatim quote from a source, with where in the source it stands."""

    source: Id
    quote: Text
    locator: Text
    note: Text | None = None


Qualifier = Literal["exact", "max", "min", "approx", "over", "under", "range", "target"]


class Figure(Model):
    """A number normalised for sorting and sums (money in yuan)."""

    metric: Id
    label_en: Text | None = None
    value: Number
    value_max: Number | None = None  # upper bound, with qualifier 'range'
    unit: Id
    qualifier: Qualifier = "exact"
    as_of: DateOrInterval | None = None
    original: Text
    note: Text | None = None
    evidence: list[Evidence] = Field(min_length=1)


# --------------------------------------------------------------------------
# Sources


class Person(Model):
    name: Text  # printed form; Chinese names stay whole (CSL "literal")
    role: Literal["author", "reporter", "editor", "translator"] = "author"


SourceType = Literal["report", "article-newspaper", "webpage", "article-magazine", "article-journal",
                     "periodical", "post-weblog", "document"]


class Source(Model):
    """A document the base rests on, or an article inside one (``part_of``)."""

    id: Id
    file: Text | None = None  # file name in the sources folder; articles inherit their document's
    part_of: Id | None = None
    type: SourceType
    title: Text
    title_en: Text
    subtitle: Text | None = None
    container_title: Text | None = None  # newspaper, newsletter, site or series
    container_title_en: Text | None = None
    original_source: Text | None = None  # where a reprint first appeared
    authors: list[Person] = Field(default_factory=list)
    editors: list[Person] = Field(default_factory=list)
    publisher: Text | None = None
    publisher_place: Text | None = None
    issued: DateTime | None = None
    issue: Text | None = None  # issue or number as printed
    url: Url | None = None
    site: Text | None = None  # a site name or domain as printed, when no URL is given
    medium: Literal["OL"] | None = None  # online, even when no URL is printed
    language: Literal["zh-CN", "zh-Hant", "en"] = "zh-CN"
    restricted: Flag = False
    citation_note: Text | None = None
    description_en: Text | None = None
    notes: Text | None = None
    evidence: list[Evidence] = Field(default_factory=list)


# --------------------------------------------------------------------------
# Vocabularies


class Term(Model):
    id: Id
    name_zh: Text
    name_en: Text
    aliases: list[Text] = Field(default_factory=list)
    parent: Id | None = None
    see_also: list[Id] = Field(default_factory=list)  # related terms of the same vocabulary (overlapping, not narrower)
    # words one of which a record's own evidence must contain to carry this term or a narrower one
    # ("{n}" stands for a number: "{n}元" is an amount in yuan); `kb validate` warns where none does
    evidence_cues: list[Text] = Field(default_factory=list)
    description_en: Text | None = None
    figures: list[Figure] = Field(default_factory=list)  # statistics that describe the term (a blockage's extent)
    evidence: list[Evidence] = Field(default_factory=list)


RegionLevel = Literal["world", "country", "macro-region", "province", "municipality", "sar", "city", "district",
                      "county", "zone", "park"]


class Region(Term):
    level: RegionLevel


class Mechanism(Term):
    pass


class Instrument(Term):
    pass


class Blockage(Term):
    pass


# --------------------------------------------------------------------------
# Records


class LegalBasis(Model):
    law: Id
    articles: list[Annotated[int, Field(ge=1, lt=2**63)]] = Field(default_factory=list)
    note: Text | None = None


class RecordBase(Model):
    id: Id
    name_zh: Text
    name_en: Text
    summary_en: Text
    short_names: list[Text] = Field(default_factory=list)  # short or common names, other scripts
    date: PartialDate | None = None
    regions: list[Id] = Field(default_factory=list)
    mechanisms: list[Id] = Field(default_factory=list)
    instruments: list[Id] = Field(default_factory=list)
    addresses: list[Id] = Field(default_factory=list)  # blockage ids
    actors: list[Text] = Field(default_factory=list)  # bodies that act, as printed
    legal_basis: list[LegalBasis] = Field(default_factory=list)
    implements: list[Id] = Field(default_factory=list)  # pilots or laws this record puts into effect
    part_of: Id | None = None
    related: list[Id] = Field(default_factory=list)
    figures: list[Figure] = Field(default_factory=list)
    notes: Text | None = None
    evidence: list[Evidence] = Field(min_length=1)

    def quote_sources(self) -> list[str]:
        """The sources of every quote of the record, each once: its own, its figures', and its articles'
        or components' (a law's, a model's)."""
        out = [e.source for e in self.evidence]
        for f in self.figures:
            out.extend(e.source for e in f.evidence)
        d = self.__dict__
        for part in (d.get("articles", ()), d.get("components", ())):
            for x in part:
                out.extend(e.source for e in x.evidence)
        return list(dict.fromkeys(out))


LawLevel = Literal["national-law", "administrative-regulation", "central-document", "policy-statement", "departmental-document",
                   "local-regulation", "local-document", "institutional-rule", "foreign-law", "foreign-policy"]
LawStatus = Literal["in-force", "amended", "repealed", "draft", "not-stated"]


class Article(Model):
    number: Annotated[int, Field(ge=1, lt=2**63)]
    version: PartialDate | None = None  # which text's numbering, when not the latest
    items: list[Text] = Field(default_factory=list)  # items cited, as numbered in the text: ["一", "二"]
    gist_en: Text
    evidence: list[Evidence] = Field(min_length=1)


class Law(RecordBase):
    level: LawLevel
    # the English title citations print (APA in square brackets, as a translation; BibTeX titleaddon,
    # RIS TT): only where the sources give or imply it, as for foreign laws the sources name in Chinese
    title_en: Text | None = None
    issuers: list[Text] = Field(default_factory=list)
    doc_number: Text | None = None
    issued: PartialDate | None = None
    effective: PartialDate | None = None
    amended: list[PartialDate] = Field(default_factory=list)
    status: LawStatus = "not-stated"
    published_in: Text | None = None  # the periodical a signed article or statement appeared in
    articles: list[Article] = Field(default_factory=list)


class Pilot(RecordBase):
    issuers: list[Text] = Field(default_factory=list)
    status: Literal["ongoing", "completed", "planned", "not-stated"] = "not-stated"


class Component(Model):
    name_zh: Text
    name_en: Text
    summary_en: Text | None = None
    evidence: list[Evidence] = Field(min_length=1)


class TransferModel(RecordBase):
    category: Id | None = None  # statutory, us, germany, innovation-mode, empowerment ...
    components: list[Component] = Field(default_factory=list)


class Practice(RecordBase):
    status: Literal["implemented", "planned", "proposed"] = "implemented"


class OutOfScope(Model):
    """A topic the sources touch but the base leaves out (``data/coverage-exclusions.yaml`` says
    where): searches and questions that use its words are told so instead of finding nothing."""

    topic_en: Text
    topic_zh: Text
    keywords: list[Text] = Field(min_length=1)  # words a question on the topic uses, in either language
    reason: Text


class SharedName(Model):
    """A name or alias that terms of different vocabularies share on purpose (首购: the mechanism
    first-purchase and the instrument procurement). Validation refuses any other sharing; a filter
    or question using the name means all of ``terms``."""

    name: Text
    terms: list[Id] = Field(min_length=2)
    reason: Text


class Meta(Model):
    title: Text
    title_zh: Text | None = None
    description: Text | None = None
    description_zh: Text | None = None
    schema_version: Annotated[int, BeforeValidator(_number), AfterValidator(_schema_version)] = SEED_SCHEMA_VERSION
    license: Text | None = None  # the licence of the base as published (kb serve, kb export --datasette)
    out_of_scope: list[OutOfScope] = Field(default_factory=list)
    shared_names: list[SharedName] = Field(default_factory=list)  # names shared across vocabularies on purpose


VOCABS = {"regions": Region, "mechanisms": Mechanism, "instruments": Instrument, "blockages": Blockage}
RECORDS = {"laws": Law, "pilots": Pilot, "models": TransferModel, "practices": Practice}
SECTIONS = {"sources": Source, **VOCABS, **RECORDS}
KIND_OF_SECTION = {"laws": "law", "pilots": "pilot", "models": "model", "practices": "practice"}
SECTION_OF_KIND = {v: k for k, v in KIND_OF_SECTION.items()}
VOCAB_OF_FIELD = {"regions": "regions", "mechanisms": "mechanisms", "instruments": "instruments",
                  "addresses": "blockages"}
