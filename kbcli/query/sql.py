"""``kb sql``: read-only, bounded SQL on the database.

Three locks, any one of which refuses a write: the connection is opened with
``mode=ro``, ``PRAGMA query_only`` is on, and an authorizer allows only reads
(SELECT, reading columns, functions, recursive CTEs and a list of read-only
pragmas, also as table-valued functions such as ``pragma_table_info('meta')``).
ATTACH, VACUUM INTO, CREATE TEMP and the like are refused too, so nothing on
disk can change.

And bounds, so that no statement runs away with the machine:

* time: ``timeout`` seconds from the start (default 10; 0 for none), enforced
  by SQLite's progress handler and between batches of rows; time spent
  waiting for the output to be taken (a pager, a slow pipe) does not count;
* Ctrl-C: interrupts the statement at once (the progress handler sees it);
* memory: SQLite's heap is capped (``max_memory``, default ``MAX_HEAP``) and
  temporary tables and sorts stay in that memory (``temp_store = MEMORY``, a cache as large as the
  cap, so that sorts do not spill to temporary files), so a runaway DISTINCT
  or ORDER BY fails with a clear message instead of filling the disk; no
  single value may exceed ``MAX_VALUE`` bytes;
* rows stream: ``SqlResult`` yields them in batches, never the whole result.
"""

from __future__ import annotations

import re
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from typing import Any, Self, TextIO

from ..errors import Terminated, UsageError
from ..store.db import DAMAGED
from ..store.schema import FTS_TABLE

_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
# pragmas that only read, whatever their argument (PRAGMA table_info(records))
_READ_PRAGMAS = {"table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
                 "foreign_key_list", "foreign_key_check", "database_list", "collation_list", "function_list",
                 "module_list", "pragma_list", "compile_options", "integrity_check", "quick_check"}
# pragmas that read when given no value (PRAGMA user_version) and write when given one
_QUERY_PRAGMAS = {"data_version", "user_version", "schema_version", "application_id", "page_count", "page_size",
                  "freelist_count", "encoding", "journal_mode", "query_only"}
# eponymous virtual tables a statement may read; SQLite sets each up on its first use in a
# connection, with a schema change the authorizer would refuse, so they are set up before it
_EPONYMOUS = ("json_each", "json_tree", *(f"pragma_{p}" for p in sorted(_READ_PRAGMAS | _QUERY_PRAGMAS)))
_REFUSED = "kb sql is read-only"
_COMMENTS_RE = re.compile(r"--[^\n]*|/\*.*?(\*/|$)", re.DOTALL)

DEFAULT_TIMEOUT = 10.0
MAX_HEAP = 512 * 1024 * 1024  # bytes of SQLite heap: temporary tables, sorts, the page cache
MAX_VALUE = 64 * 1024 * 1024  # bytes in one string or blob
PROGRESS_STEPS = 1000  # virtual machine instructions between two looks at the clock and at Ctrl-C
BATCH = 500


def _authorizer(action, arg1, arg2, dbname, source):
    if action in _ALLOWED:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and arg1:
        name = arg1.lower()
        if name in _READ_PRAGMAS or (name in _QUERY_PRAGMAS and arg2 is None):
            return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


