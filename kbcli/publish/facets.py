"""Records browsed as ``kb query`` reads them: filters and facets through the term hierarchy.

* **Filters** ``?_region=anhui``, ``_mechanism``, ``_instrument``, ``_blockage`` (a term's id, either
  Chinese name or an alias; repeated: any of them), ``_level=city``, ``_since=2018``, ``_until=2022``:
  the records ``kb query --region anhui ...`` finds, the places within Anhui included (Datasette's own
  ``regions__arraycontains=anhui`` keeps the exact tag only). The SQL is kb's own
  (``kbcli.query.facets.where_clause``), so a word means on the web what it means on the command line.
* **Facets** (metadata ``{"kb": column}``): kind, status and the four tag columns counted in one pass
  over the rows the page shows; a term counts the records tagged with it or with a narrower term (what
  its link keeps: ``_region=``), so Anhui counts Hefei's records. The counts of all records are made
  once per process (the file is immutable), so the unfiltered records page costs nothing to facet.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass

from .site import KbDatabase

VOCAB_PARAMS = {"regions": "_region", "mechanisms": "_mechanism", "instruments": "_instrument",
                "blockages": "_blockage"}
PARAMS = (*VOCAB_PARAMS.values(), "_level", "_since", "_until", "_exact")
# the records' tag columns and their vocabularies (the blockages a record addresses: column addresses)
COLUMN_VOCAB = {"regions": "regions", "mechanisms": "mechanisms", "instruments": "instruments",
                "addresses": "blockages"}
COLUMN_PARAMS = {c: VOCAB_PARAMS[v] for c, v in COLUMN_VOCAB.items()}
VOCAB_NAMES = {"regions": ("regions", "地区"), "mechanisms": ("mechanisms", "机制"),
               "instruments": ("instruments", "政策工具"), "addresses": ("blockages", "堵点"),
               "kind": ("kind", "类型"), "status": ("status", "状态")}
KIND_NAMES = {"law": "法律法规", "pilot": "试点", "model": "转化模式", "practice": "地方做法"}
COLUMNS = ("kind", "status", "regions", "mechanisms", "instruments", "addresses")
TAGS = tuple(COLUMN_VOCAB)


@dataclass
class Selection:
    """The kb filters of a request: {vocab: [values]}, levels, dates."""

    tags: dict[str, list[str]]
    levels: list[str]
    since: str | None
    until: str | None
    exact: bool

    @property
    def empty(self) -> bool:
        return not (any(self.tags.values()) or self.levels or self.since or self.until)


def selection(args) -> Selection:
    tags = {vocab: [v for v in args.getlist(p) if v.strip()] for vocab, p in VOCAB_PARAMS.items()}
    return Selection(tags, [v for v in args.getlist("_level") if v.strip()], args.get("_since") or None,
                     args.get("_until") or None, (args.get("_exact") or "") not in ("", "0", "off"))


def where(kb, sel: Selection) -> tuple[str, dict, list[str]]:
    """(a condition on ``records r`` that the records the kb filters keep hold, its named parameters, what it
    keeps in words); raises kb's UsageError for an unknown term, level or date."""
    from ..query.facets import Filters, where_clause
    from ..query.resolve import terms

    f = Filters(regions=sel.tags["regions"], mechanisms=sel.tags["mechanisms"], instruments=sel.tags["instruments"],
                blockages=sel.tags["blockages"], levels=sel.levels, since=sel.since, until=sel.until,
                exact=sel.exact)
    sql, positional = where_clause(kb, f)
    params: dict = {}

    def named(_m: re.Match) -> str:
        key = f"kb{len(params)}"
        params[key] = positional[len(params)]
        return f":{key}"

    sql = re.sub(r"\?", named, sql)  # kb writes its values as parameters only: every ? is one
    words = []
    for vocab, values in sel.tags.items():
        for v in values:
            names = [f"{kb.terms[t]['name_zh']} {kb.terms[t]['name_en']}" for t in sorted(terms(kb, vocab, v))]
            within = " (exactly)" if sel.exact and vocab == "regions" else " or narrower"
            words.append(f"{vocab[:-1]} {' / '.join(names)}{within}")
    words += [f"region level {v} (or within one)" for v in sel.levels]
    if sel.since:
        words.append(f"dated {sel.since} or later")
    if sel.until:
        words.append(f"dated {sel.until} or earlier")
    return sql, params, words


def selected_terms(kb, sel: Selection) -> dict[str, set[str]]:
    from ..errors import UsageError
    from ..query.resolve import terms

    out: dict[str, set[str]] = {}
    for vocab, values in sel.tags.items():
        for v in values:
            try:
                out.setdefault(vocab, set()).update(terms(kb, vocab, v))
            except UsageError:
                pass
    return out


