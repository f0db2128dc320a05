"""Build the SQLite database from a seed, atomically.

The validator streams valid items into ``Builder.add``; rows go into a
temporary file beside the target in batches. Only when the whole seed is
valid does ``finish`` index it, write the metadata and rename the file into
place, so a failed load leaves an existing database byte-for-byte unchanged.

One build at a time per target: ``build_lock`` holds a lock file beside it
(``.NAME.lock``); other processes wait, then find the database built. Under
the lock, temporary files of builds that died (``.NAME.PID.tmp``) are removed.
The writer process dies with kb: the kernel kills it when its parent dies
(Linux), and it watches its parent id everywhere else. An interrupted build
(Ctrl-C, SIGTERM, a bad seed) kills the writer at once and removes its file.
"""

from __future__ import annotations

import errno
import gc
import json
import os
import queue
import signal
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..dates import date_range
from ..errors import DataError
from ..paths import file_sha256
from ..seed import models as m
from ..text import has_han, loose, pair_text, say
from .schema import FTS, FTS_COLUMNS, FTS_TABLE, INDEXES, SCHEMA_VERSION, TABLE, TABLES, VIEWS

BATCH = 2000
FTS_HASHSIZE = 64 * 1024 * 1024
# Rows go in through executemany: sqlite-utils' insert_all, which builds each statement from dicts and
# checks column types, took (measured at 100k records) several times as long as the plain statements.
INSERT = {t.name: t.insert_sql() for t in TABLES}
INSERT["records"] = TABLE["records"].insert_sql(with_rowid=True)
INSERT["term_names"] = INSERT["term_names"].replace("INSERT", "INSERT OR IGNORE", 1)
INSERT["search"] = f"INSERT INTO {FTS_TABLE} (rowid, {', '.join(FTS_COLUMNS)}) VALUES (?,?,?,?,?,?,?)"


def _zh(texts: list[str]) -> str:
    """A Chinese search column: the texts' character pairs (see ``kbcli.text.pair_text``).
    Texts are joined by newlines, so no pair spans two of them."""
    texts = [t for t in texts if t]
    return pair_text("\n".join(texts)) if texts else ""


def _json(v) -> str | None:
    """A list as stored: a JSON array (None for a field the item does not have)."""
    return None if v is None else json.dumps(v, ensure_ascii=False)


def _record_sources(obj: Any) -> list[str]:
    """The sources of every quote of a record: its own, its figures', articles' and components'."""
    out = [e.source for e in obj.evidence]
    for f in obj.figures:
        out.extend(e.source for e in f.evidence)
    for part in (getattr(obj, "articles", ()), getattr(obj, "components", ())):
        for x in part:
            out.extend(e.source for e in x.evidence)
    return list(dict.fromkeys(out))


def _split(texts) -> tuple[list[str], list[str]]:
    """Texts with Chinese characters, and the rest (English words for the stemmer)."""
    zh: list[str] = []
    en: list[str] = []
    for t in texts:
        if t:
            (zh if has_han(t) else en).append(t)
    return zh, en


def _open_tmp(tmp: str):
    """The temporary database, its tables (with their keys and foreign keys) and the full-text index."""
    import sqlite_utils

    db = sqlite_utils.Database(tmp, execute_plugins=False)
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "temp_store=MEMORY", "cache_size=-262144",
                   "locking_mode=EXCLUSIVE"):
        db.conn.execute(f"PRAGMA {pragma}")
    for t in TABLES:
        db.table(t.name).create({c: typ for c, (typ, _) in t.columns.items()}, pk=t.pk, not_null=t.not_null,
                          foreign_keys=[(c, *target) for c, target in t.foreign_keys.items()])
    db.conn.execute(FTS)
    # FTS5 flushes its in-memory index to a new segment every `hashsize` bytes (1 MB by default),
    # and merging those segments is much of the cost of a bulk load: 64 MB halves it.
    db.conn.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('hashsize', {FTS_HASHSIZE})")
    return db


