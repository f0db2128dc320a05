"""Datasette metadata for a kb database, made from the database itself and ``store.schema``.

Title and description in English and Chinese, the sources with their terms of use (a source that
asks not to be cited says so), the licence, every table's and column's description, the facets of
``records`` (kind, region, mechanism, instrument, blockage, status), its search, the label column of
each table a foreign key points at, kb's lookup tables hidden, and canned queries for the headline
questions. The format is Datasette's ``metadata.json`` (0.6x).
"""

from __future__ import annotations

import json
import sqlite3
from html import escape

from ..store.schema import FTS_TABLE, TABLES, VIEWS

DATABASE = "kb"  # the name kb serve and kb export --datasette give the database (its template is row-kb-records.html)

# "tags": kbcli's Datasette plugin's array facet (the built-in "array" one reads every column of every row)
RECORD_FACETS = ["kind", {"tags": "regions"}, {"tags": "mechanisms"}, {"tags": "instruments"},
                 {"tags": "addresses"}, "status"]

# Records tagged with a term or a narrower one: `IN (SELECT record FROM record_terms WHERE term IN (SELECT
# descendant FROM term_closure WHERE ancestor = ...))`
_TAGGED = ("r.id IN (SELECT record FROM record_terms WHERE term IN "
           "(SELECT descendant FROM term_closure WHERE ancestor = {}))")

QUERIES = {
    "cities_funding_poc_centres": {
        "title": "Which cities fund proof-of-concept centres? 哪些城市资助概念验证中心？",
        "description": "Records on proof-of-concept centres (概念验证中心, or a narrower mechanism) with public money "
                       "named (funding or a narrower instrument), by the city or municipality they are in, as "
                       "`kb query --mechanism poc-centre --instrument funding --level city --level municipality`.",
        "sql": "SELECT c.id AS city, c.name_zh AS city_name_zh, c.name_en AS city_name_en, r.id, r.kind, r.name_zh, "
               "r.name_en, r.date, r.restricted, r.citation_note\n"
               "FROM records r\n"
               "JOIN record_terms rt ON rt.record = r.id AND rt.vocab = 'regions'\n"
               "JOIN term_closure tc ON tc.descendant = rt.term\n"
               "JOIN terms c ON c.id = tc.ancestor AND c.vocab = 'regions' AND c.level IN ('city', 'municipality')\n"
               f"WHERE {_TAGGED.format(repr('poc-centre'))}\n  AND {_TAGGED.format(repr('funding'))}\n"
               "ORDER BY c.ord, r.kind, r.ord",
    },
    "practices_addressing_dare_not_transfer": {
        "title": "Practices addressing 不敢转 (fear of transferring)",
        "description": "Practices tagged with the blockage 不敢转 (dare-not-transfer) or a narrower one, with "
                       "their regions, as `kb query --blockage 不敢转 --kind practice`. Related blockages "
                       "(see_also) are not included: add them with the parameterised query below.",
        "sql": "SELECT r.id, r.name_zh, r.name_en, r.regions, r.date, r.status, r.restricted, r.citation_note\n"
               "FROM records r\n"
               f"WHERE r.kind = 'practice' AND {_TAGGED.format(repr('dare-not-transfer'))}\nORDER BY r.ord",
    },
    "records_by_terms": {
        "title": "Records by region, mechanism, instrument and blockage",
        "description": "Term ids (see the terms table); a term includes its narrower terms (a province its "
                       "cities); leave a field empty for any. Kind: law, pilot, model, practice or empty.",
        "sql": "SELECT r.id, r.kind, r.name_zh, r.name_en, r.date, r.regions, r.mechanisms, r.instruments, "
               "r.addresses, r.restricted, r.citation_note\n"
               "FROM records r\n"
               "WHERE (:kind = '' OR r.kind = :kind)\n"
               f"  AND (:region = '' OR {_TAGGED.format(':region')})\n"
               f"  AND (:mechanism = '' OR {_TAGGED.format(':mechanism')})\n"
               f"  AND (:instrument = '' OR {_TAGGED.format(':instrument')})\n"
               f"  AND (:blockage = '' OR {_TAGGED.format(':blockage')})\n"
               "ORDER BY r.kind, r.ord",
    },
    "search": {
        "title": "Search, as kb search does (Chinese without spaces, either script, English)",
        "description": "Records matching every part of the text, through kbcli's Datasette plugin (kb_search "
                       "turns the text into the index's character pairs).",
        "sql": "SELECT r.id, r.kind, r.name_zh, r.name_en, r.summary_en, r.restricted, r.citation_note\n"
               f"FROM records r WHERE r.rowid IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH "
               "kb_search(:text))\nORDER BY r.kind, r.ord",
    },
    "quotes_of_record": {
        "title": "Every quote of a record, with its source and locator",
        "description": "A record id (records.id). A source that asks not to be cited says so.",
        "sql": "SELECT part, quote, source, source_title, locator, restricted, citation_note\n"
               "FROM record_quotes WHERE record = :record",
    },
    "figures_of_metric": {
        "title": "A metric across records and sources",
        "description": "A metric id (figures.metric), e.g. technology-contract-turnover: every value, in base units, "
                       "with its date and the sources that report it.",
        "sql": "SELECT f.owner, f.metric, f.value, f.value_max, f.unit, f.qualifier, f.as_of, f.original, f.sources\n"
               "FROM figures f WHERE f.metric = :metric ORDER BY f.as_of_start, f.owner",
    },
}