# ---------------------------------------------------------------- counting
def count_rows(db: KbDatabase, rows: list[tuple], columns: tuple[str, ...] = COLUMNS) -> dict[str, Counter]:
    """Facet counts of ``rows`` (tuples of ``columns``): a tag column counts each term, and each broader
    term, once per row holding it or a narrower one."""
    out: dict[str, Counter] = {}
    for i, column in enumerate(columns):
        values = Counter(r[i] for r in rows)
        if column not in TAGS:
            out[column] = Counter({k: v for k, v in values.items() if k is not None})
            continue
        counts: Counter = Counter()
        for value, n in values.items():
            for tid in _within(db, value):
                counts[tid] += n
        out[column] = counts
    return out


_EXPANDED: dict[tuple[str, str], frozenset] = {}


def _within(db: KbDatabase, value: str | None) -> frozenset:
    """The terms a tag column's JSON array holds, with every broader term."""
    if not value:
        return frozenset()
    key = (str(db.path), value)
    found = _EXPANDED.get(key)
    if found is None:
        try:
            ids = json.loads(value)
        except ValueError:
            ids = []
        found = frozenset(t for tid in ids if isinstance(tid, str) for t in db.up.get(tid, [tid]))
        if len(_EXPANDED) > 200_000:
            _EXPANDED.clear()
        _EXPANDED[key] = found
    return found


class FacetIndex:
    """Every record's six facet values, held once per process (the file is immutable): the records as
    distinct combinations of values, and for each rowid the number of its combination. Counting a page's
    rows is then a pass over their rowids, without reading the records table, whose rows are large (they
    hold every quote): 35,000 rows found by a search cost 300 ms to read back at 100k records."""

    def __init__(self, db: KbDatabase, conn):
        from array import array

        combos: dict[tuple, int] = {}
        pairs = []
        # the covering index of the six columns holds the rowid too: the table itself is not read
        for rowid, *values in conn.execute(f"SELECT rowid, {', '.join(COLUMNS)} FROM records"):
            pairs.append((rowid, combos.setdefault(tuple(values), len(combos))))
        self.combo_of = array("I", [0]) * ((max((r for r, _ in pairs), default=0)) + 1)
        self.present = array("b", [0]) * len(self.combo_of)
        for rowid, c in pairs:
            self.combo_of[rowid] = c
            self.present[rowid] = 1
        self.combos = list(combos)
        self.db = db
        self.totals = self.count_combos(Counter(c for _, c in pairs))

    def count_combos(self, per_combo: Counter, columns: tuple[str, ...] = COLUMNS) -> dict[str, Counter]:
        rows = [(*self.combos[c], n) for c, n in per_combo.items()]
        out: dict[str, Counter] = {}
        for column in columns:
            i = COLUMNS.index(column)
            counts: Counter = Counter()
            if column in TAGS:
                for r in rows:
                    for tid in _within(self.db, r[i]):
                        counts[tid] += r[-1]
            else:
                for r in rows:
                    if r[i] is not None:
                        counts[r[i]] += r[-1]
            out[column] = counts
        return out

    def count(self, rowids, keep=None, columns: tuple[str, ...] = COLUMNS) -> dict[str, Counter]:
        """Facet counts of the records ``rowids`` (all records when None) whose combination ``keep`` accepts."""
        combo_of, present = self.combo_of, self.present
        if rowids is None:
            per = Counter(combo_of[r] for r in range(len(combo_of)) if present[r])
        else:
            n = len(combo_of)
            per = Counter(combo_of[r] for r in rowids if 0 <= r < n and present[r])
        if keep is not None:
            per = Counter({c: k for c, k in per.items() if keep(self.combos[c])})
        return self.count_combos(per, columns)


def facet_index(db: KbDatabase, conn) -> FacetIndex:
    if db.facets is None:
        db.facets = FacetIndex(db, conn)
    return db.facets


# the request's arguments the fast path reads; any other filter goes through Datasette's statement
PLAIN = {"kind", "status", "kind__in", "status__in", "kind__exact", "status__exact"}


def fast_subset(args) -> bool:
    """Whether the rows a records page keeps can be found without Datasette's statement: a search, kb's
    filters, kind and status, nothing else that filters."""
    for key in args:
        if key in PLAIN or key in PARAMS or key == "_search":
            continue
        if key.startswith("_") and "__" not in key and not key.startswith(("_search_", "_where", "_filter")):
            continue  # _size, _facet, _sort, _next ... : not filters
        return False
    return True


def keep_plain(args):
    """A test on a combination (kind, status, ...) for the request's kind and status filters, or None."""
    wanted: dict[int, set] = {}
    for key in args:
        column, _, op = key.partition("__")
        if column in ("kind", "status") and op in ("", "exact", "in"):
            values = set()
            for v in args.getlist(key):
                values.update(x for x in v.split(",")) if op == "in" else values.add(v)
            i = COLUMNS.index(column)
            wanted[i] = wanted[i] & values if i in wanted else values
    if not wanted:
        return None
    return lambda combo: all(combo[i] in vs for i, vs in wanted.items())
