"""``kb sql``: read-only SQL on the database.

Three locks, any one of which refuses a write: the connection is opened with
``mode=ro``, ``PRAGMA query_only`` is on, and an authorizer allows only reads
(SELECT, reading columns, functions, recursive CTEs and a list of read-only
pragmas). ATTACH, VACUUM INTO, CREATE TEMP and the like are refused too, so
nothing on disk can change.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import UsageError
from ..store.db import connect

_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
# pragmas that only read, whatever their argument (PRAGMA table_info(records))
_READ_PRAGMAS = {"table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
                 "foreign_key_list", "foreign_key_check", "database_list", "collation_list", "function_list",
                 "module_list", "pragma_list", "compile_options", "integrity_check", "quick_check"}
# pragmas that read when given no value (PRAGMA user_version) and write when given one
_QUERY_PRAGMAS = {"data_version", "user_version", "schema_version", "application_id", "page_count", "page_size",
                  "freelist_count", "encoding", "journal_mode", "query_only"}
_REFUSED = "kb sql is read-only"


def _authorizer(action, arg1, arg2, dbname, source):
    if action in _ALLOWED:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and arg1:
        name = arg1.lower()
        if name in _READ_PRAGMAS or (name in _QUERY_PRAGMAS and arg2 is None):
            return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def run_sql(path: Path, sql: str, params: list | tuple = ()) -> tuple[list[str], list[tuple]]:
    """Run one read-only statement; returns (column names, rows)."""
    conn = connect(path)
    try:
        conn.execute("PRAGMA query_only = ON")
        # connect the FTS5 table now: its constructor's internal schema work is not the user's statement
        conn.execute("SELECT rowid FROM search WHERE 0").fetchall()
        conn.set_authorizer(_authorizer)
        try:
            cur = conn.execute(sql, params)
            rows = cur.fetchall()
        except sqlite3.ProgrammingError as exc:
            if "one statement" in str(exc):
                raise UsageError("kb sql runs one statement at a time") from None
            raise UsageError(f"SQL error: {exc}") from None
        except sqlite3.DatabaseError as exc:
            msg = str(exc)
            if any(k in msg for k in ("not authorized", "authorization denied", "readonly", "read-only",
                                      "query_only")):
                raise UsageError(f"{_REFUSED}: refused a statement that would write or attach ({msg}); "
                                 "nothing was changed") from None
            raise UsageError(f"SQL error: {msg}") from None
        if cur.description is None:
            return [], []
        names: list[str] = []
        for d in cur.description:
            name, n = d[0], 2
            while name in names:
                name, n = f"{d[0]}_{n}", n + 1
            names.append(name)
        return names, rows
    finally:
        conn.close()