def metadata(conn: sqlite3.Connection, database: str = DATABASE) -> dict:
    """Datasette metadata for the kb database open on ``conn``."""
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    sources = conn.execute("SELECT id, part_of, title, title_en, publisher, issued, url, restricted, citation_note "
                           "FROM sources ORDER BY ord").fetchall()
    title = " · ".join(t for t in (meta.get("title"), meta.get("title_zh")) if t) or "kb"
    restricted = [(s[0], s[8]) for s in sources if s[7] and not s[1]]
    html = [f"<p>{escape(meta.get('description') or '')}</p>", f"<p lang=\"zh\">{escape(meta.get('description_zh') or '')}</p>"]
    html.append("<p>Sources and their terms (every quote comes from one of them):</p><ul>")
    for sid, part_of, stitle, title_en, publisher, issued, url, restr, note in sources:
        if part_of:
            continue
        bits = [f"<code>{escape(sid)}</code>: {escape(stitle or '')}"]
        if title_en:
            bits.append(f"({escape(title_en)})")
        bits.append(", ".join(escape(x) for x in (publisher, issued) if x))
        if url:
            bits.append(f'<a href="{escape(url)}">{escape(url)}</a>')
        terms = (f'<strong class="kb-restricted">asks not to be cited: {escape(note or "")}</strong>'
                 if restr else "quoted with attribution")
        html.append(f"<li>{' '.join(b for b in bits if b)} — {terms}</li>")
    html.append("</ul>")
    if restricted:
        html.append("<p><strong>Do not cite the restricted sources</strong>: records, quotes and figures that rest on "
                    "them carry <code>restricted = 1</code> and the source's request.</p>")
    html.append("<p>Search (<code>?_search=</code>) reads Chinese without spaces, in either script, and English "
                "words, as <code>kb search</code> does, through kbcli's Datasette plugin.</p>")
    tables: dict[str, dict] = {}
    for t in TABLES:
        tables[t.name] = {"description": t.description, "columns": {c: d for c, (_, d) in t.columns.items()}}
        if t.hidden:
            tables[t.name]["hidden"] = True
        if t.label:
            tables[t.name]["label_column"] = t.label
    tables["records"].update({"facets": RECORD_FACETS, "fts_table": FTS_TABLE, "fts_pk": "rowid", "size": 20})
    tables[FTS_TABLE] = {"description": "The full-text index of records (Chinese as character pairs, English words "
                                        "stemmed): search it with ?_search= on records."}
    for name, description, _ in VIEWS:
        tables[name] = {"description": description}
    tables["record_quotes"]["facets"] = ["source", "restricted"]
    queries = {k: dict(v) for k, v in QUERIES.items()}
    licence = meta.get("license")
    db = {"title": title, "description_html": "\n".join(html), "tables": tables, "queries": queries}
    out = {"title": title, "description_html": "\n".join(html), "databases": {database: db}}
    if licence:
        out["license"] = licence
        db["license"] = licence
    counts = json.loads(meta.get("counts") or "{}")
    if counts:
        out["about"] = ", ".join(f"{v} {k}" for k, v in counts.items()) + f" (kbcli {meta.get('kbcli_version', '')})"
    return out
