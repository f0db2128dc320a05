"""``kb serve``: the base on Datasette (the optional ``web`` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..text import say
from .common import DbOpt, SeedOpt, about


@about("Serve the base on Datasette, read-only, on 127.0.0.1 (pip install 'kbcli[web]').",
       "kb serve",
       "kb serve --port 8080",
       "kb serve --metadata site/   # writes site/kb.db and site/metadata.json for datasette publish")
def serve_cmd(
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535,
                                      help="Port to listen on (0: a free one, printed).")] = 8001,
    host: Annotated[str, typer.Option("--host", help="Address to listen on; the default serves this machine "
                                                      "only (0.0.0.0 serves the network).")] = "127.0.0.1",
    metadata: Annotated[str | None, typer.Option(
        "--metadata", metavar="DIR",
        help="Do not serve: write the database (DIR/kb.db) and Datasette's metadata (DIR/metadata.json) for "
             "datasette publish or another host, as kb export --datasette does.")] = None,
    stop_after: Annotated[float | None, typer.Option("--stop-after", metavar="SECONDS", min=0,
                                                     help="Stop by itself after this long.")] = None,
    db: DbOpt = None, seed: SeedOpt = None,
) -> None:
    """Serve the database on Datasette, read-only and immutable: records faceted by kind, region,
    mechanism, instrument, blockage and status; search that reads Chinese as kb search does; each
    record's quotes with their source, locator and any request not to be cited; canned queries."""
    from ..store.db import ensure_db
    from .common import build_progress

    path = ensure_db(db, seed, build_progress)
    if metadata:
        from ..publish.serve import write_publish

        target, meta = write_publish(path, Path(metadata))
        say(f"kb: wrote {target} and {meta}; serve them with: datasette {target} -m {meta} "
            "(with kbcli installed beside Datasette, for search)")
        return
    from ..publish.serve import serve

    serve(path, host=host, port=port, stop_after=stop_after)
