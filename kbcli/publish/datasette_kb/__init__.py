"""kbcli's Datasette plugin (registered in pyproject.toml under the ``datasette`` entry point).

Datasette loads it for every database it serves; it acts only on kb databases (``meta`` says
``generator: kbcli`` and this schema version), and with one it makes ``datasette kb.db`` what
``kb serve`` is:

* the metadata (titles, descriptions, facets, canned queries: ``get_metadata``) and the settings
  (``startup``, for settings left at Datasette's defaults) of ``kbcli.publish.metadata``;
* ``?_search=`` finds what ``kb search`` finds (Datasette runs ``MATCH escape_fts(:search)``, and on a
  kb database ``escape_fts`` is kb's reading of the query); ``kb_search(text)`` does the same in SQL;
  a records page that searches lists the best matches first, each with where the text shows;
* records browsed as ``kb query`` reads them: ``_region=``, ``_mechanism=``... filters and the ``kb``
  facets through the term hierarchy (``kbcli.publish.facets``);
* pages that read like ``kb show`` at Datasette's own row URLs (``/kb/records/law-sttl``,
  ``/kb/terms/beijing``, ``/kb/sources/...``), a home page with a question box (``kb ask``, at
  ``/-/ask``), slim tables with tags as named links, the request not to be cited shown once;
* a health check for load balancers (``/-/health``), and bad requests answered with a 4xx page, never
  a traceback (``guard``).

Templates that replace Datasette's (``index.html``, ``row.html``, ``table.html``) fall back to
Datasette's own for any other database.
"""

from __future__ import annotations

import json
from functools import lru_cache, partial

from datasette import hookimpl
from datasette.utils import tilde_encode
from markupsafe import Markup, escape

from ..facets import PARAMS, TAGS, selection
from ..site import kb_database, site
from .facet import KbFacet
from .guard import asgi_wrapper, handle_exception  # noqa: F401 - hook implementations, registered by name

SLIM = {"records": ("id", "name_zh", "name_en", "kind", "date", "regions", "mechanisms", "restricted"),
        "figures": ("owner", "metric", "value", "unit", "qualifier", "as_of", "original", "sources")}
PAGES = {"records": "record_page", "terms": "term_page", "sources": "source_page"}


@hookimpl(trylast=True)  # after Datasette's own escape_fts, which this one replaces on kb databases
def prepare_connection(conn, database, datasette):
    db = kb_database(datasette, database)
    if db is None:
        return
    from ..searching import fts_escape
    from ..site import tune

    for name in ("escape_fts", "kb_search"):
        conn.create_function(name, 1, partial(fts_escape, db.path), deterministic=True)
    tune(conn)


@hookimpl
def startup(datasette):
    found = site(datasette)
    if not found.databases:
        return None
    from datasette.app import DEFAULT_SETTINGS

    from ..metadata import SETTINGS

    for key, value in SETTINGS.items():  # kb's settings where the command line left Datasette's
        if datasette._settings.get(key) == DEFAULT_SETTINGS.get(key):
            datasette._settings[key] = value
    for db in found.databases.values():  # a kb database never changes once built (kb load writes a new file)
        datasette.databases[db.name].is_mutable = False
    datasette.page_size = datasette.setting("default_page_size")
    datasette.sql_time_limit_ms = datasette.setting("sql_time_limit_ms")
    datasette.max_returned_rows = datasette.setting("max_returned_rows")

    async def count():
        from ..facets import facet_index

        for db in found.databases.values():  # every record's facet values, once (the file is immutable)
            await datasette.get_database(db.name).execute_fn(partial(facet_index, db))

    return count


@hookimpl
def get_metadata(datasette, key, database, table):
    found = site(datasette)
    if not found.databases:
        return None
    return found.metadata_for_tables() if key == "tables" else found.metadata()


def _links(datasette, database: str, table: str, ids: list, names) -> Markup:
    out = []
    for i in ids:
        if not isinstance(i, str):
            out.append(escape(str(i)))
            continue
        zh, en = names(i)
        url = datasette.urls.row(database, table, tilde_encode(i))
        out.append(Markup('<a href="{}" title="{}"><span lang="zh">{}</span></a>').format(url, f"{i} {en}".strip(), zh))
    return Markup(", ").join(out)


def notice(note: str | None) -> Markup:
    return Markup('<strong class="kb-restricted">Do not cite — the source asks: <span lang="zh">{}</span></strong>').format(
        note or "not to be cited")


