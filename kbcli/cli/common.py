"""Options shared by several commands, declared once."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer


class Format(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"
    md = "md"


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)]
DbOpt = Annotated[Optional[str], typer.Option("--db", envvar="KB_DB", show_envvar=True,
                                              help="SQLite database to use (default: one in the user cache, "
                                                   "built from the seed).")]
SeedOpt = Annotated[Optional[str], typer.Option("--seed", envvar="KB_SEED", show_envvar=True,
                                                help="Seed file (default: the packaged data/seed.yaml).")]
SourcesOpt = Annotated[str, typer.Option("--sources", help="Folder holding the source texts (*.txt).")]
OutputOpt = Annotated[Optional[str], typer.Option("--output", "-o", help="Write to this file instead of stdout.")]
