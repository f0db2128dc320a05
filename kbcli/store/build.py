"""Build the SQLite database from a seed, atomically.

Two processes share the work. kb itself reads the seed, validates each item and
turns it into rows; a writer process (``kb-writer``) makes the search text and
inserts the rows into a temporary file beside the target. Only when the whole
seed is valid does ``finish`` have the writer analyse the database and rename
the file into place, so a failed load leaves an existing database byte-for-byte
unchanged.

The two overlap through shared memory (``_Channel``): kb puts batches of rows
in a ring of buffers and goes on reading while the writer empties them; each
waits only when the ring is full or empty. (A multiprocessing queue sends from a
thread of kb's, which seldom got the interpreter lock while kb parsed: both
processes spent most of a build waiting for each other.)

A valid seed is read once, without the position of every value
(``load_seed(located=False)``); at the first problem the build stops and the
seed is validated again with positions, so that every problem is reported,
located, and nothing is built.

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
import mmap
import os
import pickle
import signal
import struct
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .. import __version__, shape
from ..dates import date_range
from ..errors import DataError, SeedError
from ..paths import file_sha256
from ..seed import models as m
from ..text import has_han, json_dumps, loose, pair_text, say
from .schema import FTS, FTS_COLUMNS, FTS_TABLE, INDEXES, SCHEMA_VERSION, TABLE, TABLES, VIEWS

BATCH = 256  # records (or terms) per message to the writer
PARENT_EVERY = 2  # kb makes the JSON lines of every PARENT_EVERY-th batch, the writer the others' (0: none)
FTS_HASHSIZE = 64 * 1024 * 1024
# Rows go in through executemany: sqlite-utils' insert_all, which builds each statement from dicts and
# checks column types, took (measured at 100k records) several times as long as the plain statements.
INSERT = {t.name: t.insert_sql() for t in TABLES}
INSERT["records"] = TABLE["records"].insert_sql(with_rowid=True)
INSERT["term_names"] = INSERT["term_names"].replace("INSERT", "INSERT OR IGNORE", 1)
INSERT["search"] = f"INSERT INTO {FTS_TABLE} (rowid, {', '.join(FTS_COLUMNS)}) VALUES (?,?,?,?,?,?,?)"


class Progress(Protocol):
    """What a build tells a progress display (``kbcli.render.progress`` draws one on a terminal)."""

    def update(self, phase: str, done: int, total: int, records: int, written: int) -> None:
        """``phase``: "reading" (``done`` of ``total`` bytes of the seed), "checking" (the same,
        reading again to locate problems), "writing" (the writer's last rows) or "indexing";
        ``records`` read so far, ``written`` into the database."""

    def close(self) -> None: ...


# makes the progress display of the build of a seed (None: no display; kb's CLI draws one on terminals)
ProgressFactory = Callable[[Path], "Progress | None"]


def _zh(texts: list[str]) -> str:
    """A Chinese search column: the texts' character pairs (see ``kbcli.text.pair_text``).
    Texts are joined by newlines, so no pair spans two of them."""
    texts = [t for t in texts if t]
    return pair_text("\n".join(texts)) if texts else ""


# json.dumps(v, ensure_ascii=False) makes a new encoder at every call: one made once writes the same text
_encode = json.JSONEncoder(ensure_ascii=False).encode


def _json(v) -> str | None:
    """A list as stored: a JSON array (None for a field the item does not have)."""
    if v is None:
        return None
    return _encode(v) if v else "[]"


def _json_ids(v: list[str]) -> str:
    """A list of ids as ``_json`` writes it: ids hold nothing JSON escapes (see ``models.ID_RE``)."""
    return '["' + '", "'.join(v) + '"]' if v else "[]"


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
    """Indexes and views. The indexes are made after the bulk load: kept up to date row by row
    instead, they cost the writer 4-5 s more at 100k records than the 2.3 s of making them at
    the end (measured), though then made while kb still reads the seed."""
    for table, cols, unique in INDEXES:
        db.table(table).create_index(cols, index_name=f"{table}_{'_'.join(cols)}", unique=unique)
    for name, _, sql in VIEWS:
        db.create_view(name, sql)


def _record_rows(batch: list[tuple], term_text: dict) -> tuple[list[tuple], list[tuple]]:
    """The records rows and search rows of a batch of records as kb sent them (``Builder._record``):
    the writer adds what it can make from the vocabulary, whose text it makes once per term, and
    from texts that come once for both rows: tags, quotes and the Chinese search columns' pairs."""
    records, search = [], []
    for r in batch:
        head, ord_, terms, actors_zh, actors_en, more_zh, names_zh, names_en, summary, quotes = r
        known = [term_text[t] for t in terms if t in term_text]
        records.append((*head, "; ".join([k[2] for k in known] + actors_zh), "; ".join([k[3] for k in known] + actors_en),
                        "\n".join(quotes), ord_))
        search.append((head[0], _zh(names_zh), names_en, " ".join([_zh(actors_zh + more_zh)] + [k[0] for k in known]),
                       "\n".join(actors_en + [k[1] for k in known]), summary, _zh(quotes)))
    return records, search


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


SLOTS = 16  # buffers of the ring between kb and its writer
SLOT_BYTES = 1 << 20  # each: a batch of 256 records is about 1.4 MB pickled, so two or three
_LAST = 1 << 63  # a slot's header: the length of its bytes, this bit set on a message's last slot
_HEADER = 64  # the ring's first bytes: rows written so far and the writer's phase, for progress
PHASES = ("writing", "indexing")


class _Channel:
    """Messages from kb to its writer through shared memory: a ring of SLOTS buffers and two
    semaphores counting the free and the filled ones. A message is pickled into one or more
    slots; kb waits only when every slot is full, the writer only when every slot is empty.
    The ring's header carries the writer's progress back (read without a lock: it is only shown)."""

    def __init__(self, ctx: Any):
        self.mem = mmap.mmap(-1, _HEADER + SLOTS * SLOT_BYTES)  # shared with the forked writer
        self.free = ctx.Semaphore(SLOTS)
        self.full = ctx.Semaphore(0)
        self.slot = 0  # the next slot this side writes (kb) or reads (the writer)

    def send(self, message: Any, alive: Callable[[], bool], waiting: Callable[[], None]) -> None:
        data = memoryview(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
        size = SLOT_BYTES - 8
        for start in range(0, max(len(data), 1), size):
            while not self.free.acquire(timeout=0.2):
                if not alive():
                    raise BrokenPipeError
                waiting()
            chunk = data[start:start + size]
            base = _HEADER + self.slot * SLOT_BYTES
            struct.pack_into("<Q", self.mem, base, len(chunk) | (_LAST if start + size >= len(data) else 0))
            self.mem[base + 8:base + 8 + len(chunk)] = chunk
            self.slot = (self.slot + 1) % SLOTS
            self.full.release()

    def recv(self) -> Any:
        parts = []
        while True:
            self.full.acquire()
            base = _HEADER + self.slot * SLOT_BYTES
            (head,) = struct.unpack_from("<Q", self.mem, base)
            parts.append(self.mem[base + 8:base + 8 + (head & ~_LAST)])
            self.slot = (self.slot + 1) % SLOTS
            self.free.release()
            if head & _LAST:
                return pickle.loads(parts[0] if len(parts) == 1 else b"".join(parts))

    def report(self, written: int, phase: int) -> None:
        struct.pack_into("<qq", self.mem, 0, written, phase)

    def progress(self) -> tuple[int, int]:
        return struct.unpack_from("<qq", self.mem, 0)

    def close(self) -> None:
        self.mem.close()


class _Lines:
    """The JSON lines of the records (``record_docs.json``): each record's ``shape.row`` as ``kb query
    --format json`` prints it, made from the names of the terms and of the records sent so far and from
    the sources' restrictions. kb and its writer each make every other batch's lines (``Builder._flush``;
    at 100k records, 27.7-29.4 s against 29.2-31.1 s with the writer making them all: both processes are
    busy, and the lines cost about 6 s of CPU), so each keeps the names of every record. A link to a
    record not sent yet is made without its names, which are put in at the end (a string replacement:
    the link's opening holds raw quotes, which no JSON string can)."""

    def __init__(self) -> None:
        self.terms: dict[str, dict] = {}
        self.sources: dict[str, dict] = {}
        self.names: dict[str, dict] = {}
        self.later: list[tuple[int, list[str]]] = []  # rowid, ids of the records its line names too early

    def add_names(self, heads: list[tuple]) -> dict[int, str]:
        """Take the names of a batch's records from their rows (rowid, id, kind, name_zh, name_en ...);
        their kinds by rowid."""
        kinds = {}
        names = self.names
        for r in heads:
            kinds[r[0]] = r[2]
            names[r[1]] = {"kind": r[2], "name_zh": r[3], "name_en": r[4]}
        return kinds

    def made(self, kinds: dict[int, str], docs: list[tuple[int, str]]) -> list[tuple[int, str, str]]:
        """The record_docs rows (rowid, doc, line) of a batch's (rowid, doc)."""
        names = self.names
        out = []
        for rowid, doc in docs:
            raw = json.loads(doc)
            early = [t for t in shape.linked_ids(raw) if t not in names]
            if early:
                self.later.append((rowid, early))
            line = json_dumps(shape.row(shape.record(kinds[rowid], raw, self.terms, self.sources, names)), indent=None)
            out.append((rowid, doc, line))
        return out

    def _opening(self, tid: str, names: dict) -> str:
        """How a link to ``tid`` opens in a line: up to its names, without the closing brace (a law of
        legal_basis goes on with its articles)."""
        return json_dumps(shape.link(tid, names), indent=None)[:-1]

    def rest(self, conn) -> list[tuple[str, int]]:
        """(line, rowid) of the lines made before a record they link to was written: every record is
        written by now, so its names are known."""
        out = []
        for i in range(0, len(self.later), 500):
            chunk = dict(self.later[i:i + 500])
            for rowid, line in conn.execute(
                    f"SELECT rowid, json FROM record_docs WHERE rowid IN ({','.join('?' * len(chunk))})", list(chunk)):
                for tid in dict.fromkeys(chunk[rowid]):
                    line = line.replace(self._opening(tid, {}), self._opening(tid, self.names))
                out.append((line, rowid))
        return out


def _writer(tmp: str, target: str, channel: _Channel, pipe, parent: int) -> None:
    """The writer process: owns the SQLite file, executes batches, finishes and renames it.

    Messages from kb: ("batch", {"term_text": [(id, Chinese texts, English texts, name_zh,
    name_en)], "records": [as Builder._record makes them], table: rows ...}); ("finish",
    None), answered on the pipe with ("done", None). Any failure answers ("error", message)."""
    _die_with_parent(parent, tmp)
    gc.disable()
    db = conn = None
    # term -> (Chinese pairs of its name, its English names and aliases, name_zh, name_en)
    term_text: dict[str, tuple[str, str, str, str]] = {}
    lines = _Lines()
    written = 0
    try:
        db = _open_tmp(tmp)
        conn = db.conn
        while True:
            kind, payload = channel.recv()
            if kind == "batch":
                for tid, zh, en, name_zh, name_en in payload.pop("term_text", ()):
                    term_text[tid] = (_zh(zh), "\n".join(en), name_zh, name_en)
                    lines.terms[tid] = {"name_zh": name_zh, "name_en": name_en}
                for sid, restricted, note in payload.pop("restrictions", ()):
                    lines.sources[sid] = {"restricted": restricted, "citation_note": note}
                lines.later.extend(payload.pop("later", ()))
                batch = payload.pop("records", None)
                docs = payload.pop("record_docs", None)
                for table, rows in payload.items():
                    conn.executemany(INSERT[table], rows)
                if batch:
                    records, search = _record_rows(batch, term_text)
                    conn.executemany(INSERT["records"], records)
                    conn.executemany(INSERT["search"], search)
                    kinds = lines.add_names(records)
                    if docs and len(docs[0]) == 2:  # kb left this batch's lines to the writer
                        docs = lines.made(kinds, docs)
                    conn.executemany(INSERT["record_docs"], docs)
                    written += len(batch)
                    channel.report(written, 0)
            elif kind == "finish":
                conn.executemany("UPDATE record_docs SET json = ? WHERE rowid = ?", lines.rest(conn))
                channel.report(written, 1)
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
            else:  # pragma: no cover - kb sends nothing else
                raise ValueError(f"unknown message {kind!r}")
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
    """A validator sink that turns items into rows and has the writer process put them into a
    temporary file. Each row is made from the validated model's own fields (``obj.__dict__``: a
    field another kind of record has is simply absent, where getattr through pydantic would raise
    and catch an AttributeError)."""

    def __init__(self, target: Path, progress: Progress | None = None):
        import multiprocessing

        self.target = target
        self.progress = progress
        target.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        if self.tmp.exists():
            self.tmp.unlink()
        # fork: the writer shares the channel's memory, and its parent is kb (which it watches)
        ctx = multiprocessing.get_context("fork")
        self.channel = _Channel(ctx)
        self.pipe, child = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_writer, name="kb-writer", daemon=True,
                                args=(str(self.tmp), str(target), self.channel, child, os.getpid()))
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
        self.buf: dict[str, list] = defaultdict(list)
        self.batched = 0  # items in self.buf
        self.terms: dict[str, Any] = {}
        self.term_vocab: dict[str, str] = {}
        # sources are few: kept until the end, when each article's restriction is its document's too
        self.sources: dict[str, Any] = {}
        self.restrictions: dict[str, tuple[bool, str | None]] = {}  # of sources whose chain is complete
        self.sent: set[str] = set()  # sources whose restriction the writer has
        self.lines = _Lines()
        self.flushed = 0  # batches of records sent
        # records that name a term or source not yet seen (a seed may order its sections freely): made at the
        # end, since a record's row carries its terms' names and whether a source restricts citation
        self.pending: list[tuple[str, Any, int, list[str]]] = []
        self.rowid = 0
        self.counts: Counter = Counter()
        self.records = 0
        self.phase, self.done, self.total = "reading", 0, 0
        self.shown = 0.0

    # ------------------------------------------------------------------
    def _alive(self) -> bool:
        return self.proc.is_alive()

    def _send(self, message: tuple) -> None:
        try:
            self.channel.send(message, self._alive, self.show)
        except BrokenPipeError:
            raise BuildError(self._writer_error() or "the database writer stopped") from None

    def _writer_error(self) -> str | None:
        if self.pipe.poll(1):
            kind, msg = self.pipe.recv()
            if kind == "error":
                return f"database writer: {msg}"
        return None

    def _flush(self) -> None:
        if self.buf:
            buf = self.buf
            if buf["records"]:
                kinds = self.lines.add_names([r[0] for r in buf["records"]])
                self.flushed += 1
                if PARENT_EVERY and self.flushed % PARENT_EVERY == 0:  # some batches' JSON lines made here (_Lines)
                    buf["record_docs"] = self.lines.made(kinds, buf["record_docs"])
                    if self.lines.later:
                        buf["later"], self.lines.later = self.lines.later, []
            self._send(("batch", dict(buf)))
            self.buf = defaultdict(list)
        self.batched = 0

    def read(self, done: int) -> None:
        """The reader's progress: ``done`` bytes of the seed read."""
        self.done = done
        self.show()

    def show(self) -> None:
        """Tell the progress display, at most ten times a second."""
        if self.progress is None:
            return
        now = time.monotonic()
        if now - self.shown >= 0.1:
            self.shown = now
            written, phase = self.channel.progress()
            if phase:
                self.phase = PHASES[phase]
            self.progress.update(self.phase, self.done, self.total, self.records, written)

    def _evidence(self, owner: str, part: str, evidence: list, record: str | None = None,
                  term: str | None = None) -> None:
        rows = self.buf["evidence"]
        for i, e in enumerate(evidence):
            rows.append((owner, record, term, part, i, e.source, e.quote, e.locator, e.note))

    def _figures(self, owner: str, owner_kind: str, figures: list) -> None:
        record, term = (owner, None) if owner_kind == "record" else (None, owner)
        rows = self.buf["figures"]
        for i, f in enumerate(figures):
            start = end = None
            if f.as_of:
                start, end = date_range(f.as_of)
            sources = _json_ids(list(dict.fromkeys(e.source for e in f.evidence)))
            rows.append((owner, i, owner_kind, record, term, f.metric, f.label_en, f.value, f.value_max,
                         f.unit, f.qualifier, f.as_of, start, end, f.original, f.note, sources))
            self._evidence(owner, f"figures[{i}]", f.evidence, record, term)

    def _restriction(self, sid: str) -> tuple[bool, str | None] | None:
        """Whether a source asks not to be cited, itself or through the document it is part of, and its
        words; None while a source of the chain is not yet known."""
        known = self.restrictions.get(sid)
        if known is not None:
            return known
        seen = set()
        start, answer = sid, (False, None)
        while sid not in seen:
            seen.add(sid)
            src = self.sources.get(sid)
            if src is None:
                return None
            if src.restricted:
                answer = (True, src.citation_note)
                break
            if not src.part_of:
                break
            sid = src.part_of
        self.restrictions[start] = answer
        return answer

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
            self.buf["term_text"].append((obj.id, [obj.name_zh], [obj.name_en, *en], obj.name_zh, obj.name_en))
            self.lines.terms[obj.id] = {"name_zh": obj.name_zh, "name_en": obj.name_en}
            d = obj.__dict__
            self.buf["terms"].append((obj.id, section, obj.name_zh, obj.name_en, obj.parent, d.get("level"),
                                          _json(obj.aliases), _json_ids(obj.see_also), obj.description_en,
                                          self.counts[section], obj.model_dump_json(exclude_none=True)))
            self._evidence(obj.id, "", obj.evidence, term=obj.id)
            self._figures(obj.id, "term", obj.figures)
            self._count()
        else:
            sources = obj.quote_sources()
            if self._ready(obj, sources):
                self._record(section, obj, self.counts[section], sources)
            else:
                self.pending.append((section, obj, self.counts[section], sources))

    def _count(self) -> None:
        self.batched += 1
        if self.batched >= BATCH:
            self._flush()

    def _ready(self, obj: Any, sources: list[str]) -> bool:
        terms = self.terms
        return (all(t in terms for t in obj.regions) and all(t in terms for t in obj.mechanisms)
                and all(t in terms for t in obj.instruments) and all(t in terms for t in obj.addresses)
                and all(self._restriction(s) is not None for s in sources))

    def _record(self, section: str, obj: Any, ord_: int, sources: list[str]) -> None:
        self.rowid += 1
        self.records += 1
        rid, kind, rec = self.rowid, m.KIND_OF_SECTION[section], obj.id
        d = obj.__dict__
        buf = self.buf
        date = obj.date or d.get("issued")
        start = end = None
        if date:
            start, end = date_range(date)
        regions, mechanisms, instruments, blockages = obj.regions, obj.mechanisms, obj.instruments, obj.addresses
        notes = []
        for s in sources:
            restricted, note = self._restriction(s)  # type: ignore[misc]  # every source is known (_ready)
            if restricted:
                notes.append(note)
            if s not in self.sent:  # the JSON lines mark the quotes of such sources
                self.sent.add(s)
                buf["restrictions"].append((s, restricted, note))
                self.lines.sources[s] = {"restricted": restricted, "citation_note": note}
        actors_zh, actors_en = _split(obj.actors)
        short_zh, short_en = _split(obj.short_names)
        issuers = d.get("issuers")
        head = (rid, rec, kind, obj.name_zh, obj.name_en, _json(obj.short_names), obj.summary_en, date, start, end,
                d.get("status"), obj.part_of, _json_ids(regions), _json_ids(mechanisms), _json_ids(instruments),
                _json_ids(blockages), _json(obj.actors), _json_ids(sources), int(bool(notes)),
                "; ".join(dict.fromkeys(n for n in notes if n)) or None, d.get("level"),
                None if issuers is None else _json(issuers), d.get("doc_number"), d.get("issued"), d.get("effective"),
                d.get("category"))
        buf["record_docs"].append((rid, obj.model_dump_json(exclude_defaults=True)))  # defaults filled on read
        names = buf["record_names"]
        for key in {loose(n) for n in (rec, obj.name_zh, obj.name_en, *obj.short_names)}:
            names.append((key, rec))
        rt = buf["record_terms"]
        for t in regions:
            rt.append((rec, t, "regions"))
        for t in mechanisms:
            rt.append((rec, t, "mechanisms"))
        for t in instruments:
            rt.append((rec, t, "instruments"))
        for t in blockages:
            rt.append((rec, t, "blockages"))
        # the search row's texts: quotes, summaries and names of the record and its parts
        quotes = [e.quote for e in obj.evidence]
        self._evidence(rec, "", obj.evidence, record=rec)
        if obj.figures:
            self._figures(rec, "record", obj.figures)
            for f in obj.figures:
                quotes.extend(e.quote for e in f.evidence)
        summary = [obj.summary_en, obj.notes or "", *(f.label_en for f in obj.figures if f.label_en)]
        more_zh: list[str] = []
        links = buf["links"]
        for lb in obj.legal_basis:
            links.append((rec, "legal_basis", lb.law, _json(lb.articles) if lb.articles else None, lb.note))
        for t in obj.implements:
            links.append((rec, "implements", t, None, None))
        if obj.part_of:
            links.append((rec, "part_of", obj.part_of, None, None))
        for t in obj.related:
            links.append((rec, "related", t, None, None))
        if section == "laws":
            articles = buf["articles"]
            for i, a in enumerate(obj.articles):
                articles.append((rec, a.number, a.version or "", _json(a.items), a.gist_en))
                self._evidence(rec, f"articles[{i}]", a.evidence, record=rec)
                quotes.extend(e.quote for e in a.evidence)
                summary.append(a.gist_en)
        elif section == "models":
            for i, c in enumerate(obj.components):
                self._evidence(rec, f"components[{i}]", c.evidence, record=rec)
                quotes.extend(e.quote for e in c.evidence)
                more_zh.append(c.name_zh)
                summary.extend((c.name_en, c.summary_en or ""))
        buf["records"].append((
            head, ord_, [*regions, *mechanisms, *instruments, *blockages], actors_zh, actors_en, more_zh,
            [obj.name_zh, *short_zh], "\n".join([rec.replace("-", " "), obj.name_en, *short_en]),
            "\n".join(t for t in summary if t), list(dict.fromkeys(quotes))))  # a figure often repeats its record's quote
        self._count()

    # ------------------------------------------------------------------
    def finish(self, seed: Path, seed_hash: str, seed_meta: Any = None) -> dict[str, int]:
        for section, obj, ord_, sources in self.pending:
            self._record(section, obj, ord_, sources)
        buf = self.buf
        for n, obj in enumerate(self.sources.values(), 1):
            restricted, note = self._restriction(obj.id) or (False, None)
            buf["sources"].append((obj.id, obj.file, obj.part_of, obj.type, obj.title, obj.title_en,
                                   obj.container_title, obj.publisher, obj.issued, obj.language, obj.url,
                                   int(restricted), note, n, obj.model_dump_json(exclude_none=True)))
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
            for n_ in (tid, term.name_zh, term.name_en, *term.aliases):
                names.add((vocab, loose(n_), tid))
        buf["term_closure"].extend(closure)
        buf["term_names"].extend(sorted(names))
        st = seed.stat()
        counts = {m.KIND_OF_SECTION.get(k, k): v for k, v in self.counts.items()}
        # no path of the builder's machine: the database is published as it is
        meta = {"schema_version": str(SCHEMA_VERSION), "seed_sha256": seed_hash, "seed_file": seed.name,
                "seed_size": str(st.st_size), "seed_mtime_ns": str(st.st_mtime_ns),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "generator": "kbcli", "kbcli_version": __version__,
                "counts": json.dumps(counts), "shape_version": shape.SHAPE_VERSION}
        if seed_meta is not None:
            for key in ("title", "title_zh", "description", "description_zh", "license"):
                if getattr(seed_meta, key, None):
                    meta[key] = getattr(seed_meta, key)
        if seed_meta is not None and seed_meta.out_of_scope:
            meta["out_of_scope"] = json.dumps([t.model_dump() for t in seed_meta.out_of_scope], ensure_ascii=False)
        buf["meta"].extend(sorted(meta.items()))
        self._flush()
        self.phase = "writing"
        self._send(("finish", None))
        while not self.pipe.poll(0.1) and self.proc.is_alive():
            self.show()
        try:
            reply = self.pipe.recv()
        except (EOFError, OSError):  # the writer died without a word (killed, out of memory)
            self.proc.join(timeout=5)
            reply = ("error", f"the database writer stopped (exit code {self.proc.exitcode})")
        self.proc.join()
        self.channel.close()
        if reply[0] != "done":
            raise BuildError(f"database writer: {reply[1]}")
        return counts

    def abort(self) -> None:
        """Stop at once (Ctrl-C, SIGTERM, a bad seed): kill the writer, whatever it is doing,
        and remove the temporary file; the target was never touched."""
        try:
            if self.proc.is_alive():
                self.proc.kill()
            self.proc.join(timeout=5)
        finally:
            self.channel.close()
            try:
                self.tmp.unlink()
            except OSError:
                pass


def build(seed: Path, target: Path, label: str | None = None, seed_hash: str | None = None,
          locked: bool = False, progress: ProgressFactory | None = None) -> BuildStats:
    """Validate ``seed`` and build ``target`` from it; raises SeedError, leaving ``target`` untouched.
    ``seed_hash`` is the seed's SHA-256 when the caller has just computed it; ``locked`` says the
    caller holds ``build_lock(target)`` (else this takes it, waiting for another build);
    ``progress`` makes a display that is told how the build goes, and closed when it ends."""
    if not locked:
        if target.is_dir():
            from ..errors import UsageError

            raise UsageError(f"{target} is a directory, not a database file")
        with build_lock(target):
            return build(seed, target, label, seed_hash, locked=True, progress=progress)
    display = progress(seed) if progress is not None else None
    try:
        return _build(seed, target, label, seed_hash, display)
    finally:
        if display is not None:
            display.close()


def _build(seed: Path, target: Path, label: str | None, seed_hash: str | None,
           progress: Progress | None) -> BuildStats:
    from ..seed.reader import Unlocated
    from ..seed.validate import load_seed

    t0 = time.perf_counter()
    try:
        seed_hash = seed_hash or file_sha256(seed)
        size = os.stat(seed).st_size
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            from ..errors import UsageError

            raise UsageError(f"file name too long: {exc.filename or target}") from None
        raise BuildError(f"{exc.strerror or exc}: {exc.filename or target}") from None
    gc_was = gc.isenabled()
    gc.disable()  # the build makes few cycles; YAML and pydantic otherwise spend long in the collector
    try:
        try:
            # valid seeds, the usual case, are read once and without positions
            counts = _build_once(seed, target, seed_hash, size, label, progress, located=False)
        except (Unlocated, SeedError):
            # a problem: read the seed again, locating every problem (and build if, after all, there is none)
            if progress is not None:
                progress.update("checking", 0, size, 0, 0)
            load_seed(seed, label=label, progress=_reader_progress(progress, "checking", size))
            counts = _build_once(seed, target, seed_hash, size, label, progress, located=True)
    finally:
        if gc_was:
            gc.enable()
    return BuildStats(target, counts, time.perf_counter() - t0)


def _reader_progress(progress: Progress | None, phase: str, size: int) -> Callable[[int], None] | None:
    if progress is None:
        return None
    shown = [0.0]

    def update(done: int) -> None:
        now = time.monotonic()
        if now - shown[0] >= 0.1:
            shown[0] = now
            progress.update(phase, done, size, 0, 0)
    return update


def _build_once(seed: Path, target: Path, seed_hash: str, size: int, label: str | None,
                progress: Progress | None, located: bool) -> dict[str, int]:
    from ..seed.validate import load_seed

    try:
        builder = Builder(target, progress)
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            from ..errors import UsageError

            raise UsageError(f"file name too long: {exc.filename or target}") from None
        raise BuildError(f"{exc.strerror or exc}: {exc.filename or target}") from None
    builder.total = size
    try:
        checked = load_seed(seed, sink=builder, label=label, located=located,
                            progress=builder.read if progress is not None else None)
        counts = builder.finish(seed, seed_hash, checked.meta)
    except BaseException:
        builder.abort()
        raise
    return counts