def _finish_schema(db) -> None:
    """Indexes (after the bulk load) and views."""
    for table, cols, unique in INDEXES:
        db[table].create_index(cols, index_name=f"{table}_{'_'.join(cols)}", unique=unique)
    for name, _, sql in VIEWS:
        db.create_view(name, sql)


def _search_columns(r: tuple, term_text: dict) -> tuple:
    """A search row from what the parent sent: Chinese texts become pairs, and each
    vocabulary term's text, made once, is reused for every record it tags."""
    rid, names_zh, names_en, terms, actors_zh, actors_en, summary, quotes = r
    known = [term_text[t] for t in terms if t in term_text]
    terms_zh = " ".join([_zh(actors_zh)] + [k[0] for k in known])
    terms_en = "\n".join(actors_en + [k[1] for k in known])
    return (rid, _zh(names_zh), names_en, terms_zh, terms_en, summary, _zh(quotes))


_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n))


def _die_with_parent(parent: int, tmp: str) -> None:
    """Make the writer end when kb does, however kb ends (even SIGKILL): the kernel sends it
    SIGKILL when its parent dies (Linux), and a thread watching the parent id ends it
    within 0.2 s everywhere. The parent leaves Ctrl-C to kb: the writer ignores SIGINT,
    and SIGTERM/SIGHUP end it at once (kb's own handlers are not inherited)."""
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)  # blocked by the parent around the fork
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        try:
            os.unlink(tmp)
        except OSError:
            pass
        os._exit(1)

    threading.Thread(target=watch, name="kb-writer-watch", daemon=True).start()


def _writer(tmp: str, target: str, jobs, pipe, parent: int) -> None:
    """The writer process: owns the SQLite file, executes batches, finishes and renames it.

    Jobs (from a queue, so the parent can run ahead): ("rows", table, rows);
    ("terms", [(id, Chinese texts, English texts)]); ("search", rows) whose
    Chinese columns are still texts; ("finish", None), answered on the pipe with
    ("done", None); ("abort", None). Any failure answers ("error", message)."""
    _die_with_parent(parent, tmp)
    gc.disable()
    db = conn = None
    term_text: dict[str, tuple[str, str]] = {}  # term -> (Chinese pairs, English names) of its names and aliases
    try:
        db = _open_tmp(tmp)
        conn = db.conn
        while True:
            kind, *payload = jobs.get()
            if kind == "rows":
                table, rows = payload
                conn.executemany(INSERT[table], rows)
            elif kind == "terms":
                for tid, zh, en in payload[0]:
                    term_text[tid] = (_zh(zh), "\n".join(en))
            elif kind == "search":
                (rows,) = payload
                conn.executemany(INSERT["search"], [_search_columns(r, term_text) for r in rows])
            elif kind == "finish":
                _finish_schema(db)
                # no 'optimize': with a 64 MB hash the load leaves few, large segments, and
                # merging them (3 s at 100k records) made searches no faster (measured).
                conn.execute("PRAGMA analysis_limit = 400")  # approximate statistics: enough for the planner
                conn.execute("ANALYZE")
                conn.commit()
                conn.close()
                conn = None
                with open(tmp, "rb+") as fh:
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
                pipe.send(("done", None))
                return
            else:  # abort
                return
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        try:
            pipe.send(("error", f"{type(exc).__name__}: {exc}"))
        except OSError:
            pass
    finally:
        if conn is not None:
            conn.close()
        if os.path.exists(tmp):
            os.unlink(tmp)


class BuildError(DataError):
    """The database could not be written (disk full, permissions...)."""

    def __init__(self, message: str):
        super().__init__(f"could not build the database: {message}")


def _lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.lock")


