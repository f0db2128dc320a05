"""Data commands: export tables, run read-only SQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..text import say
from .common import (
    DbOpt,
    Format,
    FormatOpt,
    OutputOpt,
    QuietOpt,
    SeedOpt,
    about,
    build_progress,
    note,
    open_kb,
    output_to,
)

EXT = {"table": "txt", "json": "json", "jsonl": "jsonl", "csv": "csv", "tsv": "tsv", "md": "md"}
# the table format aligns its columns, so it holds every row: beyond these, kb sql asks for a
# streaming format instead of running out of memory
TABLE_MAX_ROWS = 100_000
TABLE_MAX_CHARS = 4 * 1024 * 1024
BOM = "\ufeff"


def _write(rows, columns, fmt: str, output: str | None, option: str = "--output", bom: bool = False) -> None:
    from ..render.views import emit_rows, project

    if fmt in ("json", "jsonl"):
        rows = project(rows, columns)  # the same columns as csv, values whole
    with output_to(output, option) as fh:
        if bom:
            fh.write(BOM)
        emit_rows(rows, columns, fmt, out=fh)


def _columns(table: str, rows):
    from ..query.export import KINDS
    from ..query.kb import VOCABS
    from ..render import views as v

    if table == "records" or table in KINDS:
        return v.RECORD_COLUMNS_ALL
    if table == "figures":
        return v.FIGURE_COLUMNS
    if table in VOCABS:
        return v.term_columns(indent=False)
    if table == "sources":
        return v.SOURCE_COLUMNS
    return v.columns_for(rows)


def _rows(kb, table: str) -> list[dict]:
    from ..query.export import KINDS, export_table
    from ..render.views import record_rows

    rows = export_table(kb, table)
    return record_rows(rows) if table == "records" or table in KINDS else rows


def _datapackage(directory: Path, kb, tables: dict[str, tuple[list, list]], fmt: str, bom: bool) -> Path:
    """datapackage.json (Frictionless Data) describing the exported files: ``query.datapackage``."""
    from ..query.datapackage import datapackage
    from ..render.views import EVIDENCE_SEPARATOR, LIST_SEPARATOR

    files = {name: (f"{name}.{EXT[fmt]}", [c.title for c in columns],
                    {c.title for c in columns if any(isinstance(r.get(c.key), (list, tuple)) for r in rows)})
             for name, (rows, columns) in tables.items()}
    package = datapackage(kb, files, fmt, bom, (LIST_SEPARATOR, EVIDENCE_SEPARATOR))
    path = directory / "datapackage.json"
    with output_to(str(path), "--dir") as fh:  # atomic, and never over a file this command reads
        fh.write(json.dumps(package, ensure_ascii=False, indent=2) + "\n")
    return path


@about('Export a table or the records of one kind to stdout or a file, or every table into a folder.',
       'kb export practices --bom --output practices.csv   # Excel reads it as UTF-8',
       'kb export --all --dir export --format tsv          # and export/datapackage.json',
       'kb export --datasette site/                         # kb.db and metadata.json for datasette publish')
def export_cmd(
    table: Annotated[str | None, typer.Argument(
        help="records, figures, evidence, links, articles, sources, regions, mechanisms, instruments, "
             "blockages or record_terms; or a record kind: laws, pilots, models, practices.")] = None,
    all_tables: Annotated[bool, typer.Option("--all", help="Export every table into --dir, with a datapackage.json "
                                                           "(csv and tsv).")] = False,
    directory: Annotated[str | None, typer.Option("--dir", help="Folder for --all (created if missing).")] = None,
    bom: Annotated[bool, typer.Option("--bom", help="Start csv or tsv with a UTF-8 byte-order mark, so that "
                                                    "spreadsheets (Excel) read Chinese text right.")] = False,
    datasette: Annotated[str | None, typer.Option(
        "--datasette", metavar="DIR", help="Write the database (DIR/kb.db) and Datasette's metadata "
                                           "(DIR/metadata.json) for datasette publish or another host.")] = None,
    fmt: FormatOpt = Format.csv, output: OutputOpt = None, db: DbOpt = None, seed: SeedOpt = None, quiet: QuietOpt = False,
) -> None:
    """Export a table (default csv) to stdout or --output, or every table with --all --dir DIR.

    Every format has the same columns; in csv, tsv and md a list is joined with '; ' (quotes in the
    evidence column with ' | ').
    """
    from ..errors import UsageError

    if datasette is not None:
        if table is not None or all_tables:
            raise UsageError("--datasette writes the whole database: give no TABLE or --all")
        from ..publish.serve import write_publish
        from ..store.db import ensure_db

        target, meta = write_publish(ensure_db(db, seed, build_progress), Path(datasette), option="--datasette")
        note(f"wrote {target} and {meta}; serve them with: datasette {target} -m {meta}")
        return
    if all_tables == (table is not None):
        raise UsageError("give either a TABLE or --all --dir DIR")
    if bom and fmt.value not in ("csv", "tsv"):
        raise UsageError("--bom is for csv and tsv (a byte-order mark is not valid in JSON or Markdown)")
    if all_tables and not directory:
        raise UsageError("--all needs --dir DIR")
    if table is not None:
        from ..query.export import table_name

        table = table_name(table)  # a usage error before the database is opened
    kb = open_kb(db, seed)
    if all_tables:
        from ..query.export import TABLES

        assert directory is not None
        out = Path(directory)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot use --dir {directory}: {exc.strerror or exc}") from None
        written = {}
        for t in TABLES:
            rows = _rows(kb, t)
            columns = _columns(t, rows)
            path = out / f"{t}.{EXT[fmt.value]}"
            _write(rows, columns, fmt.value, str(path), "--dir", bom)
            written[t] = (rows, columns)
            if not quiet:
                say(f"{path}: {len(rows)} rows")
        if fmt.value in ("csv", "tsv"):
            package = _datapackage(out, kb, written, fmt.value, bom)
            if not quiet:
                say(f"{package}: describes them")
        return
    assert table is not None  # checked above: a TABLE or --all
    rows = _rows(kb, table)
    _write(rows, _columns(table, rows), fmt.value, output, bom=bom)


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
    fmt: FormatOpt = Format.table, db: DbOpt = None, seed: SeedOpt = None, quiet: QuietOpt = False,
) -> None:
    """Run read-only SQL on the database; any write is refused and changes nothing.

    Tables: records (with its tags as JSON arrays), record_terms, terms, term_closure, figures,
    evidence, articles, links, sources, meta; views record_regions, record_mechanisms,
    record_instruments, record_blockages, record_quotes; the full-text index records_fts.
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
    with run_sql(open_db(db, seed, build_progress), statement, param or [], timeout, max_memory << 20) as result:
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
