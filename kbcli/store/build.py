"""Build the SQLite database from a seed, atomically.

The validator streams valid items into ``Builder.add``; rows go into a
temporary file beside the target in batches. Only when the whole seed is
valid does ``finish`` index it, write the metadata and rename the file into
place, so a failed load leaves an existing database byte-for-byte unchanged.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..seed import models as m
from ..dates import date_range
from ..text import loose, search_tokens
from .schema import DDL, FTS, INDEXES, SCHEMA_VERSION

BATCH = 5000
VOCAB_FIELDS = (("regions", "regions"), ("mechanisms", "mechanisms"), ("instruments", "instruments"),
                ("addresses", "blockages"))
INSERT = {
    "sources": "INSERT INTO sources VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "terms": "INSERT INTO terms VALUES (?,?,?,?,?,?,?,?,?,?)",
    "records": "INSERT INTO records VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "record_terms": "INSERT OR IGNORE INTO record_terms VALUES (?,?,?)",
    "figures": "INSERT INTO figures VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "evidence": "INSERT INTO evidence VALUES (?,?,?,?,?,?,?)",
    "articles": "INSERT INTO articles VALUES (?,?,?,?,?)",
    "links": "INSERT INTO links VALUES (?,?,?,?,?)",
    "search": "INSERT INTO search (rowid, names, terms, summary, quotes) VALUES (?,?,?,?,?)",
}


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _tok(*parts: Any) -> str:
    out: list[str] = []
    for p in parts:
        if p:
            out.extend(search_tokens(p if isinstance(p, str) else " ".join(p)))
    return " ".join(out)


@dataclass
class BuildStats:
    path: Path
    counts: dict[str, int]
    seconds: float


class Builder:
    """A validator sink that writes the database into a temporary file."""

    def __init__(self, target: Path):
        import sqlite_utils

        self.target = target
        target.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        if self.tmp.exists():
            self.tmp.unlink()
        self.db = sqlite_utils.Database(str(self.tmp))
        self.conn = self.db.conn
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "temp_store=MEMORY", "cache_size=-100000",
                       "locking_mode=EXCLUSIVE"):
            self.conn.execute(f"PRAGMA {pragma}")
        for ddl in DDL:
            self.conn.execute(ddl)
        self.conn.execute(FTS)
        self.buf: dict[str, list[tuple]] = defaultdict(list)
        self.terms: dict[str, Any] = {}
        self.term_vocab: dict[str, str] = {}
        self.pending: list[tuple[int, Any]] = []  # records whose terms were not yet seen
        self.rowid = 0
        self.counts: Counter = Counter()

    # ------------------------------------------------------------------
    def _put(self, table: str, row: tuple) -> None:
        rows = self.buf[table]
        rows.append(row)
        if len(rows) >= BATCH:
            self.conn.executemany(INSERT[table], rows)
            rows.clear()

    def _flush(self) -> None:
        for table, rows in self.buf.items():
            if rows:
                self.conn.executemany(INSERT[table], rows)
                rows.clear()

    def _evidence(self, owner: str, part: str, evidence: list) -> None:
        for i, e in enumerate(evidence):
            self._put("evidence", (owner, part, i, e.source, e.quote, e.locator, e.note))

    def _figures(self, owner: str, owner_kind: str, figures: list) -> None:
        for i, f in enumerate(figures):
            start = end = None
            if f.as_of:
                start, end = date_range(f.as_of)
            sources = ",".join(dict.fromkeys(e.source for e in f.evidence))
            self._put("figures", (owner, i, owner_kind, f.metric, f.label_en, f.value, f.value_max, f.unit,
                                  f.qualifier, f.as_of, start, end, f.original, f.note, sources))
            self._evidence(owner, f"figures[{i}]", f.evidence)

    # ------------------------------------------------------------------
    def add(self, section: str, obj: Any) -> None:
        self.counts[section] += 1
        if section == "sources":
            self._put("sources", (obj.id, obj.file, obj.part_of, obj.type, obj.title, obj.title_en,
                                  obj.container_title, obj.publisher, obj.issued, obj.language, obj.url,
                                  int(obj.restricted), obj.citation_note, self.counts[section],
                                  obj.model_dump_json(exclude_none=True)))
            self._evidence(obj.id, "", obj.evidence)
        elif section in m.VOCABS:
            self.terms[obj.id] = obj
            self.term_vocab[obj.id] = section
            self._put("terms", (obj.id, section, obj.name_zh, obj.name_en, obj.parent,
                                getattr(obj, "level", None), json.dumps(obj.aliases, ensure_ascii=False),
                                obj.description_en, self.counts[section], obj.model_dump_json(exclude_none=True)))
            self._evidence(obj.id, "", obj.evidence)
            self._figures(obj.id, "term", obj.figures)
        else:
            self._record(section, obj)

    def _record(self, section: str, obj: Any) -> None:
        self.rowid += 1
        rid, kind = self.rowid, m.KIND_OF_SECTION[section]
        start = end = None
        date = obj.date or getattr(obj, "issued", None)
        if date:
            start, end = date_range(date)
        self._put("records", (rid, obj.id, kind, obj.name_zh, obj.name_en, obj.summary_en, date, start, end,
                              getattr(obj, "status", None), obj.part_of, self.counts[section],
                              obj.model_dump_json(exclude_none=True)))
        for field, vocab in VOCAB_FIELDS:
            for t in getattr(obj, field):
                self._put("record_terms", (t, rid, vocab))
        self._evidence(obj.id, "", obj.evidence)
        self._figures(obj.id, "record", obj.figures)
        for lb in obj.legal_basis:
            self._put("links", (obj.id, "legal_basis", lb.law, json.dumps(lb.articles) if lb.articles else None,
                                lb.note))
        for t in obj.implements:
            self._put("links", (obj.id, "implements", t, None, None))
        if obj.part_of:
            self._put("links", (obj.id, "part_of", obj.part_of, None, None))
        for t in obj.related:
            self._put("links", (obj.id, "related", t, None, None))
        if section == "laws":
            for i, a in enumerate(obj.articles):
                self._put("articles", (obj.id, a.number, a.version or "", json.dumps(a.items, ensure_ascii=False),
                                       a.gist_en))
                self._evidence(obj.id, f"articles[{i}]", a.evidence)
        if section == "models":
            for i, c in enumerate(obj.components):
                self._evidence(obj.id, f"components[{i}]", c.evidence)
        if all(t in self.terms for f, _ in VOCAB_FIELDS for t in getattr(obj, f)):
            self._put("search", self._search_row(rid, obj))
        else:
            self.pending.append((rid, obj))

    def _search_row(self, rid: int, obj: Any) -> tuple:
        term_text: list[str] = []
        for field, _ in VOCAB_FIELDS:
            for t in getattr(obj, field):
                term = self.terms.get(t)
                if term is not None:
                    term_text.extend((term.name_zh, term.name_en, *term.aliases))
        quotes = [e.quote for e in obj.evidence]
        for f in obj.figures:
            quotes.extend(e.quote for e in f.evidence)
        extra = [obj.notes or ""]
        for a in getattr(obj, "articles", ()):
            quotes.extend(e.quote for e in a.evidence)
            extra.append(a.gist_en)
        for c in getattr(obj, "components", ()):
            quotes.extend(e.quote for e in c.evidence)
            extra.extend((c.name_zh, c.name_en, c.summary_en or ""))
        names = _tok(obj.id.replace("-", " "), obj.name_zh, obj.name_en, obj.short_names)
        return (rid, names, _tok(term_text, obj.actors), _tok(obj.summary_en, extra), _tok(quotes))

    # ------------------------------------------------------------------
    def finish(self, seed: Path, seed_hash: str) -> dict[str, int]:
        for rid, obj in self.pending:
            self._put("search", self._search_row(rid, obj))
        self._flush()
        closure: list[tuple] = []
        names: set[tuple] = set()
        for tid, term in self.terms.items():
            vocab = self.term_vocab[tid]
            node, depth, seen = tid, 0, set()
            while node and node not in seen:
                seen.add(node)
                closure.append((node, tid, depth))
                node = self.terms[node].parent if node in self.terms else None
                depth += 1
            for n in (tid, term.name_zh, term.name_en, *term.aliases):
                names.add((vocab, loose(n), tid))
        self.conn.executemany("INSERT INTO term_closure VALUES (?,?,?)", closure)
        self.conn.executemany("INSERT OR IGNORE INTO term_names VALUES (?,?,?)", sorted(names))
        for ddl in INDEXES:
            self.conn.execute(ddl)
        self.conn.execute("INSERT INTO search(search) VALUES ('optimize')")
        st = seed.stat()
        counts = {m.KIND_OF_SECTION.get(k, k): v for k, v in self.counts.items()}
        meta = {"schema_version": str(SCHEMA_VERSION), "seed_sha256": seed_hash, "seed_path": str(seed.resolve()),
                "seed_size": str(st.st_size), "seed_mtime_ns": str(st.st_mtime_ns),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "kbcli_version": __version__,
                "counts": json.dumps(counts)}
        self.conn.executemany("INSERT INTO meta VALUES (?,?)", sorted(meta.items()))
        self.conn.execute("ANALYZE")
        self.conn.commit()
        self.conn.close()
        with open(self.tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(self.tmp, self.target)
        return counts

    def abort(self) -> None:
        try:
            self.conn.close()
        finally:
            if self.tmp.exists():
                self.tmp.unlink()


def build(seed: Path, target: Path, label: str | None = None) -> BuildStats:
    """Validate ``seed`` and build ``target`` from it; raises SeedError, leaving ``target`` untouched."""
    from ..seed.validate import load_seed

    t0 = time.perf_counter()
    seed_hash = file_sha256(seed)
    builder = Builder(target)
    gc_was = gc.isenabled()
    gc.disable()  # the build makes few cycles; YAML and pydantic otherwise spend long in the collector
    try:
        load_seed(seed, sink=builder, label=label)
        counts = builder.finish(seed, seed_hash)
    except BaseException:
        builder.abort()
        raise
    finally:
        if gc_was:
            gc.enable()
    return BuildStats(target, counts, time.perf_counter() - t0)