@contextmanager
def build_lock(target: Path) -> Iterator[None]:
    """Hold the build lock of ``target``: a lock file beside it (``.NAME.lock``), removed again
    on release; wait while another process holds it. Under the lock no other build of
    ``target`` runs, so the temporary files of earlier builds are left-overs of builds that
    died: they are removed.

    The holder removes the lock file before unlocking it, so a waiter may wake up holding a
    file that is no longer there: it then opens the lock file anew (the usual protocol)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    lock = _lock_path(target)
    waited = False
    while True:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                from ..errors import UsageError

                raise UsageError(f"file name too long: {target}") from None
            raise BuildError(f"{exc.strerror or exc}: {exc.filename or target}") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not waited:
                    say(f"kb: waiting for another kb process to finish building {target} ...")
                    waited = True
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                same = os.stat(lock).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
        except BaseException:
            os.close(fd)
            raise
        if same:
            break
        os.close(fd)  # its holder removed it: lock the new one
    try:
        remove_stale_temps(target)
        yield
    finally:
        try:
            os.unlink(lock)
        except OSError:
            pass
        fcntl.flock(fd, fcntl.LOCK_UN)  # also for a writer that inherited the descriptor
        os.close(fd)


def remove_stale_temps(target: Path) -> list[Path]:
    """Remove the temporary files (``.NAME.PID.tmp``) of builds of ``target`` that died.
    Call it only while holding ``build_lock(target)``."""
    import glob

    removed = []
    for p in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        try:
            p.unlink()
            removed.append(p)
        except OSError:
            pass
    return removed


@dataclass
class BuildStats:
    path: Path
    counts: dict[str, int]
    seconds: float


class Builder:
    """A validator sink that writes the database into a temporary file."""

    def __init__(self, target: Path):
        import multiprocessing

        self.target = target
        target.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        if self.tmp.exists():
            self.tmp.unlink()
        self.pipe, child = multiprocessing.Pipe(duplex=False)
        self.jobs: Any = multiprocessing.Queue(maxsize=64)  # lets this process run ahead of the writer
        self.proc = multiprocessing.Process(target=_writer, name="kb-writer", daemon=True,
                                            args=(str(self.tmp), str(target), self.jobs, child, os.getpid()))
        # the writer starts with Ctrl-C and SIGTERM blocked, until it has set up its own handling
        blocked = hasattr(signal, "pthread_sigmask")
        if blocked:
            signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
        try:
            self.proc.start()
        finally:
            if blocked:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
        child.close()
        self.buf: dict[str, list[tuple]] = defaultdict(list)
        self.terms: dict[str, Any] = {}
        self.term_vocab: dict[str, str] = {}
        # sources are few: kept until the end, when each article's restriction is its document's too
        self.sources: dict[str, Any] = {}
        # records that name a term or source not yet seen (a seed may order its sections freely): made at the
        # end, since a record's row carries its terms' names and whether a source restricts citation
        self.pending: list[tuple[str, Any, int]] = []
        self.rowid = 0
        self.counts: Counter = Counter()

    # ------------------------------------------------------------------
    def _send(self, message: tuple) -> None:
        while True:
            try:
                self.jobs.put(message, timeout=1)
                return
            except queue.Full:
                if not self.proc.is_alive():
                    raise BuildError(self._writer_error() or "the database writer stopped") from None

    def _writer_error(self) -> str | None:
        if self.pipe.poll(1):
            kind, msg = self.pipe.recv()
            if kind == "error":
                return f"database writer: {msg}"
        return None

    def _put(self, table: str, row: tuple) -> None:
        rows = self.buf[table]
        rows.append(row)
        if len(rows) >= BATCH:
            self._send(("search", rows) if table == "search" else ("rows", table, rows))
            self.buf[table] = []

    def _flush(self) -> None:
        for table, rows in self.buf.items():
            if rows:
                self._send(("search", rows) if table == "search" else ("rows", table, rows))
        self.buf.clear()

    def _evidence(self, owner: str, part: str, evidence: list, record: str | None = None,
                  term: str | None = None) -> None:
        for i, e in enumerate(evidence):
            self._put("evidence", (owner, record, term, part, i, e.source, e.quote, e.locator, e.note))

    def _figures(self, owner: str, owner_kind: str, figures: list) -> None:
        record, term = (owner, None) if owner_kind == "record" else (None, owner)
        for i, f in enumerate(figures):
            start = end = None
            if f.as_of:
                start, end = date_range(f.as_of)
            sources = _json(list(dict.fromkeys(e.source for e in f.evidence)))
            self._put("figures", (owner, i, owner_kind, record, term, f.metric, f.label_en, f.value, f.value_max,
                                  f.unit, f.qualifier, f.as_of, start, end, f.original, f.note, sources))
            self._evidence(owner, f"figures[{i}]", f.evidence, record, term)

    def _restriction(self, sid: str) -> tuple[bool, str | None] | None:
        """Whether a source asks not to be cited, itself or through the document it is part of, and its
        words; None while a source of the chain is not yet known."""
        seen = set()
        while sid not in seen:
            seen.add(sid)
            src = self.sources.get(sid)
            if src is None:
                return None
            if src.restricted:
                return True, src.citation_note
            if not src.part_of:
                return False, None
            sid = src.part_of
        return False, None

    # ------------------------------------------------------------------
    def add(self, section: str, obj: Any) -> None:
        self.counts[section] += 1
        if section == "sources":
            self.sources[obj.id] = obj
        elif section in m.VOCABS:
            self.terms[obj.id] = obj
            self.term_vocab[obj.id] = section
            # The term's Chinese name goes into the index of every record it tags, its English
            # names and aliases too; its Chinese aliases (script variants, short forms) do not:
            # repeated on every record they were 29% of all tokens, and `kb query` matches them.
            _, en = _split(obj.aliases)
            self._send(("terms", [(obj.id, [obj.name_zh], [obj.name_en, *en])]))
            self._put("terms", (obj.id, section, obj.name_zh, obj.name_en, obj.parent,
                                getattr(obj, "level", None), _json(obj.aliases), _json(obj.see_also),
                                obj.description_en, self.counts[section], obj.model_dump_json(exclude_none=True)))
            self._evidence(obj.id, "", obj.evidence, term=obj.id)
            self._figures(obj.id, "term", obj.figures)
        else:
            if self._ready(obj):
                self._record(section, obj, self.counts[section])
            else:
                self.pending.append((section, obj, self.counts[section]))

    def _ready(self, obj: Any) -> bool:
        terms = (t for field in m.VOCAB_OF_FIELD for t in getattr(obj, field))
        return all(t in self.terms for t in terms) and all(self._restriction(s) is not None
                                                           for s in _record_sources(obj))

    def _record(self, section: str, obj: Any, ord_: int) -> None:
        self.rowid += 1
        rid, kind = self.rowid, m.KIND_OF_SECTION[section]
        start = end = None
        date = obj.date or getattr(obj, "issued", None)
        if date:
            start, end = date_range(date)
        terms = [t for field in m.VOCAB_OF_FIELD for t in getattr(obj, field)]
        search = self._search_row(rid, obj, terms)
        sources = _record_sources(obj)
        notes = [r[1] for r in map(self._restriction, sources) if r and r[0]]
        actors_zh, actors_en = _split(obj.actors)
        tags_zh = [self.terms[t].name_zh for t in terms] + actors_zh
        tags_en = [self.terms[t].name_en for t in terms] + actors_en
        self._put("records", (
            rid, obj.id, kind, obj.name_zh, obj.name_en, _json(obj.short_names), obj.summary_en, date, start, end,
            getattr(obj, "status", None), obj.part_of, *(_json(getattr(obj, f)) for f in m.VOCAB_OF_FIELD),
            _json(obj.actors), _json(sources), int(bool(notes)), "; ".join(dict.fromkeys(n for n in notes if n)) or None,
            getattr(obj, "level", None), _json(getattr(obj, "issuers", None)), getattr(obj, "doc_number", None),
            getattr(obj, "issued", None), getattr(obj, "effective", None), getattr(obj, "category", None),
            "; ".join(tags_zh), "; ".join(tags_en), "\n".join(search[-1]), ord_))
        self._put("record_docs", (rid, obj.model_dump_json(exclude_defaults=True)))  # defaults filled on read
        for key in {loose(n) for n in (obj.id, obj.name_zh, obj.name_en, *obj.short_names)}:
            self._put("record_names", (key, obj.id))
        for field, vocab in m.VOCAB_OF_FIELD.items():
            for t in getattr(obj, field):
                self._put("record_terms", (obj.id, t, vocab))
        self._evidence(obj.id, "", obj.evidence, record=obj.id)
        self._figures(obj.id, "record", obj.figures)
        for lb in obj.legal_basis:
            self._put("links", (obj.id, "legal_basis", lb.law, _json(lb.articles) if lb.articles else None, lb.note))
        for t in obj.implements:
            self._put("links", (obj.id, "implements", t, None, None))
        if obj.part_of:
            self._put("links", (obj.id, "part_of", obj.part_of, None, None))
        for t in obj.related:
            self._put("links", (obj.id, "related", t, None, None))
        if section == "laws":
            for i, a in enumerate(obj.articles):
                self._put("articles", (obj.id, a.number, a.version or "", _json(a.items), a.gist_en))
                self._evidence(obj.id, f"articles[{i}]", a.evidence, record=obj.id)
        if section == "models":
            for i, c in enumerate(obj.components):
                self._evidence(obj.id, f"components[{i}]", c.evidence, record=obj.id)
        self._put("search", search)

    def _search_row(self, rid: int, obj: Any, terms: list[str]) -> tuple:
        """What the writer needs for a record's search row: its Chinese texts (the writer
        makes the pairs), its English texts and the ids of its terms (their text is made once)."""
        short_zh, short_en = _split(obj.short_names)
        actors_zh, actors_en = _split(obj.actors)
        quotes = [e.quote for e in obj.evidence]
        for f in obj.figures:
            quotes.extend(e.quote for e in f.evidence)
        summary = [obj.summary_en, obj.notes or ""]
        if isinstance(obj, m.Law):
            for a in obj.articles:
                quotes.extend(e.quote for e in a.evidence)
                summary.append(a.gist_en)
        elif isinstance(obj, m.TransferModel):
            for c in obj.components:
                quotes.extend(e.quote for e in c.evidence)
                actors_zh.append(c.name_zh)
                summary.extend((c.name_en, c.summary_en or ""))
        quotes = list(dict.fromkeys(quotes))  # a figure often repeats its record's quote
        return (rid, [obj.name_zh, *short_zh], "\n".join([obj.id.replace("-", " "), obj.name_en, *short_en]),
                terms, actors_zh, actors_en, "\n".join(t for t in summary if t), quotes)

    # ------------------------------------------------------------------
    def finish(self, seed: Path, seed_hash: str, seed_meta: Any = None) -> dict[str, int]:
        for section, obj, ord_ in self.pending:
            self._record(section, obj, ord_)
        for n, obj in enumerate(self.sources.values(), 1):
            restricted, note = self._restriction(obj.id) or (False, None)
            self._put("sources", (obj.id, obj.file, obj.part_of, obj.type, obj.title, obj.title_en,
                                  obj.container_title, obj.publisher, obj.issued, obj.language, obj.url,
                                  int(restricted), note, n,
                                  obj.model_dump_json(exclude_none=True)))
            self._evidence(obj.id, "", obj.evidence)
        closure: list[tuple] = []
        names: set[tuple] = set()
        for tid, term in self.terms.items():
            vocab = self.term_vocab[tid]
            node: str | None = tid
            depth, seen = 0, set()
            while node and node not in seen:
                seen.add(node)
                closure.append((node, tid, depth))
                node = self.terms[node].parent if node in self.terms else None
                depth += 1
            for n in (tid, term.name_zh, term.name_en, *term.aliases):
                names.add((vocab, loose(n), tid))
        for row in closure:
            self._put("term_closure", row)
        for row in sorted(names):
            self._put("term_names", row)
        st = seed.stat()
        counts = {m.KIND_OF_SECTION.get(k, k): v for k, v in self.counts.items()}
        # no path of the builder's machine: the database is published as it is
        meta = {"schema_version": str(SCHEMA_VERSION), "seed_sha256": seed_hash, "seed_file": seed.name,
                "seed_size": str(st.st_size), "seed_mtime_ns": str(st.st_mtime_ns),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "generator": "kbcli", "kbcli_version": __version__,
                "counts": json.dumps(counts)}
        if seed_meta is not None:
            for key in ("title", "title_zh", "description", "description_zh", "license"):
                if getattr(seed_meta, key, None):
                    meta[key] = getattr(seed_meta, key)
        if seed_meta is not None and seed_meta.out_of_scope:
            meta["out_of_scope"] = json.dumps([t.model_dump() for t in seed_meta.out_of_scope], ensure_ascii=False)
        for row in sorted(meta.items()):
            self._put("meta", row)
        self._flush()
        self._send(("finish", None))
        while not self.pipe.poll(0.2) and self.proc.is_alive():
            pass
        try:
            reply = self.pipe.recv()
        except (EOFError, OSError):  # the writer died without a word (killed, out of memory)
            self.proc.join(timeout=5)
            reply = ("error", f"the database writer stopped (exit code {self.proc.exitcode})")
        self.jobs.close()
        self.proc.join()
        if reply[0] != "done":
            raise BuildError(f"database writer: {reply[1]}")
        return counts

    def abort(self) -> None:
        """Stop at once (Ctrl-C, SIGTERM, a bad seed): kill the writer, whatever it is doing,
        and remove the temporary file; the target was never touched."""
        try:
            if self.proc.is_alive():
                self.proc.kill()
            self.jobs.cancel_join_thread()  # the queue's feeder thread must not hold up the exit
            self.jobs.close()
            self.proc.join(timeout=5)
        finally:
            try:
                self.tmp.unlink()
            except OSError:
                pass


def build(seed: Path, target: Path, label: str | None = None, seed_hash: str | None = None,
          locked: bool = False) -> BuildStats:
    """Validate ``seed`` and build ``target`` from it; raises SeedError, leaving ``target`` untouched.
    ``seed_hash`` is the seed's SHA-256 when the caller has just computed it; ``locked`` says the
    caller holds ``build_lock(target)`` (else this takes it, waiting for another build)."""
    if not locked:
        if target.is_dir():
            from ..errors import UsageError

            raise UsageError(f"{target} is a directory, not a database file")
        with build_lock(target):
            return build(seed, target, label, seed_hash, locked=True)
    from ..seed.validate import load_seed

    t0 = time.perf_counter()
    try:
        seed_hash = seed_hash or file_sha256(seed)
        builder = Builder(target)
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            from ..errors import UsageError

            raise UsageError(f"file name too long: {exc.filename or target}") from None
        raise BuildError(f"{exc.strerror or exc}: {exc.filename or target}") from None
    gc_was = gc.isenabled()
    gc.disable()  # the build makes few cycles; YAML and pydantic otherwise spend long in the collector
    try:
        checked = load_seed(seed, sink=builder, label=label)
        counts = builder.finish(seed, seed_hash, checked.meta)
    except BaseException:
        builder.abort()
        raise
    finally:
        if gc_was:
            gc.enable()
    return BuildStats(target, counts, time.perf_counter() - t0)
