"""Asking commands: query, search, show, list, figures, crosstab."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import DbOpt, Format, FormatOpt, SeedOpt, open_kb, warn_restricted

RegionOpt = Annotated[list[str] | None, typer.Option(
    "--region", "-r", help="Region (id, Chinese name in either script, English name or alias); includes "
                           "places within it. Repeat for OR.")]
MechanismOpt = Annotated[list[str] | None, typer.Option(
    "--mechanism", "-m", help="Mechanism set up or changed (e.g. 概念验证中心, poc-centre). Repeat for OR.")]
InstrumentOpt = Annotated[list[str] | None, typer.Option(
    "--instrument", "-i", help="Instrument of public authority (e.g. funding, which includes subsidies, awards, "
                               "grants and fund investment). Repeat for OR.")]
BlockageOpt = Annotated[list[str] | None, typer.Option(
    "--blockage", "-b", help="Blockage (堵点) addressed, e.g. 不敢转. Repeat for OR.")]
KindOpt = Annotated[list[str] | None, typer.Option(
    "--kind", "-k", help="law, pilot, model or practice. Repeat for OR.")]
SinceOpt = Annotated[str | None, typer.Option(help="Dated on or after (YYYY, YYYY-MM or YYYY-MM-DD).")]
UntilOpt = Annotated[str | None, typer.Option(help="Dated on or before (YYYY, YYYY-MM or YYYY-MM-DD).")]
TextOpt = Annotated[list[str] | None, typer.Option(
    "--text", "-t", help="Full-text condition (as kb search). Repeat for AND.")]


def _filters(region, mechanism, instrument, blockage, kind, since, until, text):
    from ..query.facets import Filters

    return Filters(regions=region or [], mechanisms=mechanism or [], instruments=instrument or [],
                   blockages=blockage or [], kinds=kind or [], since=since, until=until, text=text or [])


def query_cmd(
    region: RegionOpt = None, mechanism: MechanismOpt = None, instrument: InstrumentOpt = None,
    blockage: BlockageOpt = None, kind: KindOpt = None, since: SinceOpt = None, until: UntilOpt = None,
    text: TextOpt = None,
    sort: Annotated[str, typer.Option(help="Order: kind, date, id or name.")] = "kind",
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many records.")] = None,
    fmt: FormatOpt = Format.table, db: DbOpt = None, seed: SeedOpt = None,
) -> None:
    """Find records by region, mechanism, instrument, blockage, kind, date and text.

    With no filter, lists every record. Values match ids, Chinese names in
    either script, English names and aliases; a term includes its narrower
    terms (--region 陕西 finds records placed in 西安 or 商洛).
    """
    from ..query.facets import query
    from ..render.views import RECORD_COLUMNS_ALL, emit_rows, record_rows

    kb = open_kb(db, seed)
    records = query(kb, _filters(region, mechanism, instrument, blockage, kind, since, until, text), sort, limit)
    emit_rows(record_rows(records), RECORD_COLUMNS_ALL, fmt.value)
    warn_restricted(kb, records)


def search_cmd(
    text: Annotated[str, typer.Argument(help="Words or phrases, in Chinese (either script) or English.")],
    kind: KindOpt = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many records.")] = 20,
    fmt: FormatOpt = Format.table, db: DbOpt = None, seed: SeedOpt = None,
) -> None:
    """Full-text search over names, summaries, quotes and aliases, best first.

    Chinese is matched by character bigrams, so two-character terms (中试, 赋权)
    and phrases work, and simplified finds traditional and the reverse.
    Several words must all match.
    """
    from ..query.search import search
    from ..render.views import SEARCH_COLUMNS, emit_rows, search_rows

    kb = open_kb(db, seed)
    records = search(kb, text, kind, limit)
    emit_rows(search_rows(records) if fmt.value not in ("json", "jsonl") else records, SEARCH_COLUMNS, fmt.value)
    warn_restricted(kb, records)


def show_cmd(
    ident: Annotated[str, typer.Argument(metavar="ID", help="A record, vocabulary term or source id.")],
    fmt: FormatOpt = Format.table, db: DbOpt = None, seed: SeedOpt = None,
) -> None:
    """Everything about one record: fields, figures, evidence and relations both ways.

    Also shows vocabulary terms (with the records using them) and sources.
    Figures on which the sources disagree are listed with each source's value.
    """
    from ..query.show import show
    from ..render.views import emit_detail

    kb = open_kb(db, seed)
    obj = show(kb, ident)
    emit_detail(obj, fmt.value)
    warn_restricted(kb, [obj] if obj.get("kind") not in ("source",) else [])


def list_cmd(
    what: Annotated[str | None, typer.Argument(
        metavar="[KIND]", help="regions, mechanisms, instruments, blockages, sources, laws, pilots, models or "
                               "practices. Without it: every kind with its count.")] = None,
    fmt: FormatOpt = Format.table, db: DbOpt = None, seed: SeedOpt = None,
) -> None:
    """List the terms or records of one kind, with how many records use each term."""
    from ..query.kb import VOCABS
    from ..query.listing import kinds_overview, list_kind
    from ..render.views import (
        KINDS_COLUMNS,
        RECORD_COLUMNS_ALL,
        SOURCE_COLUMNS,
        emit_rows,
        record_rows,
        term_columns,
        term_rows,
    )

    kb = open_kb(db, seed)
    if what is None:
        emit_rows(kinds_overview(kb), KINDS_COLUMNS, fmt.value)
        return
    kind, rows = list_kind(kb, what)
    if kind in VOCABS:
        emit_rows(term_rows(rows), term_columns(indent=fmt == Format.table), fmt.value)
    elif kind == "sources":
        emit_rows(rows, SOURCE_COLUMNS, fmt.value)
    else:
        emit_rows(record_rows(rows), RECORD_COLUMNS_ALL, fmt.value)


def figures_cmd(
    metric: Annotated[list[str] | None, typer.Option(help="Only this metric. Repeat for OR.")] = None,
    unit: Annotated[list[str] | None, typer.Option(help="Only this unit (yuan, percent, ...).")] = None,
    record: Annotated[list[str] | None, typer.Option(help="Only figures of this record or term id.")] = None,
    region: RegionOpt = None, mechanism: MechanismOpt = None, instrument: InstrumentOpt = None,
    blockage: BlockageOpt = None, kind: KindOpt = None, since: SinceOpt = None, until: UntilOpt = None,
    sort: Annotated[str, typer.Option(help="Order: owner, metric, value, -value or as_of.")] = "owner",
    total: Annotated[bool, typer.Option("--sum", help="Print count, sum, min and max per metric and unit.")] = False,
    fmt: FormatOpt = Format.table, db: DbOpt = None, seed: SeedOpt = None,
) -> None:
    """Numbers in base units (money in yuan), to sort and add.

    Each row is one figure with its qualifier (exact, max, over, target ...),
    the wording as printed and its sources. Record filters work as in kb query.
    """
    from ..query.listing import figures, sum_figures
    from ..render.views import FIGURE_COLUMNS, SUM_COLUMNS, emit_rows

    kb = open_kb(db, seed)
    rows = figures(kb, _filters(region, mechanism, instrument, blockage, kind, since, until, None),
                   metric, unit, record, sort)
    if total:
        emit_rows(sum_figures(rows), SUM_COLUMNS, fmt.value)
    else:
        emit_rows(rows, FIGURE_COLUMNS, fmt.value)


def crosstab_cmd(
    rows: Annotated[str, typer.Argument(help="region, mechanism, instrument, blockage, kind, year or status.")],
    cols: Annotated[str, typer.Argument(help="Same choices as ROWS.")],
    depth: Annotated[int | None, typer.Option(
        min=0, help="Roll terms up to their ancestor at this depth (regions: 1 = countries, 2 = provinces).")] = None,
    region: RegionOpt = None, mechanism: MechanismOpt = None, instrument: InstrumentOpt = None,
    blockage: BlockageOpt = None, kind: KindOpt = None, since: SinceOpt = None, until: UntilOpt = None,
    fmt: FormatOpt = Format.table, db: DbOpt = None, seed: SeedOpt = None,
) -> None:
    """Count records by two dimensions, e.g. region by blockage.

    A record tagged with several terms counts once in each of their cells;
    'total' counts each record once per row.
    """
    from ..query.listing import crosstab
    from ..render.output import Column
    from ..render.views import emit_rows

    kb = open_kb(db, seed)
    row_dim, col_values, table = crosstab(kb, rows, cols, _filters(region, mechanism, instrument, blockage, kind,
                                                                   since, until, None), depth)
    columns = [Column(row_dim)] + ([Column("name_zh")] if table and "name_zh" in table[0] else []) + \
              [Column(c, numeric=True) for c in col_values] + [Column("total", numeric=True)]
    emit_rows(table, columns, fmt.value)
