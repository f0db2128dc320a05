"""The database layout, for kb and for people who write SQL (sqlite3, sqlite-utils, Datasette).

The database is a build artefact of the seed: when its schema version differs
from this one, it is rebuilt, never migrated. This module holds the layout as
data: tables with their columns, keys, foreign keys and descriptions; indexes;
views; the full-text index. ``store.build`` creates them (through sqlite-utils)
and the Datasette metadata (``kbcli.publish``) describes them from here, so
the descriptions cannot drift from the tables.

Conventions: every list is a JSON array (``["hefei", "hangzhou"]``); ids are
the seed's; flags are 0/1; partial dates are ISO text (``2022``, ``2022-03``)
with ``*_start``/``*_end`` the first and last day they cover.

The full-text index ``records_fts`` is an FTS5 table whose content is the
``records`` table (so ``sqlite-utils search`` and Datasette find it), but whose
index is built by kb: Chinese text is indexed as overlapping character pairs,
folded to simplified script (see ``kbcli.text.pair_text``), English as
Porter-stemmed words. A search must therefore be written in pairs: kb does it,
and so do the Datasette and sqlite-utils plugins shipped in ``kbcli.publish``.
Its columns hold more than the ``records`` columns of the same name show
(short names, actors, notes, articles' gists, every quote of the record);
never run FTS5's 'rebuild' on it, which would index the readable text instead.
"""

from __future__ import annotations

SCHEMA_VERSION = 11

TEXT, INT, REAL = str, int, float


class Table:
    """A table: ordered columns ``{name: (type, description)}``, its primary key, foreign keys
    ``{column: (table, column)}`` and what it holds."""

    def __init__(self, name: str, description: str, columns: dict[str, tuple[type, str]],
                 pk: str | tuple[str, ...] | None = None, foreign_keys: dict[str, tuple[str, str]] | None = None,
                 not_null: tuple[str, ...] = (), hidden: bool = False, label: str | None = None):
        self.name, self.description, self.columns = name, description, columns
        self.pk, self.foreign_keys, self.not_null = pk, foreign_keys or {}, not_null
        self.hidden = hidden  # kb's own lookup tables: Datasette does not list them
        self.label = label  # the column Datasette shows for a row linked to

    def insert_sql(self, with_rowid: bool = False) -> str:
        cols = (["rowid"] if with_rowid else []) + list(self.columns)
        return f"INSERT INTO {self.name} ({', '.join(cols)}) VALUES ({','.join('?' * len(cols))})"


_DATE = "ISO date, partial allowed (2022, 2022-03)"
_LIST = "JSON array"

