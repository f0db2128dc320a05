"""``kb serve``: the built database on Datasette, read-only and immutable; ``kb serve --metadata DIR``
(and ``kb export --datasette DIR``): a Datasette configuration directory that any Datasette serves.

The database file never changes while it is served (Datasette opens it immutable, so it caches its
counts and takes no locks), which is what lets it scale out: any number of processes or machines serve
copies of the same file behind a load balancer (README, "Publishing"; ``deploy/``).

``kb serve`` ends cleanly on SIGINT, SIGTERM and SIGHUP: the server stops taking requests, finishes
the ones under way (at most ``GRACE`` seconds), and kb's boundary prints one line and exits 130, 143 or
129.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import signal
import socket
import sqlite3
import threading
from pathlib import Path
from typing import Any

from ..errors import DataError, Terminated, UsageError
from ..text import say
from .metadata import DATABASE, SETTINGS, metadata

GRACE = 5  # seconds the requests under way get once the server is told to stop
SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n))


def _metadata_of(db: Path) -> dict:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return metadata(conn)
    finally:
        conn.close()


def _need_datasette():
    try:
        from datasette.app import Datasette
        from datasette.database import Database
    except ImportError:
        raise DataError("kb serve needs Datasette: pip install 'kbcli[web]'") from None
    return Datasette, Database


def make_datasette(db: Path):
    """A Datasette serving ``db`` as the read-only, immutable database ``kb``: what ``datasette kb.db`` is
    with kbcli installed (the plugin supplies metadata, settings and templates), without the empty
    in-memory database Datasette adds when it is given no file."""
    Datasette, Database = _need_datasette()
    from datasette.plugins import pm

    from . import datasette_kb

    if not pm.is_registered(datasette_kb):  # kbcli run from a checkout, not installed: no entry point
        pm.register(datasette_kb, name="kbcli")
    ds = Datasette([], settings=dict(SETTINGS))
    ds.remove_database("_memory")
    ds.add_database(Database(ds, path=str(db), is_mutable=False), name=DATABASE)
    return ds


def _server_class():
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, stopped by SIGINT, SIGTERM or SIGHUP alike; the signal is kept (``signum``) for
        kb's boundary rather than re-raised inside the event loop."""

        signum: int | None = None

        def _stop(self, signum, frame) -> None:
            if self.signum is None:
                self.signum = signum
            if self.should_exit:
                self.force_exit = True
            self.should_exit = True

        @contextlib.contextmanager
        def capture_signals(self):  # uvicorn >= 0.29
            old = {s: signal.signal(s, self._stop) for s in SIGNALS}
            try:
                yield
            finally:
                for s, handler in old.items():
                    signal.signal(s, handler)

        def install_signal_handlers(self) -> None:  # older uvicorn
            for s in SIGNALS:
                signal.signal(s, self._stop)

    return Server


def serve(db: Path, host: str = "127.0.0.1", port: int = 8001, stop_after: float | None = None) -> None:
    """Serve until a signal (or ``stop_after`` seconds). Port 0 picks a free port; the URL is written to
    stderr once the socket is bound."""
    ds = make_datasette(db)
    try:
        import uvicorn
    except ImportError:
        raise DataError("kb serve needs Datasette: pip install 'kbcli[web]'") from None
    try:
        sock = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except (OSError, OverflowError) as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}") from None
    bound = sock.getsockname()[1]
    asyncio.run(ds.invoke_startup())
    options: dict[str, Any] = {"log_level": "warning", "lifespan": "on", "timeout_graceful_shutdown": GRACE}
    try:
        config = uvicorn.Config(ds.app(), **options)
    except TypeError:  # an uvicorn without timeout_graceful_shutdown
        options.pop("timeout_graceful_shutdown")
        config = uvicorn.Config(ds.app(), **options)
    server = _server_class()(config)
    if stop_after is not None:
        timer = threading.Timer(stop_after, lambda: setattr(server, "should_exit", True))
        timer.daemon = True
        timer.start()
    shown = f"[{host}]" if ":" in host else host
    say(f"kb: serving http://{shown}:{bound}/{DATABASE} (read-only; Ctrl-C stops)")
    server.run(sockets=[sock])
    if server.signum == signal.SIGINT:
        raise KeyboardInterrupt
    if server.signum is not None:
        raise Terminated(server.signum)


# ---------------------------------------------------------------- a configuration directory for any Datasette
def _replace(path: Path, write: Any) -> None:
    """Write ``path`` through a temporary file beside it, which a failure removes."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _json(path: Path, value: Any) -> None:
    _replace(path, lambda tmp: tmp.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n",
                                              encoding="utf-8"))


def write_publish(db: Path, directory: Path, guard: tuple[Path, ...] = (),
                  option: str = "--metadata") -> tuple[Path, Path]:
    """A Datasette configuration directory of the database (``datasette DIR`` serves it as kb serve does):
    DIR/kb.db, DIR/metadata.json, DIR/settings.json (kb serve's settings) and DIR/inspect-data.json (which
    tells Datasette to open kb.db immutable, with its table counts), each through a temporary file that a
    failure removes. Refuses, before writing anything, a file that is the database read, any path of
    ``guard`` (the seed) or anything else this command read (``paths.guard_output``)."""
    from ..paths import guard_output

    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{option} {directory}: not a directory")
    target = directory / f"{DATABASE}.db"
    names = (target, directory / "metadata.json", directory / "settings.json", directory / "inspect-data.json")
    inputs = [("the database", db), *(("the seed", g) for g in guard)]
    for path in names:
        guard_output(path, option, inputs)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write into {directory}: {exc.strerror or exc}") from None
    digest = hashlib.sha256()

    def copy(tmp: Path) -> None:
        with open(db, "rb") as src, open(tmp, "wb") as out:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                digest.update(chunk)
                out.write(chunk)

    _replace(target, copy)
    meta = directory / "metadata.json"
    _json(meta, _metadata_of(target))
    _json(directory / "settings.json", SETTINGS)
    conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        counts = {t: {"count": conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]} for t in tables}
    finally:
        conn.close()
    _json(directory / "inspect-data.json", {DATABASE: {"hash": digest.hexdigest(), "size": target.stat().st_size,
                                                       "file": target.name, "tables": counts}})
    return target, meta