_CELLS = {*TAGS, "see_also", "sources", "url", "restricted", "quote"}


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if column not in _CELLS or value is None:  # most cells: Datasette's own rendering, decided at once
        return None
    db = kb_database(datasette, database)
    if db is None:
        return None
    keys = row.keys() if hasattr(row, "keys") else ()
    if column in TAGS and table in ("records",) or column == "see_also" and table == "terms":
        try:
            ids = json.loads(value)
        except (TypeError, ValueError):
            return None
        if not ids or not isinstance(ids, list):
            return Markup('<span class="kb-muted">–</span>')
        return _links(datasette, database, "terms", ids, db.term_label)
    if column == "sources" and table in ("records", "figures"):
        try:
            ids = json.loads(value)
        except (TypeError, ValueError):
            return None
        return Markup(", ").join(
            Markup('<a href="{}">{}</a>').format(datasette.urls.row(database, "sources", tilde_encode(i)), i)
            for i in ids if isinstance(i, str))
    if column == "url" and table == "sources":
        link = db.source_urls.get(row["id"]) if "id" in keys else None
        return Markup('<a href="{0}" rel="nofollow noopener">{0}</a>').format(link) if link else Markup(
            "<code>{}</code>").format(value)
    if column == "restricted" and value == 0:
        return Markup('<span class="kb-muted" title="no source of it asks not to be cited">–</span>')
    if column == "restricted" and value == 1:  # the request, once a row
        note = row["citation_note"] if "citation_note" in keys else db.restricted.get(row["id"] if "id" in keys else "")
        return Markup('<span class="kb-restricted-cell">1 {}</span>').format(notice(note))
    if column == "quote" and "restricted" not in keys:
        source = row["source"] if "source" in keys else None
        if isinstance(source, dict):  # a foreign key Datasette has labelled
            source = source.get("value")
        if source in db.restricted:
            return Markup("{}<br>").format(value) + notice(db.restricted[source])
    return None


@hookimpl
def prepare_jinja2_environment(env, datasette):
    env.filters.setdefault("kb_tilde", tilde_encode)  # an id as a row URL holds it
    if site(datasette).databases:  # a published base's templates do not change while it runs: no stat a page
        env.auto_reload = False


@hookimpl
def extra_css_urls(template, database, table, columns, view_name, request, datasette):
    if site(datasette).databases:
        return [datasette.urls.static_plugins("kbcli", "kb.css")]
    return []


@hookimpl
def extra_template_vars(template, database, table, columns, view_name, request, datasette):
    found = site(datasette)
    db = found.databases.get(database) if database else (found.first() if view_name == "index" else None)
    if db is None:
        return None
    from ..metadata import TITLES
    from .views import EXAMPLES

    base = {"kb": {"database": db.name, "titles": TITLES, "questions": EXAMPLES}}
    if view_name == "row" and table in PAGES and request is not None:
        return partial(_page, datasette, db, table, request, base)
    if view_name == "table" and table in SLIM and request is not None:
        return {**base, "kb_table": {"slim": SLIM[table], "all": "_col" in request.args or "_nocol" in request.args},
                "kb_ranked": partial(_ranked, datasette, db, request)}
    return base


async def _page(datasette, db, table, request, base):
    from datasette.utils import urlsafe_components

    key = urlsafe_components(request.url_vars.get("pks", ""))[0]
    page = await datasette.get_database(db.name).execute_fn(lambda _conn: _page_data(db.path, table, key))
    return {**base, "kb_page": page}


@lru_cache(maxsize=512)
def _page_data(path, table: str, key: str) -> dict:
    """A page's data, kept: the file never changes while it is served (a big term's page takes 0.1 s at 100k)."""
    from .. import pages
    from ..site import bounded, kb_of

    kb = kb_of(path)
    with bounded(kb.conn, 5.0):
        return getattr(pages, PAGES[table])(kb, key)


async def _ranked(datasette, db, request, sql, params, limit=25):
    """The best matches of a records page that searches (None where it does not, or is sorted)."""
    text = request.args.get("_search") or ""
    if not text.strip() or any(k in request.args for k in ("_sort", "_sort_desc", "_next", "_searchmode")):
        return None
    from ..facets import PARAMS as KB_PARAMS
    from ..searching import ranked
    from ..site import TooLong, bounded, kb_of

    path = db.path
    filtered = any(not (k.startswith("_") and "__" not in k) or k in KB_PARAMS for k in request.args)
    scored = request.scope.get("kbcli", {}).get("search")  # the facets' pass, when it read the matches
    if scored is not None and scored[0] != text:
        scored = None

    def work(_conn):
        kb = kb_of(path)
        with bounded(kb.conn, 3.0):
            return ranked(kb, text, sql, dict(params), limit, filtered, scored)

    try:
        return await datasette.get_database(db.name).execute_fn(work)
    except TooLong:
        return None


@hookimpl
def register_facet_classes():
    return [KbFacet]


@hookimpl
def filters_from_request(request, database, table, datasette):
    db = kb_database(datasette, database)
    if db is None or table != "records" or not any(p in request.args for p in PARAMS):
        return None
    sel = selection(request.args)
    if sel.empty:
        return None

    async def inner():
        from datasette.filters import FilterArguments
        from datasette.utils.asgi import BadRequest

        from ...errors import KbError
        from ..facets import where
        from ..site import kb_of

        path = db.path
        try:
            sql, params, words = await datasette.get_database(database).execute_fn(lambda _c: where(kb_of(path), sel))
        except KbError as exc:
            raise BadRequest(str(exc)) from None
        # by id: a page in id order then reads its own rows alone, and counting them reads only the index
        return FilterArguments([f"id IN (SELECT r.id FROM records r WHERE {sql})"], params, words)

    return inner


@hookimpl
def register_routes(datasette):
    from .views import ROUTES

    return ROUTES
