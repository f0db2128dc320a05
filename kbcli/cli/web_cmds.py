"""``kb serve``: the base on Datasette (the optional ``web`` extra)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from ..text import say
from .common import DbOpt, SeedOpt, about

STOP_AFTER_MAX = 10 ** 9  # seconds (about 31 years): a timer beyond that is no timer


def _seconds(value: float | None) -> float | None:
    """--stop-after: a finite number of seconds (inf, nan and 1e400 are refused, not a timer that never fires)."""
    if value is None:
        return None
    if not math.isfinite(value) or not 0 <= value <= STOP_AFTER_MAX:
        raise typer.BadParameter(f"give a number of seconds from 0 to {STOP_AFTER_MAX:,}, not {value!r}")
    return value


@about("Serve the base on Datasette, read-only, on 127.0.0.1 (pip install 'kbcli[web]').",
       "kb serve",
       "kb serve --port 8080",
       "kb serve --metadata site/   # a Datasette configuration directory: datasette site/ serves it")
def serve_cmd(
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535,
                                      help="Port to listen on (0: a free one, printed).")] = 8001,
    host: Annotated[str, typer.Option("--host", help="Address to listen on; the default serves this machine "
                                                      "only (0.0.0.0 serves the network).")] = "127.0.0.1",
    metadata: Annotated[str | None, typer.Option(
        "--metadata", metavar="DIR",
        help="Do not serve: write a Datasette configuration directory (DIR/kb.db, metadata.json, settings.json, "
             "inspect-data.json) that datasette DIR serves as kb serve does, here or on another host.")] = None,
    stop_after: Annotated[float | None, typer.Option("--stop-after", metavar="SECONDS", callback=_seconds,
                                                     help="Stop by itself after this long.")] = None,
    db: DbOpt = None, seed: SeedOpt = None,
) -> None:
    """Serve the database on Datasette, read-only and immutable: a page for every record, term and
    source that reads like kb show; a question box (kb ask); records faceted by kind, status, region,
    mechanism, instrument and blockage through the term hierarchy, as kb query filters; search that
    reads Chinese as kb search does, best matches first; canned queries. SIGINT, SIGTERM and SIGHUP
    stop it cleanly (exit 130, 143, 129)."""
    from ..store.db import ensure_db
    from .common import build_progress

    path = ensure_db(db, seed, build_progress)
    if metadata is not None:
        from ..paths import seed_path
        from ..publish.serve import write_publish

        if not metadata.strip():
            raise typer.BadParameter("give a directory", param_hint="--metadata")
        guard = (seed_path(seed),) if seed or not db else ()
        target, _ = write_publish(path, Path(metadata), guard=guard)
        say(f"kb: wrote {target.parent}/ (kb.db, metadata.json, settings.json, inspect-data.json); serve it with: "
            f"datasette {target.parent} (with kbcli installed beside Datasette, for search and kb's pages)")
        return
    from ..publish.serve import serve

    serve(path, host=host, port=port, stop_after=stop_after)
