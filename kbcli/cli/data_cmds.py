"""Data commands: export tables, run read-only SQL."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..text import say
from .common import DbOpt, Format, FormatOpt, OutputOpt, SeedOpt, about, open_kb, output_to

EXT = {"table": "txt", "json": "json", "jsonl": "jsonl", "csv": "csv", "tsv": "tsv", "md": "md"}
# the table format aligns its columns, so it holds every row: beyond these, kb sql asks for a
# streaming format instead of running out of memory
TABLE_MAX_ROWS = 100_000
TABLE_MAX_CHARS = 4 * 1024 * 1024


def _write(rows, columns, fmt: str, output: str | None, option: str = "--output") -> None:
    from ..render.views import emit_rows

    with output_to(output, option) as fh:
        emit_rows(rows, columns, fmt, out=fh)


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
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot use --dir {directory}: {exc.strerror or exc}") from None
        for t in TABLES:
            rows = export_table(kb, t)
            rows = record_rows(rows) if t == "records" else rows
            path = out / f"{t}.{EXT[fmt.value]}"
            _write(rows, _columns(t, rows), fmt.value, str(path), "--dir")
            say(f"{path}: {len(rows)} rows")
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
    timeout: Annotated[float, typer.Option(
        min=0, help="Stop the statement after this many seconds (0: no limit); time spent waiting for "
                    "the output to be read (a pager) does not count.")] = 10.0,
    max_memory: Annotated[int, typer.Option(
        min=16, max=1 << 20, help="Memory SQLite may use for the statement, temporary tables and sorts "
                                  "included, in MB.")] = 512,
    fmt: FormatOpt = Format.table, db: DbOpt = None, seed: SeedOpt = None,
) -> None:
    """Run read-only SQL on the database; any write is refused and changes nothing.

    Tables: records, record_terms, terms, term_closure, term_names, figures,
    evidence, articles, links, sources, meta, and the FTS5 index search.
    A statement may run 10 seconds (--timeout) and use 512 MB of memory
    (--max-memory); Ctrl-C stops it at once. Rows stream out in every
    format but table.
    """
    import math
    from itertools import chain, islice

    from ..errors import UsageError
    from ..query.sql import run_sql
    from ..render.output import Column, emit_stream, stdout
    from ..render.views import emit_rows
    from ..store.db import open_db

    if not math.isfinite(timeout):
        raise UsageError(f"--timeout must be a number of seconds, got {timeout}")
    with run_sql(open_db(db, seed), statement, param or [], timeout, max_memory << 20) as result:
        names = result.names
        rows = iter(result)
        # the first rows say which columns are numbers (right-aligned in table and md)
        head = list(_table_rows(rows, names)) if fmt == Format.table else list(islice(rows, 1000))
        numeric = {n for i, n in enumerate(names)
                   if head and all(isinstance(r[i], (int, float)) or r[i] is None for r in head)}
        columns = [Column(n, numeric=n in numeric) for n in names]
        if fmt == Format.table:
            emit_rows([dict(zip(names, r)) for r in head], columns, fmt.value)
        else:
            emit_stream((dict(zip(names, r)) for r in chain(head, rows)), columns, fmt.value,
                        result.output(stdout()))


def _table_rows(rows, names):
    """Every row, for the table format, up to TABLE_MAX_ROWS rows and TABLE_MAX_CHARS characters."""
    from ..errors import UsageError

    chars = 0
    for n, r in enumerate(rows, 1):
        chars += sum(len(v) if isinstance(v, (str, bytes)) else 8 for v in r)
        if n > TABLE_MAX_ROWS or chars > TABLE_MAX_CHARS:
            what = f"more than {TABLE_MAX_ROWS} rows" if n > TABLE_MAX_ROWS else \
                f"more than {TABLE_MAX_CHARS // 2**20} MB of text"
            raise UsageError(f"the result has {what}, too much to align as a table; use --format csv, tsv, "
                             "jsonl or json, which stream, or add LIMIT")
        yield r
