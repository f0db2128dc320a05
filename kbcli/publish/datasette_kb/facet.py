"""The ``kb`` facet type for Datasette (``{"kb": "regions"}`` in the metadata): see ``kbcli.publish.facets``."""

from __future__ import annotations

import re

from datasette.facets import Facet
from datasette.utils import path_with_removed_args, path_with_replaced_args

from ...store.schema import SEARCH_WEIGHTS
from ..facets import (
    COLUMN_PARAMS,
    COLUMN_VOCAB,
    COLUMNS,
    KIND_NAMES,
    TAGS,
    VOCAB_NAMES,
    count_rows,
    facet_index,
    fast_subset,
    keep_plain,
    selection,
    where,
)
from ..site import TooLong, bounded, kb_database, kb_of

WEIGHTS = ", ".join(str(w) for w in SEARCH_WEIGHTS)
_UNFILTERED = re.compile(r"^select .+ from records\s*$", re.DOTALL | re.IGNORECASE)


class KbFacet(Facet):
    """Kind, status and the four tag columns of kb's records, counted in one pass; a tag counts the records
    tagged with it or with a narrower term, and its link filters as ``kb query`` does (``_region=``)."""

    type = "kb"

    async def suggest(self):
        return []

    async def facet_results(self):
        db = kb_database(self.ds, self.database)
        configs = self.get_configs()
        if db is None or self.table != "records" or not configs:
            return [], []
        columns = []
        for item in configs:
            column = item["config"].get("simple") or item["config"].get("column")
            if column in COLUMNS and column not in columns:
                columns.append(column)
        if not columns:
            return [], []
        unfiltered = not self.params and _UNFILTERED.match(self.sql) is not None
        seconds = (self.ds.setting("facet_time_limit_ms") or 1000) / 1000
        args = self.request.args
        fast = fast_subset(args)
        sel = selection(args)
        wanted = tuple(columns)
        sql, params, path = self.sql, self.params, db.path
        stash = self.request.scope.setdefault("kbcli", {})  # for the page's ranked matches (see _ranked)

        def work(conn):
            with bounded(conn, seconds):
                index = facet_index(db, conn)
                if unfiltered:
                    return index.totals
                if not fast:  # any other filter: the rows of Datasette's own statement
                    return count_rows(db, conn.execute(f"SELECT {', '.join(wanted)} FROM ({sql})", params).fetchall(),
                                      wanted)
                rowids, scores = None, None
                text = args.get("_search")
                if text:
                    match = "?" if args.get("_searchmode") == "raw" else "escape_fts(?)"
                    # the matches with their relevance: the page's best matches come from the same pass
                    scores = conn.execute(f"SELECT rowid, bm25(records_fts, {WEIGHTS}) FROM records_fts "
                                          f"WHERE records_fts MATCH {match}", (text,)).fetchall()
                    rowids = {r for r, _ in scores}
                if not sel.empty:
                    cond, cond_params, _ = where(kb_of(path), sel)
                    kept = {r[0] for r in conn.execute(f"SELECT r.rowid FROM records r WHERE {cond}", cond_params)}
                    rowids = kept if rowids is None else rowids & kept
                keep = keep_plain(args)
                if scores is not None:
                    within = rowids if not sel.empty or keep else None
                    if keep is not None and within is not None:
                        within = {r for r in within if keep(index.combos[index.combo_of[r]])}
                    stash["search"] = (text, scores, within)
                return index.count(rowids, keep, wanted)

        try:
            counts = await self.ds.get_database(self.database).execute_fn(work)
        except TooLong:
            return [], columns
        chosen: dict[str, set[str]] = {}
        if not sel.empty and any(sel.tags.values()):
            from ..facets import selected_terms

            path = db.path
            chosen = await self.ds.get_database(self.database).execute_fn(
                lambda _conn: selected_terms(kb_of(path), sel))
        size = self.get_facet_size()
        sources = {(item["config"].get("simple") or item["config"].get("column")): item["source"] for item in configs}
        return [self._one(db, column, counts[column], chosen.get(COLUMN_VOCAB.get(column, column), set()), size,
                          sources.get(column))
                for column in columns], []

    def _one(self, db, column: str, counts, chosen: set[str], size: int, source) -> dict:
        request = self.request
        if column in TAGS:
            param = COLUMN_PARAMS[column]
            order = {tid: (t["ord"] or 0) for tid, t in db.terms.items()}
            items = sorted(counts.items(), key=lambda kv: (kv[0] not in chosen, -kv[1], order.get(kv[0], 0), kv[0]))
        else:
            param = column
            current = request.args.get(column)
            chosen = {current} if current else set()
            items = sorted(counts.items(), key=lambda kv: (kv[0] not in chosen, -kv[1], str(kv[0])))
        values = []
        for value, count in items[:size]:
            selected = value in chosen
            if selected:
                path = path_with_removed_args(request, {param: value})
                if param in COLUMN_PARAMS.values() and param in request.args and value not in request.args.getlist(param):
                    path = path_with_replaced_args(request, {param: None, "_next": None})  # chosen by name
            else:
                path = path_with_replaced_args(request, {param: value, "_next": None})
            if column in TAGS:
                zh, en = db.term_label(value)
            else:
                zh, en = (KIND_NAMES.get(value, ""), value) if column == "kind" else ("", value)
            values.append({"value": value, "label": " ".join(x for x in (zh, en) if x) or value, "count": count,
                           "toggle_url": self.ds.absolute_url(request, self.ds.urls.path(path)), "selected": selected,
                           "name_zh": zh, "name_en": en})
        en_name, zh_name = VOCAB_NAMES[column]
        return {"name": column, "type": self.type, "results": values, "hideable": source != "metadata",
                "toggle_url": self.ds.urls.path(path_with_removed_args(request, {"_facet_kb": column})),
                "truncated": len(items) > size, "name_zh": zh_name, "name_en": en_name, "param": param,
                "within": column in TAGS}
