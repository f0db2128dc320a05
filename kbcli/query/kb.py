"""The read side: a connection plus the small tables held in memory.

``KB.record`` turns a stored row into the output contract's record shape:

    {id, kind, name_zh, name_en, summary_en, date, regions, mechanisms,
     instruments, addresses (each a list of {id, name_zh, name_en}),
     figures [{metric, value, unit, qualifier, as_of, original, ...}],
     evidence [{source, quote, locator, ...}], ...}

Evidence from a source that restricts citation carries ``restricted: true``
and the source's ``citation_note``.
"""

from __future__ import annotations

import gc
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cached_property

from .. import shape
from ..errors import NotFoundError
from ..shape import STATUS_DEFAULT, TERM_FIELDS, record_evidence  # noqa: F401 - the query layer's names for them
from ..store.schema import KIND_ORDER


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while records are assembled: they hold no cycles, so reference
    counting frees them all, and the collector would walk every one of them again and again as they are
    made (every record of 陕西 at 100k, 5,605 of them, as JSON: 586 ms with it on, 437 ms)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


VOCABS = ("regions", "mechanisms", "instruments", "blockages")
VOCAB_KIND = {"regions": "region", "mechanisms": "mechanism", "instruments": "instrument", "blockages": "blockage"}
RECORD_KINDS = tuple(KIND_ORDER)
KIND_PLURAL = {"law": "laws", "pilot": "pilots", "model": "models", "practice": "practices"}
PLURAL_KIND = {v: k for k, v in KIND_PLURAL.items()}


