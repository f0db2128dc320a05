"""Data commands: export tables, run read-only SQL."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import DbOpt, Format, FormatOpt, OutputOpt, SeedOpt, about, open_kb

EXT = {"table": "txt", "json": "json", "jsonl": "jsonl", "csv": "csv", "tsv": "tsv", "md": "md"}


def _write(rows, columns, fmt: str, output: str | None) -> None:
    from ..render.views import emit_rows

    if output:
        with open(output, "w", encoding="utf-8", newline="") as fh:
            emit_rows(rows, columns, fmt, out=fh)
    else:
        emit_rows(rows, columns, fmt)


def _columns(table: str, rows):
    from ..query.kb import VOCABS
    from ..render import views as v

    if table == "records":
        return v.RECORD_COLUMNS_ALL
    if table == "figures":
        return v.FIGURE_COLUMNS
    if table in VOCABS:
        return v.term_columns(indent=False)
    if table == "sources":
        return v.SOURCE_COLUMNS
    return v.columns_for(rows)


@about('Export a table to stdout or a file, or every table into a folder.',
       'kb export figures --format csv --output figures.csv',
       'kb export --all --dir export --format tsv')
def export_cmd(
    table: Annotated[str | None, typer.Argument(
        help="records, figures, evidence, links, articles, sources, regions, mechanisms, instruments, "
             "blockages or record_terms.")] = None,
    all_tables: Annotated[bool, typer.Option("--all", help="Export every table into --dir.")] = False,
    directory: Annotated[str | None, typer.Option("--dir", help="Folder for --all (created if missing).")] = None,
    fmt: FormatOpt = Format.csv, output: OutputOpt = None, db: DbOpt = None, seed: SeedOpt = None,
) -> None:
    """Export a table (default csv) to stdout or --output, or every table with --all --dir DIR."""
    from ..errors import UsageError
    from ..query.export import TABLES, export_table
    from ..render.views import record_rows

    if all_tables == (table is not None):
        raise UsageError("give either a TABLE or --all --dir DIR")
    kb = open_kb(db, seed)
    if all_tables:
        if not directory:
            raise UsageError("--all needs --dir DIR")
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        for t in TABLES:
            rows = export_table(kb, t)
            rows = record_rows(rows) if t == "records" else rows
            path = out / f"{t}.{EXT[fmt.value]}"
            _write(rows, _columns(t, rows), fmt.value, str(path))
            typer.echo(f"{path}: {len(rows)} rows", err=True)
        return
    assert table is not None  # checked above: a TABLE or --all
    rows = export_table(kb, table)
    if table == "records" and fmt.value not in ("json", "jsonl"):
        rows = record_rows(rows)
    _write(rows, _columns(table, rows), fmt.value, output)


@about('Run one read-only SQL statement on the database; any write is refused and changes nothing.',
       'kb sql "SELECT kind, COUNT(*) AS n FROM records GROUP BY kind"',
       'kb sql "SELECT id FROM records WHERE date >= ?" -p 2022 --format csv')
def sql_cmd(
    statement: Annotated[str, typer.Argument(metavar="SQL", help="One SELECT statement.")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="A ? parameter, in order.")] = None,
    fmt: FormatOpt = Format.table, db: DbOpt = None, seed: SeedOpt = None,
) -> None:
    """Run read-only SQL on the database; any write is refused and changes nothing.

    Tables: records, record_terms, terms, term_closure, term_names, figures,
    evidence, articles, links, sources, meta, and the FTS5 index search.
    """
    from ..query.sql import run_sql
    from ..render.output import Column
    from ..render.views import emit_rows
    from ..store.db import ensure_db

    names, rows = run_sql(ensure_db(db, seed), statement, param or [])
    numeric = {n for i, n in enumerate(names) if rows and all(isinstance(r[i], (int, float)) or r[i] is None
                                                               for r in rows)}
    emit_rows([dict(zip(names, r)) for r in rows], [Column(n, numeric=n in numeric) for n in names], fmt.value)
