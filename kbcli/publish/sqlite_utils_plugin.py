"""kbcli's sqlite-utils plugin (registered under the ``sqlite_utils`` entry point).

``sqlite-utils search kb.db records 概念验证`` passes its query to FTS5 as typed, and the
index holds Chinese text as character pairs: only a two-character word would match. On a kb
database this plugin hands the query to kb's reading of it first (``kbcli.publish.searching``),
so the command finds what ``kb search`` finds (every part of the query, as ``kb query --text``);
on any other database, and with ``--sql``, the command runs exactly as it was. sqlite-utils loads
this module in every run: it imports nothing of kbcli until it meets a kb database.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import hookimpl


@hookimpl
def register_commands(cli):
    command = cli.commands.get("search")
    if command is None or getattr(command.callback, "kb_wrapped", False):
        return
    original = command.callback

    def search(*args, **kwargs):
        query = _rewrite(kwargs.get("path"), kwargs.get("q"))
        if query is not None:
            kwargs["q"], kwargs["quote"] = query, False  # kb's expression is already quoted
        return original(*args, **kwargs)

    search.kb_wrapped = True  # type: ignore[attr-defined]
    search.__doc__ = original.__doc__
    command.callback = search


def _rewrite(path, query: str | None) -> str | None:
    if not path or not query:
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        from .searching import expression, kb_database

        found = kb_database(conn)
        return expression(found, query) if found is not None else None
    except Exception:  # noqa: BLE001 - never break sqlite-utils: it then runs the query as typed
        return None
    finally:
        conn.close()
