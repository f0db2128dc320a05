"""The database layout. The database is a build artefact of the seed: when
its schema version differs from this one, it is rebuilt, never migrated.

Tables (all text in the seed's own script; ``doc`` columns hold the item as
JSON, enriched with names when read):

* ``meta``          key/value: schema_version, seed_sha256, seed_path, built_at, counts
* ``sources``       one row per source document or article
* ``terms``         vocabulary terms of all four vocabularies (``vocab`` column)
* ``term_closure``  ancestor/descendant pairs, depth 0 for the term itself
* ``term_names``    matching keys (``kbcli.text.loose``) of ids, names and aliases -> term
* ``record_names``  matching keys of records' ids, names and short names -> record id
* ``records``       laws, pilots, models, practices (``kind``), one row each; kept
                    lean for filtering, the record itself (JSON) is in ``record_docs``
* ``record_docs``   the record as JSON, by records.rowid
* ``record_terms``  which terms tag which record (vocab: regions, mechanisms,
                    instruments, blockages)
* ``figures``       every figure of a record or term, value in base units
* ``evidence``      every quote with its owner and place (``part``)
* ``articles``      law articles the sources cite
* ``links``         legal_basis, implements, part_of, related (src -> dst)
* ``search``        FTS5 index (contentless; rowid = records.rowid). Chinese text
                    (names_zh, terms_zh, quotes) is stored as character pairs that
                    the tokenizer turns into CJK bigrams; English text (names_en,
                    terms_en, summary) as words, Porter-stemmed
"""

SCHEMA_VERSION = 7

DDL = [
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)",
    """CREATE TABLE sources (
        id TEXT PRIMARY KEY, file TEXT, part_of TEXT, type TEXT, title TEXT, title_en TEXT,
        container_title TEXT, publisher TEXT, issued TEXT, language TEXT, url TEXT,
        restricted INTEGER NOT NULL DEFAULT 0, citation_note TEXT, ord INTEGER, doc TEXT)""",
    """CREATE TABLE terms (
        id TEXT PRIMARY KEY, vocab TEXT NOT NULL, name_zh TEXT, name_en TEXT, parent TEXT,
        level TEXT, aliases TEXT, description_en TEXT, ord INTEGER, doc TEXT)""",
    "CREATE TABLE term_closure (ancestor TEXT, descendant TEXT, depth INTEGER, PRIMARY KEY (ancestor, descendant)) WITHOUT ROWID",
    "CREATE TABLE term_names (vocab TEXT, name TEXT, term TEXT, PRIMARY KEY (vocab, name, term)) WITHOUT ROWID",
    "CREATE TABLE record_names (name TEXT, record TEXT)",
    """CREATE TABLE records (
        rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, kind TEXT NOT NULL, name_zh TEXT, name_en TEXT,
        summary_en TEXT, date TEXT, date_start TEXT, date_end TEXT, status TEXT, part_of TEXT,
        ord INTEGER)""",
    "CREATE TABLE record_docs (rowid INTEGER PRIMARY KEY, doc TEXT)",
    "CREATE TABLE record_terms (term TEXT, rec INTEGER, vocab TEXT)",
    """CREATE TABLE figures (
        owner TEXT, idx INTEGER, owner_kind TEXT, metric TEXT, label_en TEXT, value REAL, value_max REAL,
        unit TEXT, qualifier TEXT, as_of TEXT, as_of_start TEXT, as_of_end TEXT, original TEXT, note TEXT,
        sources TEXT)""",
    """CREATE TABLE evidence (
        owner TEXT, part TEXT, idx INTEGER, source TEXT, quote TEXT, locator TEXT, note TEXT)""",
    "CREATE TABLE articles (law TEXT, number INTEGER, version TEXT, items TEXT, gist_en TEXT)",
    "CREATE TABLE links (src TEXT, rel TEXT, dst TEXT, articles TEXT, note TEXT)",
]

# Built after the bulk load (appending to plain tables, then indexing once, is much faster
# than inserting into indexes in random order).
INDEXES = [
    "CREATE UNIQUE INDEX records_id ON records (id)",
    "CREATE UNIQUE INDEX record_names_name ON record_names (name, record)",
    "CREATE INDEX term_names_name ON term_names (name)",
    "CREATE UNIQUE INDEX record_terms_term ON record_terms (term, rec)",
    "CREATE INDEX record_terms_rec ON record_terms (rec)",
    "CREATE UNIQUE INDEX figures_owner ON figures (owner, idx)",
    "CREATE UNIQUE INDEX articles_law ON articles (law, number, version)",
    "CREATE INDEX records_kind ON records (kind, date_start)",
    "CREATE INDEX term_closure_desc ON term_closure (descendant)",
    "CREATE INDEX figures_metric ON figures (metric)",
    "CREATE INDEX evidence_owner ON evidence (owner)",
    "CREATE INDEX evidence_source ON evidence (source)",
    "CREATE INDEX links_src ON links (src)",
    "CREATE INDEX links_dst ON links (dst)",
]

FTS = ("CREATE VIRTUAL TABLE search USING fts5(names_zh, names_en, terms_zh, terms_en, summary, quotes, "
       "content='', tokenize='porter unicode61 remove_diacritics 2', prefix='1')")

ZH_COLUMNS = ("names_zh", "terms_zh", "quotes")
EN_COLUMNS = ("names_en", "terms_en", "summary")
# bm25 weights of the search columns, in their order
SEARCH_WEIGHTS = (10.0, 10.0, 4.0, 4.0, 3.0, 1.0)

KIND_ORDER = {"law": 0, "pilot": 1, "model": 2, "practice": 3}