class KB:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    # ---------------------------------------------------------------- caches
    @cached_property
    def terms(self) -> dict[str, dict]:
        rows = self.conn.execute(
            "SELECT id, vocab, name_zh, name_en, parent, level, aliases, ord FROM terms ORDER BY vocab, ord")
        return {r[0]: {"id": r[0], "vocab": r[1], "name_zh": r[2], "name_en": r[3], "parent": r[4], "level": r[5],
                       "aliases": json.loads(r[6] or "[]"), "ord": r[7]} for r in rows}

    @cached_property
    def descendants(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for anc, desc in self.conn.execute("SELECT ancestor, descendant FROM term_closure"):
            out.setdefault(anc, []).append(desc)
        return out

    @cached_property
    def see_also(self) -> dict[str, list[str]]:
        """Terms linked by ``see_also``, in both directions (a link is written on one of the two terms)."""
        out: dict[str, list[str]] = {}
        # the links alone, taken out of each term's document in SQLite (parsing the documents here took
        # longer than the rest of a kb query)
        for tid, links in self.conn.execute("SELECT id, json_extract(doc, '$.see_also') AS links FROM terms "
                                            "WHERE links IS NOT NULL AND links != '[]' ORDER BY ord"):
            for other in json.loads(links):
                for a, b in ((tid, other), (other, tid)):
                    if b not in out.setdefault(a, []):
                        out[a].append(b)
        return out

    def ancestors(self, tid: str) -> list[str]:
        """A term's parent, its parent's parent ... up to the root (nearest first)."""
        chain: list[str] = []
        cur = self.terms[tid]["parent"] if tid in self.terms else None
        while cur and cur in self.terms and cur not in chain:
            chain.append(cur)
            cur = self.terms[cur]["parent"]
        return chain

    def term_doc(self, tid: str) -> dict:
        """A vocabulary term as stored (description, figures, evidence)."""
        return json.loads(self.conn.execute("SELECT doc FROM terms WHERE id = ?", (tid,)).fetchone()[0])

    @cached_property
    def sources(self) -> dict[str, dict]:
        rows = self.conn.execute("SELECT id, part_of, restricted, citation_note, title, doc FROM sources ORDER BY ord")
        out = {r[0]: {"id": r[0], "part_of": r[1], "restricted": bool(r[2]), "citation_note": r[3],
                      "title": r[4], "doc": r[5]} for r in rows}
        for s in out.values():  # an article of a restricted document is restricted too
            cur, seen = s, set()
            while cur["part_of"] and cur["part_of"] in out and cur["id"] not in seen:
                seen.add(cur["id"])
                cur = out[cur["part_of"]]
                if cur["restricted"] and not s["restricted"]:
                    s["restricted"], s["citation_note"] = True, cur["citation_note"]
        return out

    def mini(self, tid: str) -> dict:
        return shape.mini(self.terms, tid)

    # -------------------------------------------------------------- records
    def evidence(self, items: Iterable[dict]) -> list[dict]:
        return shape.evidence(self.sources, items)

    def figure(self, f: dict) -> dict:
        return shape.figure(self.sources, f)

    def record(self, kind: str, raw: dict, names: dict[str, dict]) -> dict:
        """One stored record (its parsed doc) as an output record; ``names`` maps linked ids to their names."""
        return shape.record(kind, raw, self.terms, self.sources, names)

    @staticmethod
    def _linked_ids(raws: list[dict]) -> set[str]:
        return {i for raw in raws for i in shape.linked_ids(raw)}

    def names_of(self, ids: Iterable[str]) -> dict[str, dict]:
        ids = list(ids)
        out: dict[str, dict] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            q = f"SELECT id, kind, name_zh, name_en FROM records WHERE id IN ({','.join('?' * len(chunk))})"
            for rid, kind, zh, en in self.conn.execute(q, chunk):
                out[rid] = {"kind": kind, "name_zh": zh, "name_en": en}
        return out

    def records_from_rows(self, rows: list[tuple[str, str]]) -> list[dict]:
        """Rows of (kind, doc) -> output records, each doc parsed once, link names resolved in one query."""
        with collector_paused():
            raws = [json.loads(doc) for _, doc in rows]
            names = self.names_of(self._linked_ids(raws))
            return [self.record(kind, raw, names) for (kind, _), raw in zip(rows, raws)]

    def by_rowid(self, select: str, ids: list[int]) -> dict[int, tuple]:
        """The rows of ``select``, a statement ending in ``rowid IN`` whose first column is that rowid, for
        every rowid of ``ids``, fetched in chunks (SQLite bounds a statement's parameters): rowid -> the
        other columns."""
        out: dict[int, tuple] = {}
        for i in range(0, len(ids), 900):
            chunk = ids[i:i + 900]
            out.update((r[0], r[1:]) for r in self.conn.execute(f"{select} ({','.join('?' * len(chunk))})", chunk))
        return out

    def docs(self, rows: list[tuple[int, str]]) -> list[tuple[str, str]]:
        """(rowid, kind) rows -> (kind, doc) in the same order."""
        docs = self.by_rowid("SELECT rowid, doc FROM record_docs WHERE rowid IN", [r[0] for r in rows])
        return [(kind, docs[rowid][0]) for rowid, kind in rows]

    def term_record(self, tid: str) -> dict:
        """A vocabulary term in the shape of an output record, for answers its own figures or quotes give
        (a blockage's 26.5%): ``kind`` is its vocabulary's (blockage, region ...), ``term`` is true, its
        description is the summary, its figures and quotes as a record's, with ``sources`` and
        ``restricted``."""
        t = self.terms[tid]
        doc = self.term_doc(tid)
        vocab_field = {"regions": "regions", "mechanisms": "mechanisms", "instruments": "instruments",
                       "blockages": "addresses"}[t["vocab"]]
        kind = {"regions": "region", "mechanisms": "mechanism", "instruments": "instrument",
                "blockages": "blockage"}[t["vocab"]]
        rec: dict = {"id": tid, "kind": kind, "term": True, "name_zh": t["name_zh"], "name_en": t["name_en"],
                     "short_names": t["aliases"], "summary_en": doc.get("description_en"), "date": None,
                     "regions": [], "mechanisms": [], "instruments": [], "addresses": [],
                     "figures": [self.figure(f) for f in doc.get("figures", ())],
                     "evidence": self.evidence(doc.get("evidence", ()))}
        rec[vocab_field] = [self.mini(tid)]
        rec["parent"] = self.mini(t["parent"]) if t["parent"] else None
        return shape.row(rec)

    def get_record(self, rid: str) -> dict | None:
        row = self.conn.execute("SELECT r.kind, d.doc FROM records r JOIN record_docs d ON d.rowid = r.rowid "
                                "WHERE r.id = ?", (rid,)).fetchone()
        return self.records_from_rows([row])[0] if row else None

    def all_ids(self) -> list[str]:
        ids = [r[0] for r in self.conn.execute("SELECT id FROM records")]
        return ids + list(self.terms) + list(self.sources)

    def not_found(self, ident: str) -> NotFoundError:
        import difflib

        close = difflib.get_close_matches(ident, self.all_ids(), n=5, cutoff=0.5)
        msg = f"no record, term or source with id {ident!r}"
        if close:
            msg += "; closest: " + ", ".join(close)
        return NotFoundError(msg)
