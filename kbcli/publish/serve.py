"""``kb serve``: the built database on Datasette, read-only and immutable; ``kb export --datasette``:
the database and its metadata written out for ``datasette publish`` or any host.

The database file never changes while it is served (Datasette opens it immutable, so it caches
its counts and takes no locks), which is what lets it scale out: any number of processes or
machines can serve copies of the same file behind a load balancer (README, "Publishing").
"""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import threading
from pathlib import Path

from ..errors import DataError, UsageError
from ..text import say
from .metadata import DATABASE, metadata

# Datasette's settings (measured in benchmarks/load.py): no suggested facets (Datasette tries each of the
# records' 30 columns on every page, seconds at 100k records), limits raised for the facets at that size.
SETTINGS = {"suggest_facets": False, "facet_time_limit_ms": 1000, "sql_time_limit_ms": 3000, "default_page_size": 50,
            "truncate_cells_html": 160}


def _metadata_of(db: Path) -> dict:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return metadata(conn)
    finally:
        conn.close()


def make_datasette(db: Path):
    """A Datasette serving ``db`` as the read-only, immutable database ``kb``, with its metadata."""
    try:
        from datasette.app import Datasette
        from datasette.database import Database
    except ImportError:
        raise DataError("kb serve needs Datasette: pip install 'kbcli[web]'") from None
    ds = Datasette([], metadata=_metadata_of(db), settings=SETTINGS)
    ds.add_database(Database(ds, path=str(db), is_mutable=False), name=DATABASE)
    return ds


def serve(db: Path, host: str = "127.0.0.1", port: int = 8001, stop_after: float | None = None) -> None:
    """Serve until interrupted (or ``stop_after`` seconds). Port 0 picks a free port; the URL is
    written to stderr once the socket is bound."""
    import asyncio

    ds = make_datasette(db)
    try:
        import uvicorn
    except ImportError:
        raise DataError("kb serve needs Datasette: pip install 'kbcli[web]'") from None
    try:
        sock = socket.create_server((host, port))
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    bound = sock.getsockname()[1]
    asyncio.run(ds.invoke_startup())
    config = uvicorn.Config(ds.app(), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    if stop_after is not None:
        timer = threading.Timer(stop_after, lambda: setattr(server, "should_exit", True))
        timer.daemon = True
        timer.start()
    shown = f"[{host}]" if ":" in host else host
    say(f"kb: serving http://{shown}:{bound}/{DATABASE} (read-only; Ctrl-C stops)")
    server.run(sockets=[sock])


def write_publish(db: Path, directory: Path) -> tuple[Path, Path]:
    """Copy the database to DIRECTORY/kb.db and write DIRECTORY/metadata.json beside it, each through a
    temporary file that a failure removes; neither may be a file this command reads (the database)."""
    from ..paths import guard_output

    target = directory / f"{DATABASE}.db"
    meta = directory / "metadata.json"
    for path in (target, meta):
        guard_output(path, "the output file")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write into {directory}: {exc.strerror or exc}") from None
    for path, write in ((target, lambda tmp: shutil.copyfile(db, tmp)),
                        (meta, lambda tmp: tmp.write_text(json.dumps(_metadata_of(db), ensure_ascii=False, indent=2)
                                                          + "\n", encoding="utf-8"))):
        tmp = directory / f".{path.name}.tmp"
        try:
            write(tmp)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
    return target, meta
