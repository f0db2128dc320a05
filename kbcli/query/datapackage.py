"""``datapackage.json`` for ``kb export --all``: a Frictionless Data Package a reader can trust.

It says what each exported file holds (the columns of ``store.schema`` where a column has the same
name there, so the description is the database's), each column's type (integers, numbers, booleans,
the first and last days of a date as ``date``; partial ISO dates as strings with a pattern), each
table's primary key and the foreign keys between the exported files (a record's ``part_of``, a
link's ends, a term's ``parent``, the source a quote comes from ...), the licences (the data's and
the quotes', stated apart as the README and the seed's ``meta.license`` do) and the five source
documents. ``frictionless validate`` checks all of it, foreign keys included (tests/test_sql_export.py).

Keys that point at one of several tables (a figure's or a quote's ``owner``: a record, a term or a
source; ``record_terms.term``: a term of the vocabulary its ``vocab`` names) cannot be written as a
Table Schema foreign key: their descriptions say where they point.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..store.schema import KIND_ORDER, TABLE
from .kb import KB, VOCABS

NAME = "kbcli-technology-transfer-policy"

PARTIAL_DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"  # 2022, 2022-03, 2022-03-14
PERIOD = r"^\d{4}(-\d{2}(-\d{2})?)?(/\d{4}(-\d{2}(-\d{2})?)?)?$"  # a partial date or two: 2018/2022
STAMP = r"^\d{4}(-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?)?)?$"  # a source's date, with the time a web page prints

# The licences, as the README's and the seed's meta.license put them: kbcli's own work is MIT; the
# quotes (and the wording and requests they carry) remain their sources' own.
DATA_LICENCE = {"name": "MIT", "path": "https://opensource.org/licenses/MIT",
                "title": "MIT: kbcli and the curators' names, summaries and tags"}
QUOTES = "the quotes are short excerpts that remain their sources' own (kbcli grants no licence for them)"
QUOTES_LICENCE = {"name": "other-closed", "title": QUOTES[0].upper() + QUOTES[1:]}
# the columns that carry the sources' own words
QUOTED = {"records": ("evidence",), "evidence": ("quote",), "figures": ("original",), "sources": ("title", "citation_note")}


@dataclass
class Table:
    """What the package says about one exported table beyond its columns."""

    source: str | None  # the store.schema table whose column descriptions apply to columns of the same name
    key: tuple[str, ...]
    foreign: dict[str, str] = field(default_factory=dict)  # column -> exported table whose id it names
    empty_is_value: bool = False  # an empty cell is an empty string (part of a key), not a missing value
    notes: dict[str, str] = field(default_factory=dict)  # descriptions of columns the database lacks
    description: str | None = None  # what the exported table holds, when it is not the database table's


_TERM = Table("terms", ("id",), {"parent": ""}, notes={
    "depth": "Steps below the vocabulary's top", "records": "Records tagged with the term itself",
    "total": "Records tagged with the term or a narrower one"})
_OWNER = "The record, term or source it belongs to (its id; owner_kind says which)"

TABLES: dict[str, Table] = {
    "records": Table("records", ("id",), {"part_of": "records"}, notes={
        "amended": "Laws: years or dates of amendment", "published_in": "Where a policy statement was published",
        "legal_basis": "Laws it rests on, with articles", "implements": "Records it implements",
        "related": "Related records", "articles": "Articles of a law that the sources cite, with their gist",
        "components": "Models: their parts", "figures": "Its figures: metric=value unit (qualifier)",
        "evidence": "Its quotes, verbatim, with source and locator", "notes": "Curators' notes",
        "restricted": "True when a quote comes from a source that asks not to be cited"}),
    "figures": Table("figures", ("handle",), description=(
        "Every number of a record or term, value in base units (money in yuan), with the wording as printed and "
        "the sources of its quotes (kb figures)."), notes={
        "owner": _OWNER, "handle": "The figure's handle, as kb figures and kb cite take it (ID#metric@as_of)",
        "restricted": "True when a source of its quotes asks not to be cited"}),
    "evidence": Table("evidence", ("owner", "part", "idx"), {"source": "sources"}, empty_is_value=True, description=(
        "Every verbatim quote, with the item it backs (owner: a record, term or source; part: where in it, such as "
        "figures[0] or articles[2]), its source, where in the source it stands, and whether the source asks not "
        "to be cited."), notes={
        "owner": _OWNER, "owner_kind": "law, pilot, model or practice (the record's kind), term or source",
        "restricted": "True when the source asks not to be cited"}),
    "links": Table("links", ("src", "rel", "dst"), {"src": "records", "dst": "records"}),
    "articles": Table("articles", ("law", "number", "version"), {"law": "records"}, empty_is_value=True),
    "sources": Table("sources", ("id",), {"part_of": ""}, description=(
        "The source documents, and articles within them (part_of), with the number of quotes taken from each; "
        "one that asks not to be cited says so (restricted, citation_note)."), notes={
        "quotes": "Quotes taken from it", "restricted": "True when it (or its document) asks not to be cited"}),
    **{vocab: _TERM for vocab in VOCABS},
    "record_terms": Table("record_terms", ("record", "term"), {"record": "records"}, notes={
        "term": "A term of the vocabulary vocab names (the id column of that export)"}),
}

BOOLEAN = {"restricted"}
INTEGER = {"idx", "number", "depth", "records", "total", "quotes"}
NUMBER = {"value", "value_max"}
DATE = {"date_start", "date_end"}  # whole days
PARTIAL = {"date": PARTIAL_DATE, "issued": PARTIAL_DATE, "effective": PARTIAL_DATE, "version": PARTIAL_DATE,
           "as_of": PERIOD}
ENUM = {"kind": list(KIND_ORDER), "vocab": list(VOCABS), "rel": ["legal_basis", "implements", "part_of", "related"]}


def _field(table: str, name: str, listed: bool, separator: str) -> dict:
    spec = TABLES[table]
    source = TABLE.get(spec.source or "")
    described = spec.notes.get(name) or (source.columns[name][1] if source and name in source.columns else "")
    out: dict = {"name": name, "type": "string"}
    if name in BOOLEAN:
        out["type"] = "boolean"
    elif name in INTEGER:
        out["type"] = "integer"
    elif name in NUMBER:
        out["type"] = "number"
    elif name in DATE:
        out["type"], out["format"] = "date", "%Y-%m-%d"
    elif name in PARTIAL and not listed:
        out["constraints"] = {"pattern": STAMP if (table, name) == ("sources", "issued") else PARTIAL[name]}
        described = described or "ISO date, partial allowed (2022, 2022-03)"
    if name in ENUM:
        out["constraints"] = {"enum": ENUM[name]}
    if listed:
        described = (described + ". " if described else "") + f"A list, its items joined by {separator!r}"
    if described:
        out["description"] = described
    if name in spec.key:
        out.setdefault("constraints", {})["required"] = True
    return out


def datapackage(kb: KB, files: dict[str, tuple[str, list[str], set[str]]], fmt: str, bom: bool,
                separators: tuple[str, str]) -> dict:
    """The package for exported ``files``: table -> (path, column names, the columns that hold lists).
    ``separators``: how lists are joined, and how the evidence column's quotes are."""
    meta = dict(kb.conn.execute("SELECT key, value FROM meta").fetchall())
    resources = []
    for table, (path, columns, lists) in files.items():
        spec = TABLES[table]
        fields = [_field(table, c, c in lists, separators[1] if c == "evidence" else separators[0])
                  for c in columns]
        schema: dict = {"fields": fields, "primaryKey": list(spec.key)}
        missing = [k for k in (*spec.key, *spec.foreign) if k not in columns]
        assert not missing, (table, missing)  # the keys are among the exported columns
        if spec.foreign:
            schema["foreignKeys"] = [{"fields": col, "reference": {"resource": "" if target == "" else
                                                                   target.replace("_", "-"), "fields": "id"}}
                                     for col, target in spec.foreign.items()]
        if spec.empty_is_value:
            schema["missingValues"] = []
        res: dict = {"name": table.replace("_", "-"), "path": path, "profile": "tabular-data-resource",
                     "format": fmt, "mediatype": "text/csv" if fmt == "csv" else "text/tab-separated-values",
                     "encoding": "utf-8-sig" if bom else "utf-8", "schema": schema}
        res["description"] = (f"The {table} vocabulary: one row per term, with the records it tags." if table in VOCABS
                              else spec.description or TABLE[table].description)
        quoted = [c for c in QUOTED.get(table, ()) if c in columns]
        res["licenses"] = [DATA_LICENCE] + ([dict(QUOTES_LICENCE, title=f"The columns {', '.join(quoted)}: {QUOTES}")]
                                            if quoted else [])
        if fmt == "tsv":
            res["dialect"] = {"delimiter": "\t", "quoteChar": "\x00", "doubleQuote": False}
        resources.append(res)
    return {
        "profile": "tabular-data-package", "name": NAME,
        "title": f"{meta.get('title', 'kbcli')} ({meta.get('title_zh', '')})".replace(" ()", ""),
        "description": " ".join(x for x in (meta.get("description"), meta.get("description_zh")) if x),
        "version": meta.get("kbcli_version"), "created": _iso(meta.get("built_at")),
        "licenses": [DATA_LICENCE, QUOTES_LICENCE],
        "sources": _sources(kb),
        "keywords": ["科技成果转化", "technology transfer", "China", "policy"],
        "resources": resources,
    }


def _iso(stamp: str | None) -> str | None:
    """2026-12-07T19:23:17+0000 -> 2026-12-07T19:23:17Z (RFC 3339, as the Data Package spec asks)."""
    return stamp.replace("+0000", "Z") if stamp else None


def _sources(kb: KB) -> list[dict]:
    """The source documents (not the articles inside them), each with its title in both languages and,
    for one that asks not to be cited, its request."""
    out = []
    for s in kb.sources.values():
        if s["part_of"]:
            continue
        doc = json.loads(s["doc"])
        title = doc["title"] + (f" ({doc['title_en']})" if doc.get("title_en") else "")
        if s["restricted"]:
            title += f" — NOT FOR CITATION: {s['citation_note']}"
        entry = {"title": title}
        if doc.get("url"):
            entry["path"] = doc["url"]
        out.append(entry)
    return out