class SqlResult:
    """The rows of one statement, fetched as they are iterated: ``names`` are the column
    names (made unique), iteration yields tuples. Closing it (or ``with``) closes the connection.

    The time limit leaves out time spent waiting for the output to be taken (``output``
    wraps the stream written to). Ctrl-C while SQLite works sets a flag that the progress
    handler turns into an interrupt (a Python exception raised inside the handler would be
    swallowed by sqlite3); Ctrl-C elsewhere raises KeyboardInterrupt as usual."""

    def __init__(self, conn: sqlite3.Connection, sql: str, params: list | tuple, timeout: float,
                 max_memory: int = MAX_HEAP):
        self.conn = conn
        self.timeout = timeout
        self.max_memory = max_memory
        self.started = time.monotonic()
        self.waited = 0.0  # seconds spent waiting for the output to be taken
        self.entered: float | None = None  # inside SQLite since
        self.signalled = 0  # a signal that arrived while SQLite worked
        self.timed_out = False
        self._old_handlers: dict[int, Any] = {}
        conn.set_progress_handler(self._progress, PROGRESS_STEPS)
        self._install_sigint()
        try:
            self.cur = self._call(conn.execute, sql, params)
            if self.cur.description is None:  # nothing to read: only comments, or a statement that does nothing
                if not _COMMENTS_RE.sub("", sql).strip(" \t\r\n;"):
                    raise UsageError("no SQL statement given (only comments or spaces)")
                raise UsageError(f"{_REFUSED}: it runs statements that return rows (SELECT, read-only PRAGMA); "
                                 "this one returns none, and nothing was changed")
        except BaseException:
            self.close()
            raise
        names: list[str] = []
        for d in self.cur.description or ():
            name, n = d[0], 2
            while name in names:
                name, n = f"{d[0]}_{n}", n + 1
            names.append(name)
        self.names = names

    # ------------------------------------------------------------------ guards
    def _install_sigint(self) -> None:
        """While SQLite works, Ctrl-C, SIGTERM and SIGHUP stop the statement through the progress
        handler; in Python code they do what they did before (KeyboardInterrupt, kb's handler)."""
        if threading.current_thread() is not threading.main_thread():
            return
        self._old_handlers = {}

        def on_signal(signum, frame):
            if self.entered is not None:
                self.signalled = signum
                self.conn.interrupt()
                return
            previous = self._old_handlers.get(signum)
            if callable(previous):
                previous(signum, frame)
            elif signum == signal.SIGINT:
                raise KeyboardInterrupt
            else:
                raise Terminated(signum)

        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            sig = getattr(signal, name, None)
            if sig is not None and signal.getsignal(sig) is not signal.SIG_IGN:
                self._old_handlers[sig] = signal.signal(sig, on_signal)

    def _over_time(self) -> bool:
        if self.timeout and time.monotonic() - self.started - self.waited > self.timeout:
            self.timed_out = True
        return self.timed_out

    def _progress(self) -> int:
        return 1 if self.signalled or self._over_time() else 0

    def output(self, out: TextIO) -> TextIO:
        """``out``, with the time its writes wait (for a pager, a slow pipe) left out of the limit."""
        result = self

        class Timed:
            def write(self, s: str) -> int:
                t = time.monotonic()
                try:
                    return out.write(s)
                finally:
                    result.waited += time.monotonic() - t

            def flush(self) -> None:
                out.flush()

        return Timed()  # type: ignore[return-value]

    def _call(self, fn, *args):
        """Run ``fn`` inside SQLite, turning SQLite's errors into kb's."""
        self.entered = time.monotonic()
        try:
            return fn(*args)
        except MemoryError:
            raise UsageError(f"the statement needs more than {self.max_memory // 2**20} MB of memory (kb sql's "
                             "limit for SQLite, temporary tables and sorts included; --max-memory changes it); "
                             "narrow it down or add LIMIT") from None
        except sqlite3.ProgrammingError as exc:
            msg = str(exc)
            if "one statement" in msg:
                raise UsageError("kb sql runs one statement at a time") from None
            raise UsageError(f"SQL error: {msg}") from None
        except sqlite3.DatabaseError as exc:
            self._raise_for(exc)
            raise  # pragma: no cover - _raise_for always raises
        finally:
            self.entered = None

    def _raise_for(self, exc: sqlite3.DatabaseError) -> None:
        msg = str(exc)
        if self.signalled == signal.SIGINT:
            raise KeyboardInterrupt
        if self.signalled:
            raise Terminated(self.signalled)
        if self.timed_out:
            self._raise_timeout()
        if any(k in msg for k in ("not authorized", "authorization denied", "readonly", "read-only", "query_only")):
            raise UsageError(f"{_REFUSED}: refused a statement that would write or attach ({msg}); "
                             "nothing was changed") from None
        if "too big" in msg:
            raise UsageError(f"a value is larger than {MAX_VALUE // 2**20} MB, kb sql's limit ({msg})") from None
        if any(k in msg for k in DAMAGED):
            raise exc  # damage to the database itself: the CLI's boundary explains it
        raise UsageError(f"SQL error: {msg}") from None

    def _raise_timeout(self):
        raise UsageError(f"the statement ran longer than {self.timeout:g} s and was stopped; give --timeout "
                         "SECONDS to allow more (0 for no limit)") from None

    # ------------------------------------------------------------------ rows
    def __iter__(self) -> Iterator[tuple]:
        while True:
            if self._over_time():  # much of the time may go into printing the rows
                self._raise_timeout()
            rows = self._call(self.cur.fetchmany, BATCH)
            if not rows:
                return
            yield from rows

    def close(self) -> None:
        for sig, handler in self._old_handlers.items():
            signal.signal(sig, handler)
        self._old_handlers = {}
        self.conn.set_progress_handler(None, 0)
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _skip(sql: str, i: int) -> int:
    """The end of the quoted name, string literal or comment that starts at ``i`` (``i`` itself if none)."""
    ch = sql[i]
    if ch in "'\"`[":
        end = sql.find("]" if ch == "[" else ch, i + 1)
        while end != -1 and ch != "[" and sql.startswith(ch * 2, end):  # a doubled quote stays inside
            end = sql.find(ch, end + 2)
        return len(sql) if end == -1 else end + 1
    if sql.startswith("--", i):
        end = sql.find("\n", i)
        return len(sql) if end == -1 else end + 1
    if sql.startswith("/*", i):
        end = sql.find("*/", i + 2)
        return len(sql) if end == -1 else end + 2
    return i