TABLES = [
    Table("meta", "About this database: the seed it was built from, when, by which kbcli, and the base's title, "
          "description and licence.",
          {"key": (TEXT, "Name of the setting"), "value": (TEXT, "Its value (counts and lists as JSON)")},
          pk="key"),
    Table("sources", "The source documents, and articles within them (part_of). Every quote in the base comes "
          "from one of them. A source that asks not to be cited is restricted, and so are its articles.",
          {"id": (TEXT, "Source id"), "file": (TEXT, "File name of the source text"),
           "part_of": (TEXT, "The document an article belongs to"),
           "type": (TEXT, "CSL item type (report, article-newspaper, webpage ...)"),
           "title": (TEXT, "Title as printed"), "title_en": (TEXT, "English translation of the title (ours)"),
           "container_title": (TEXT, "Newspaper, newsletter, site or series"), "publisher": (TEXT, "Publisher"),
           "issued": (TEXT, "Date of issue, ISO"), "language": (TEXT, "zh-CN, zh-Hant or en"),
           "url": (TEXT, "Where it is published, when known"),
           "restricted": (INT, "1 when the source (or the document it is part of) asks not to be cited"),
           "citation_note": (TEXT, "The source's own words asking not to be cited"),
           "ord": (INT, "Order in the seed"), "doc": (TEXT, "The whole seed entry as JSON")},
          pk="id", foreign_keys={"part_of": ("sources", "id")}, label="title"),
    Table("terms", "The four vocabularies (regions, mechanisms, instruments, blockages) in one table; parent is "
          "the broader term, whose queries include this one.",
          {"id": (TEXT, "Term id"), "vocab": (TEXT, "regions, mechanisms, instruments or blockages"),
           "name_zh": (TEXT, "Chinese name"), "name_en": (TEXT, "English name"),
           "parent": (TEXT, "Broader term of the same vocabulary"),
           "level": (TEXT, "Regions: country, province, municipality, city, district, zone, park ..."),
           "aliases": (TEXT, f"Other names, either script ({_LIST})"),
           "see_also": (TEXT, (f"Related, overlapping terms a query does not include, both ways: a link written on "
                               f"either term ({_LIST})")),
           "description_en": (TEXT, "What the term covers"), "ord": (INT, "Order in its vocabulary"),
           "doc": (TEXT, "The whole seed entry as JSON")},
          pk="id", foreign_keys={"parent": ("terms", "id")}, not_null=("vocab",), label="name_zh"),
    Table("term_closure", "Every term with each of its ancestors (depth 1, 2 ...) and itself (depth 0): "
          "join on ancestor to include narrower terms.",
          {"ancestor": (TEXT, "The broader term"), "descendant": (TEXT, "A term within it, or itself"),
           "depth": (INT, "Steps from descendant up to ancestor")},
          pk=("ancestor", "descendant"),
          foreign_keys={"ancestor": ("terms", "id"), "descendant": ("terms", "id")}),
    Table("term_names", "kb's matching keys of term ids, names and aliases (folded, no spaces).",
          {"vocab": (TEXT, "Vocabulary"), "name": (TEXT, "Matching key"), "term": (TEXT, "Term")},
          pk=("vocab", "name", "term"), foreign_keys={"term": ("terms", "id")}, hidden=True),
    Table("records", "Laws, pilot programmes, transfer models and practices (kind), one row each, with their "
          "tags as JSON arrays of term ids (facet them with _facet_array), the sources of their quotes and "
          "whether any asks not to be cited. record_terms holds the same tags one per row.",
          {"id": (TEXT, "Record id"), "kind": (TEXT, "law, pilot, model or practice"),
           "name_zh": (TEXT, "Chinese name"), "name_en": (TEXT, "English name (ours)"),
           "short_names": (TEXT, f"Short or common names, either script ({_LIST})"),
           "summary_en": (TEXT, "Summary in English (the curators' own words)"),
           "date": (TEXT, f"Date ({_DATE}); laws: date issued"),
           "date_start": (TEXT, "First day the date covers"), "date_end": (TEXT, "Last day the date covers"),
           "status": (TEXT, ("Laws: in-force, amended, repealed, not-stated; pilots: ongoing, completed, planned, "
                             "not-stated; practices: implemented, planned, proposed")),
           "part_of": (TEXT, "The record this one is part of"),
           "regions": (TEXT, f"Regions it applies to ({_LIST} of term ids)"),
           "mechanisms": (TEXT, f"Mechanisms set up or changed ({_LIST} of term ids)"),
           "instruments": (TEXT, f"Instruments of public authority used ({_LIST} of term ids)"),
           "addresses": (TEXT, (f"Blockages (堵点) it addresses ({_LIST} of term ids); the seed's, kb query's and "
                                 "kb export's name for it too (called blockages before schema 10)")),
           "actors": (TEXT, f"Bodies that act, as printed ({_LIST})"),
           "sources": (TEXT, f"Sources of its quotes ({_LIST} of source ids)"),
           "restricted": (INT, "1 when a quote comes from a source that asks not to be cited"),
           "citation_note": (TEXT, "What the restricting source says (do not cite it)"),
           "level": (TEXT, "Laws: national, ministerial, provincial, municipal ..."),
           "issuers": (TEXT, f"Laws and pilots: issuing bodies ({_LIST})"),
           "doc_number": (TEXT, "Laws: document number (文号)"),
           "issued": (TEXT, f"Laws: date issued ({_DATE})"), "effective": (TEXT, f"Laws: date in force ({_DATE})"),
           "category": (TEXT, "Models: statutory, us, germany, innovation-mode ..."),
           "tags_zh": (TEXT, ("Chinese names of its regions, mechanisms, instruments and blockages, and its actors "
                              "(what the search index holds of them)")),
           "tags_en": (TEXT, "English names of its regions, mechanisms, instruments and blockages"),
           "quotes": (TEXT, "Every quote of the record, one a line (each with its source in record_quotes)"),
           "ord": (INT, "Order within its kind in the seed")},
          pk="id", foreign_keys={"part_of": ("records", "id")}, not_null=("kind",), label="name_zh"),
    Table("record_names", "kb's matching keys of record ids, names and short names (folded, no spaces).",
          {"name": (TEXT, "Matching key"), "record": (TEXT, "Record")},
          foreign_keys={"record": ("records", "id")}, hidden=True),
    Table("record_docs", "The record as kb reads it: JSON by records.rowid.",
          {"rowid": (INT, "records.rowid"), "doc": (TEXT, "The record as JSON, as the seed holds it"),
           "json": (TEXT, ("The record as kb query --format json prints it (one line), made by the build "
                           "from doc, the terms' names and the names of the records it links to"))},
          pk="rowid", hidden=True),
    Table("record_terms", "Which terms tag which record, one row each (a term's narrower terms are not "
          "repeated: join term_closure for them).",
          {"record": (TEXT, "Record"), "term": (TEXT, "Term"), "vocab": (TEXT, "The term's vocabulary")},
          foreign_keys={"record": ("records", "id"), "term": ("terms", "id")}),
    Table("figures", "Every number of a record or term, value in base units (money in yuan), with the wording "
          "as printed.",
          {"owner": (TEXT, "The record or term it belongs to"), "idx": (INT, "Position among its owner's figures"),
           "owner_kind": (TEXT, "law, pilot, model or practice (the record's kind), or term"),
           "record": (TEXT, "The owner when it is a record"), "term": (TEXT, "The owner when it is a term"),
           "metric": (TEXT, "What is counted or measured"), "label_en": (TEXT, "The metric in English words"),
           "value": (REAL, "Value in base units"), "value_max": (REAL, "Upper bound of a range"),
           "unit": (TEXT, "Unit (yuan, percent, enterprise ...)"),
           "qualifier": (TEXT, "exact, max, min, approx, over, under, range or target"),
           "as_of": (TEXT, "Date or period (2018/2022) the value is for"),
           "as_of_start": (TEXT, "First day of as_of"), "as_of_end": (TEXT, "Last day of as_of"),
           "original": (TEXT, "The wording as printed, found in its quote"), "note": (TEXT, "Curators' note"),
           "sources": (TEXT, f"Sources of its quotes ({_LIST} of source ids)")},
          foreign_keys={"record": ("records", "id"), "term": ("terms", "id")}),
    Table("evidence", "Every verbatim quote, with the item it backs (owner: a record, term or source; part: "
          "where in it, such as figures[0] or articles[2]), its source and where in the source it stands. "
          "record_quotes adds the source's title and its request not to be cited.",
          {"owner": (TEXT, "The record, term or source the quote backs"),
           "record": (TEXT, "The owner when it is a record"), "term": (TEXT, "The owner when it is a term"),
           "part": (TEXT, "Where in the owner: empty, figures[i], articles[i] or components[i]"),
           "idx": (INT, "Position in that list"), "source": (TEXT, "Source quoted"),
           "quote": (TEXT, "The quote, verbatim"), "locator": (TEXT, "The headings above it, joined by ' > '"),
           "note": (TEXT, "Curators' note")},
          foreign_keys={"record": ("records", "id"), "term": ("terms", "id"), "source": ("sources", "id")}),
    Table("articles", "Articles of laws that the sources cite, in the numbering of the text they cite "
          "(version).",
          {"law": (TEXT, "The law"), "number": (INT, "Article number"),
           "version": (TEXT, "The text whose numbering is meant (empty: the current one)"),
           "items": (TEXT, f"Items cited ({_LIST})"), "gist_en": (TEXT, "What the article says (ours)")},
          foreign_keys={"law": ("records", "id")}),
    Table("links", "Relations between records: src rests on (legal_basis), implements, is part of or is related "
          "to dst.",
          {"src": (TEXT, "The record stating the link"), "rel": (TEXT, "legal_basis, implements, part_of, related"),
           "dst": (TEXT, "The record linked to"), "articles": (TEXT, f"Articles of a legal basis ({_LIST})"),
           "note": (TEXT, "Curators' note")},
          foreign_keys={"src": ("records", "id"), "dst": ("records", "id")}),
]
TABLE = {t.name: t for t in TABLES}

