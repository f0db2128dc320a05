"""kbcli's Datasette plugin (registered in pyproject.toml under the ``datasette`` entry point).

Datasette loads it for every database it serves; it acts only on kb databases (``meta``
says ``generator: kbcli`` and this schema version):

* ``?_search=`` finds what ``kb search`` finds (中试, 中試, 概念验证, English words): Datasette
  runs a search as ``MATCH escape_fts(:search)``, and on a kb database ``escape_fts`` is kb's
  reading of the query as character pairs (``kbcli.publish.searching``); ``kb_search(text)``
  does the same for SQL written by hand. ``_searchmode=raw`` still passes the text untouched.
* a restricted flag or citation note, and a quote from a source that asks not to be cited,
  show the source's request wherever they are displayed;
* ``{"tags": "regions"}`` facets a JSON array of term ids as the built-in array facet does, labelled
  with the terms' Chinese names, and fast: the built-in one keeps every column of every row for
  a ``DISTINCT`` (4 s for the records page at 100k records, its facets timing out), this one reads
  the array column alone, from an index (about 40 ms a facet);
* a record's page (``row-kb-records.html``, for the database named ``kb`` as ``kb serve`` and
  ``kb export --datasette`` name it) lists each quote with its source, locator and that request.
"""

from __future__ import annotations

import sqlite3
from functools import partial

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import escape_fts, escape_sqlite, path_with_added_args, path_with_removed_args
from markupsafe import Markup

_kb_databases: dict[str, dict | None] = {}  # Datasette database name -> {restricted source: note} or None


def _escape(path, query):
    from ..searching import expression

    try:
        return expression(path, query) or escape_fts(query)
    except Exception:  # noqa: BLE001 - a search must never break the page: fall back to Datasette's quoting
        return escape_fts(query)


@hookimpl(trylast=True)  # after Datasette's own escape_fts, which this one replaces on kb databases
def prepare_connection(conn, database, datasette):
    from ..searching import kb_database

    path = kb_database(conn)
    if path is None:
        return
    conn.create_function("escape_fts", 1, partial(_escape, path), deterministic=True)
    conn.create_function("kb_search", 1, partial(_escape, path), deterministic=True)


def _restricted(datasette, database: str) -> dict | None:
    """For a kb database, its restricted sources and their requests; None for any other database."""
    if database not in _kb_databases:
        from ..searching import kb_database

        found = None
        db = datasette.databases.get(database)
        if db is not None and db.path:
            try:
                conn = sqlite3.connect(f"file:{db.path}?mode=ro", uri=True)
                try:
                    if kb_database(conn) is not None:
                        found = dict(conn.execute("SELECT id, citation_note FROM sources WHERE restricted = 1"))
                finally:
                    conn.close()
            except sqlite3.Error:
                found = None
        _kb_databases[database] = found
    return _kb_databases[database]


def notice(note: str | None) -> Markup:
    return Markup('<strong class="kb-restricted">Do not cite — the source asks: {}</strong>').format(
        note or "not to be cited")


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    restricted = _restricted(datasette, database)
    if restricted is None or value is None:
        return None
    keys = row.keys() if hasattr(row, "keys") else ()
    if column == "restricted" and value == 1:
        note = row["citation_note"] if "citation_note" in keys else None
        return Markup("1 ") + notice(note)
    if column == "citation_note" and value:
        return notice(value)
    source = row["source"] if "source" in keys else None
    if isinstance(source, dict):  # a foreign key Datasette has labelled
        source = source.get("value")
    if column == "quote" and source in restricted:
        return Markup("{}<br>").format(value) + notice(restricted[source])
    return None


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    if view_name != "row" or table != "records" or _restricted(datasette, database) is None:
        return None

    async def quotes():
        from datasette.utils import tilde_decode

        pk = tilde_decode(request.url_vars.get("pks", ""))
        rows = await datasette.get_database(database).execute(
            "SELECT e.part, e.quote, e.source, s.title, e.locator, s.restricted, s.citation_note "
            "FROM evidence e JOIN sources s ON s.id = e.source WHERE e.record = ? ORDER BY e.rowid", [pk])
        return {"kb_quotes": [dict(r) for r in rows]}

    return quotes


class TagsFacet(Facet):
    """Counts of the items of a JSON array column (kb's tag columns hold term ids, each once a row)."""

    type = "tags"

    async def suggest(self):
        return []

    async def facet_results(self):
        results, timed_out = [], []
        size = self.get_facet_size()
        pairs = self.get_querystring_pairs()
        for item in self.get_configs():
            column = item["config"].get("column") or item["config"]["simple"]
            # the array column alone: SQLite flattens the subquery and reads the column from an index
            sql = (f"SELECT j.value AS value, count(*) AS count FROM ({self.sql}) AS inner_rows, "
                   f"json_each(inner_rows.{escape_sqlite(column)}) AS j GROUP BY j.value "
                   f"ORDER BY count DESC, value LIMIT {size + 1}")
            try:
                rows = (await self.ds.execute(self.database, sql, self.params, truncate=False,
                                              custom_time_limit=self.ds.setting("facet_time_limit_ms"))).rows
            except QueryInterrupted:
                timed_out.append(column)
                continue
            names = await self._names([r["value"] for r in rows[:size]])
            values = []
            for r in rows[:size]:
                value = str(r["value"])
                arg = {f"{column}__arraycontains": value}
                chosen = (f"{column}__arraycontains", value) in pairs
                path = path_with_removed_args(self.request, arg) if chosen else path_with_added_args(self.request, arg)
                values.append({"value": value, "label": f"{value} {names[value]}" if names.get(value) else value,
                               "count": r["count"], "toggle_url": self.ds.absolute_url(self.request, path),
                               "selected": chosen})
            results.append({"name": column, "type": self.type, "results": values, "hideable": item["source"] != "metadata",
                            "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet_tags": column})),
                            "truncated": len(rows) > size})
        return results, timed_out

    async def _names(self, ids: list) -> dict:
        if not ids:
            return {}
        try:
            rows = await self.ds.execute(self.database, f"SELECT id, name_zh FROM terms WHERE id IN "
                                                        f"({','.join('?' * len(ids))})", ids)
        except Exception:  # noqa: BLE001 - a database without kb's terms: ids alone
            return {}
        return {r["id"]: r["name_zh"] for r in rows}


@hookimpl
def register_facet_classes():
    return [TagsFacet]