def one_statement(sql: str) -> str:
    """``sql`` without what follows its first statement when that is only empty statements, spaces and
    comments (``SELECT 1;;`` is one statement); else ``sql`` as it is (SQLite refuses several)."""
    i, n = 0, len(sql)
    while i < n:
        j = _skip(sql, i)
        if j != i:
            i = j
        elif sql[i] == ";":
            break
        else:
            i += 1
    if i >= n:
        return sql
    end = i + 1
    while end < n:
        j = _skip(sql, end)
        if j != end and sql[end] not in "'\"`[":
            end = j
        elif sql[end] == ";" or sql[end].isspace():
            end += 1
        else:
            return sql  # a second statement: SQLite says so
    return sql[:i + 1]


def run_sql(conn: sqlite3.Connection, sql: str, params: list | tuple = (),
            timeout: float = DEFAULT_TIMEOUT, max_memory: int = MAX_HEAP) -> SqlResult:
    """Run one read-only statement on ``conn`` (a read-only connection, which the result owns
    and closes); rows stream from the returned ``SqlResult``. ``max_memory`` caps SQLite's heap
    in bytes for the rest of the process (SQLite's limit is process-wide and cannot be raised)."""
    if not sql.strip() or not sql.strip().strip(";").strip():
        conn.close()
        raise UsageError("no SQL statement given")
    try:
        conn.execute("PRAGMA query_only = ON")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute(f"PRAGMA cache_size = -{max_memory // 1024}")  # sorts stay in memory up to the cap
        conn.execute(f"PRAGMA hard_heap_limit = {int(max_memory)}")
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE)
        # set up the FTS5 table and the eponymous virtual tables now: their setup is not the
        # user's statement, and the authorizer would refuse its internal schema work
        conn.execute(f"SELECT rowid FROM {FTS_TABLE} WHERE 0").fetchall()
        for name in _EPONYMOUS:
            try:
                conn.execute(f"SELECT * FROM {name} WHERE 0").fetchall()
            except sqlite3.Error:
                pass
        conn.set_authorizer(_authorizer)
    except BaseException:
        conn.close()
        raise
    return SqlResult(conn, one_statement(sql), params, timeout, max_memory)
