"""Options shared by several commands, declared once."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer


class Format(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"
    md = "md"


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)]
DbOpt = Annotated[str | None, typer.Option("--db", envvar="KB_DB", show_envvar=True,
                                              help="SQLite database to use (default: one in the user cache, "
                                                   "built from the seed).")]
SeedOpt = Annotated[str | None, typer.Option("--seed", envvar="KB_SEED", show_envvar=True,
                                                help="Seed file (default: the packaged data/seed.yaml).")]
SourcesOpt = Annotated[str, typer.Option("--sources", help="Folder holding the source texts (*.txt).")]
OutputOpt = Annotated[str | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")]


def open_kb(db: str | None, seed: str | None):
    """A KB over an up-to-date database for these options (built on first use)."""
    from ..query.kb import KB
    from ..store.db import open_db

    return KB(open_db(db, seed))


def warn_restricted(kb, items: list) -> None:
    """Say on stderr, every time, when results rest on a source that restricts citation."""
    from ..query.kb import record_evidence

    hits: dict[str, int] = {}
    for item in items:
        for s in {e["source"] for e in record_evidence(item) if e.get("restricted")}:
            hits[s] = hits.get(s, 0) + 1
    for sid, n in hits.items():
        note = kb.sources[sid]["citation_note"]
        if len(items) == 1:
            what = "this item rests"
        else:
            what = f"{n} of these results {'rests' if n == 1 else 'rest'}"
        typer.echo(f"kb: note: {what} on {sid}, which asks not to be cited: {note}", err=True)