# Built after the bulk load (appending to plain tables, then indexing once, is much faster
# than inserting into indexes in random order): (table, columns, unique)
INDEXES = [
    ("record_names", ("name", "record"), True),
    ("term_names", ("name",), False),
    ("record_terms", ("term", "record"), True),
    ("record_terms", ("record",), False),
    ("figures", ("owner", "idx"), True),
    ("articles", ("law", "number", "version"), True),
    ("records", ("kind", "date_start"), False),
    # kb's filters look records up by id and sort them by kind, order and date: this index answers that
    # without reading the rows, which carry their quotes for the full-text index (as much as 4x faster at 100k)
    ("records", ("id", "kind", "ord", "date_start", "date_end", "date", "status"), False),
    # and this one lets Datasette count records by kind, status and tag without reading the rows
    ("records", ("kind", "status", "regions", "mechanisms", "instruments", "addresses"), False),
    ("term_closure", ("descendant",), False),
    ("figures", ("metric", "label_en"), False),  # kb ask reads the metrics and their labels from this alone
    ("figures", ("value",), False),  # kb search 26.5%: the figures of a value
    ("evidence", ("record",), False),
    ("evidence", ("term",), False),
    ("evidence", ("source",), False),
    ("links", ("src",), False),
    ("links", ("dst",), False),
    ("sources", ("part_of",), False),
    ("terms", ("parent",), False),
]


