"""kb's database writer: a process of its own (``kb-writer``) that owns the temporary SQLite file,
makes the search text, inserts the rows kb sends it, and at the end indexes and analyses the file
and renames it into place.

kb and its writer overlap through shared memory (``_Channel``): kb puts batches of rows in a ring of
buffers and goes on reading while the writer empties them; each waits only when the ring is full or
empty. (A multiprocessing queue sends from a thread of kb's, which seldom got the interpreter lock
while kb parsed: both processes spent most of a build waiting for each other.)

The writer process dies with kb: the kernel kills it when its parent dies (Linux), and it watches
its parent id everywhere else.
"""

from __future__ import annotations

import gc
import mmap
import os
import pickle
import signal
import struct
import time
from collections.abc import Callable
from typing import Any

from ..text import pair_text
from .lines import _Lines
from .schema import FINISH, FTS, FTS_COLUMNS, FTS_TABLE, INDEXES, TABLE, TABLES, VIEWS

FTS_HASHSIZE = 64 * 1024 * 1024
MEMORY_MB = 4096  # the memory each build process may use (KB_BUILD_MEMORY_MB): beyond it the build stops, saying so
# Rows go in through executemany: sqlite-utils' insert_all, which builds each statement from dicts and
# checks column types, took (measured at 100k records) several times as long as the plain statements.
INSERT = {t.name: t.insert_sql() for t in TABLES}
INSERT["records"] = TABLE["records"].insert_sql(with_rowid=True)
INSERT["term_names"] = INSERT["term_names"].replace("INSERT", "INSERT OR IGNORE", 1)
INSERT["search"] = f"INSERT INTO {FTS_TABLE} (rowid, {', '.join(FTS_COLUMNS)}) VALUES (?,?,?,?,?,?,?)"


class MemoryCeiling(Exception):
    """A build process grew past ``memory_ceiling()`` MB."""


def memory_ceiling() -> int:
    try:
        return max(64, int(os.environ.get("KB_BUILD_MEMORY_MB") or MEMORY_MB))
    except ValueError:
        return MEMORY_MB


def _resident_mb() -> float:
    """This process's resident memory in MB (0 where /proc is missing: no ceiling there)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        return 0.0


def check_memory(who: str) -> None:
    """Stop the build, early and with a message, when this process has grown past the ceiling (the
    kernel's out-of-memory killer would otherwise end it, or the machine, later)."""
    ceiling = memory_ceiling()
    if _resident_mb() > ceiling:
        raise MemoryCeiling(f"{who} needs more than {ceiling} MB of memory (KB_BUILD_MEMORY_MB sets the ceiling)")


def how_it_ended(exitcode: int | None) -> str:
    """A process's end in words: killed by which signal, or its exit code."""
    if exitcode is None:
        return "still running"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = ": the system may have run out of memory" if name == "SIGKILL" else ""
        return f"killed by {name}{hint}"
    return f"exit code {exitcode}"


def _zh(texts: list[str]) -> str:
    """A Chinese search column: the texts' character pairs (see ``kbcli.text.pair_text``).
    Texts are joined by newlines, so no pair spans two of them."""
    texts = [t for t in texts if t]
    return pair_text("\n".join(texts)) if texts else ""



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
    for sql in FINISH:
        db.conn.execute(sql)


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
                    check_memory("the database writer")
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
        if isinstance(exc, MemoryCeiling):
            message = str(exc)
        elif isinstance(exc, MemoryError):
            message = "the database writer ran out of memory"
        else:
            message = f"database writer: {type(exc).__name__}: {exc}"
        try:
            pipe.send(("error", message))
        except OSError:
            pass
    finally:
        if conn is not None:
            conn.close()
        if os.path.exists(tmp):
            os.unlink(tmp)