# Run after the load, in order: what the rows can only hold once every row is written.
# A see_also link is written on one of its two terms; the column lists it on both, in the order kb
# and its exports give (by the order of the term that writes it, then its place in that list).
FINISH = [
    ("UPDATE terms SET see_also = (SELECT json_group_array(other) FROM ("
    "SELECT other, MIN(k) AS k FROM ("
    "SELECT j.value AS other, terms.ord * 1000000 + j.key AS k FROM json_each(json_extract(terms.doc, '$.see_also')) j "
    "UNION ALL SELECT w.id, w.ord * 1000000 + j.key FROM terms w, json_each(json_extract(w.doc, '$.see_also')) j "
    "WHERE j.value = terms.id AND w.vocab = terms.vocab) GROUP BY other ORDER BY k))"),
]


def _tag_view(vocab: str, col: str, extra: str = "") -> str:
    return (f"SELECT r.id AS record, r.kind AS record_kind, r.name_zh AS record_name_zh, "
            f"r.name_en AS record_name_en, t.id AS {col}, t.name_zh AS {col}_name_zh, t.name_en AS {col}_name_en"
            f"{extra}, t.parent AS {col}_parent "
            f"FROM record_terms rt JOIN records r ON r.id = rt.record JOIN terms t ON t.id = rt.term "
            f"WHERE rt.vocab = '{vocab}'")


# (name, description, SQL)
VIEWS = [
    ("record_regions", ("One row per record and region it applies to, with names (join term_closure on "
                        "region to include the places within a region)."), _tag_view("regions", "region", ", t.level AS level")),
    ("record_mechanisms", "One row per record and mechanism, with names.", _tag_view("mechanisms", "mechanism")),
    ("record_instruments", "One row per record and instrument, with names.", _tag_view("instruments", "instrument")),
    ("record_blockages", "One row per record and blockage (堵点) it addresses, with names.",
     _tag_view("blockages", "blockage")),
    ("record_quotes", ("Every quote of every record (its own and its figures', articles' and components'), with "
                       "the source's title and, for a source that asks not to be cited, its request."),
     ("SELECT e.record AS record, r.kind AS record_kind, r.name_zh AS record_name_zh, e.part AS part, "
     "e.quote AS quote, e.source AS source, s.title AS source_title, e.locator AS locator, "
     "s.restricted AS restricted, s.citation_note AS citation_note "
     "FROM evidence e JOIN records r ON r.id = e.record JOIN sources s ON s.id = e.source")),
]

FTS_TABLE = "records_fts"
# The search columns, each the name of the records column whose text it shows; bm25 weights in their order
FTS_COLUMNS = ("name_zh", "name_en", "tags_zh", "tags_en", "summary_en", "quotes")
SEARCH_WEIGHTS = (10.0, 10.0, 4.0, 4.0, 3.0, 1.0)
ZH_COLUMNS = ("name_zh", "tags_zh", "quotes")
EN_COLUMNS = ("name_en", "tags_en", "summary_en")
# Written out rather than made by sqlite-utils' enable_fts, which has no prefix option (the prefix index
# serves one-character searches) and fills the index from the readable columns, not from kb's pairs.
FTS = (f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({', '.join(FTS_COLUMNS)}, content=\"records\", "
       "tokenize='porter unicode61 remove_diacritics 2', prefix='1')")

KIND_ORDER = {"law": 0, "pilot": 1, "model": 2, "practice": 3}
