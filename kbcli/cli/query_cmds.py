"""Asking commands: query, search, show, list, figures, crosstab."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import (
    BlockageOpt,
    DbOpt,
    ExactOpt,
    Format,
    FormatOpt,
    InstrumentOpt,
    KindOpt,
    LevelOpt,
    MechanismOpt,
    QuietOpt,
    RegionOpt,
    SeedOpt,
    SinceOpt,
    TextOpt,
    UntilOpt,
    about,
    complete_ids,
    note,
    open_kb,
    warn_restricted,
    warn_restricted_sources,
)


def _filters(region, mechanism, instrument, blockage, kind, since, until, text, exact=False, level=None):
    from ..query.facets import Filters

    return Filters(regions=region or [], mechanisms=mechanism or [], instruments=instrument or [],
                   blockages=blockage or [], kinds=kind or [], since=since, until=until, text=text or [],
                   exact=exact, levels=level or [])


def report_empty_or_undated(kb, f, found: bool) -> None:
    """On stderr: why nothing matched, and how many undated records the dates left out."""
    from ..query.facets import undated

    if not found:
        from ..query.hints import empty_query  # only when nothing matched (start-up time)

        for line in empty_query(kb, f):
            note(line)
    n = undated(kb, f)
    if n:
        note(f"{n} undated record(s) matching the other filters left out by --since/--until")


@about("Find records by region, mechanism, instrument, blockage, kind, date and text.",
       "kb query --mechanism 概念验证中心 --instrument funding",
       "kb query --region 陝西 --kind pilot --since 2020",
       "kb query --region 北京 --exact --blockage 不敢转 --format csv")
def query_cmd(
    region: RegionOpt = None, mechanism: MechanismOpt = None, instrument: InstrumentOpt = None,
    blockage: BlockageOpt = None, kind: KindOpt = None, since: SinceOpt = None, until: UntilOpt = None,
    text: TextOpt = None, exact: ExactOpt = False, level: LevelOpt = None,
    sort: Annotated[str, typer.Option(metavar="ORDER", help="Order: kind, date (oldest first), -date (newest first), "
                                                           "id or name; undated records come last.")] = "kind",
    limit: Annotated[int | None, typer.Option(min=1, metavar="N", help="At most N records.")] = None,
    fmt: FormatOpt = Format.table, db: DbOpt = None, seed: SeedOpt = None, quiet: QuietOpt = False,
) -> None:
    """Find records by region, mechanism, instrument, blockage, kind, date and text.

    With no filter, lists every record. Values match ids, Chinese names in
    either script, English names and aliases; a term includes its narrower
    terms (--region 陕西 finds records placed in 西安 or 商洛), not the
    related terms it is linked to by see_also (不能转 and 科研导向与产业需求脱节
    overlap, but each source frames blockages its own way): a note on stderr
    names them, and repeating the option adds them. Repeating an option
    means OR, different options AND.
    """
    from ..query.facets import linked_not_included, query, query_json
    from ..query.kb import VOCAB_KIND

    kb = open_kb(db, seed)
    f = _filters(region, mechanism, instrument, blockage, kind, since, until, text, exact, level)
    # JSON: the lines the build made of each record, printed as they are (nothing parsed or assembled)
    made = query_json(kb, f, sort, limit) if fmt.value in ("json", "jsonl") else None
    if made is not None:
        from ..render.output import emit_json_lines

        emit_json_lines((line for line, _ in made), fmt.value)
        quoted = [sources for _, sources in made]  # only those of records resting on a restricted source
    else:
        from ..query.kb import record_evidence
        from ..render.views import RECORD_COLUMNS_ALL, emit_rows, record_rows

        records = query(kb, f, sort, limit)
        emit_rows(record_rows(records), RECORD_COLUMNS_ALL, fmt.value)
        quoted = [[e["source"] for e in record_evidence(r)] for r in records]
    report_empty_or_undated(kb, f, bool(quoted))
    for vocab, tid, linked in linked_not_included(kb, f):
        note(f"note: {VOCAB_KIND[vocab]} {tid} is related to (see also) {', '.join(linked)}, which this query "
             f"leaves out; repeat --{VOCAB_KIND[vocab]} to include them")
    warn_restricted_sources(kb, quoted)


@about("Full-text search over names, summaries, quotes and term names, best first.",
       "kb search 合肥中试",
       "kb search \"concept-verification centre\"",
       "kb search 中梗阻 --kind practice --format json")
def search_cmd(
    text: Annotated[str, typer.Argument(metavar="TEXT", help="Words or phrases, in Chinese (either script, "
                                                            "spaces not needed) or English.")],
    kind: KindOpt = None,
    limit: Annotated[int, typer.Option(min=1, metavar="N", help="At most N records.")] = 20,
    fmt: FormatOpt = Format.table, db: DbOpt = None, seed: SeedOpt = None, quiet: QuietOpt = False,
) -> None:
    """Full-text search over names, summaries, quotes and term names, best first.

    Unspaced Chinese is split against the names the base knows (合肥中试 is
    合肥 + 中试); a part that names a term also finds the records tagged
    with it, so aliases (中梗阻) and English phrasings work. Records matching
    more parts rank first, then the exact phrase, then text relevance; the
    score's whole part counts the parts matched. Chinese matches by
    character pairs, so simplified finds traditional and the reverse.
    """
    from ..query.hints import empty_search, partial_search, scope_notes
    from ..query.search import parts, search
    from ..render.views import SEARCH_COLUMNS, emit_rows, search_rows

    kb = open_kb(db, seed)
    records = search(kb, text, kind, limit, terms=True)
    emit_rows(search_rows(records) if fmt.value not in ("json", "jsonl") else records, SEARCH_COLUMNS, fmt.value)
    if not records:
        for line in empty_search(kb, text):
            note(line)
    else:
        for line in partial_search(text, records, len(parts(kb, text))) + scope_notes(kb, text):
            note(line)
    warn_restricted(kb, records)


@about("Everything about one record, term, source, law article or figure, named by id or by name.",
       "kb show 合肥", "kb show 協議轉化模式", "kb show law-sttl#art14")
def show_cmd(
    ident: Annotated[str, typer.Argument(
        metavar="NAME", autocompletion=complete_ids,
        help="A record, term or source: its id, Chinese name in either script, English name, short name or "
             "alias; law-id#art14 for an article; ID#2, ID#metric or ID#metric@2022 for a figure.")],
    fmt: FormatOpt = Format.table, db: DbOpt = None, seed: SeedOpt = None, quiet: QuietOpt = False,
) -> None:
    """Everything about one record, term, source, law article or figure.

    A record comes with its figures, evidence and relations both ways;
    figures on which the sources disagree are listed with each source's
    value. A term lists the records tagged with it. A name shared by several
    things lists them (exit 2).
    """
    from ..query.show import show
    from ..render.views import emit_detail

    kb = open_kb(db, seed)
    obj = show(kb, ident)
    emit_detail(obj, fmt.value)
    warn_restricted(kb, [obj] if obj.get("kind") not in ("source",) else [])


@about("List the terms or records of one kind, with how many records use each term.",
       "kb list", "kb list mechanisms", "kb list practices --format csv")
def list_cmd(
    what: Annotated[str | None, typer.Argument(
        metavar="[KIND]", help="regions, mechanisms, instruments, blockages, sources, laws, pilots, models or "
                               "practices. Without it: every kind with its count.")] = None,
    fmt: FormatOpt = Format.table, db: DbOpt = None, seed: SeedOpt = None, quiet: QuietOpt = False,
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


@about("Numbers in base units (money in yuan), to sort, filter by period and add.",
       "kb figures --region 合肥 --unit yuan --sort -value",
       "kb figures --metric \"technology contract turnover\" --as-of 2022",
       "kb figures --metric subsidy-cap --sum")
def figures_cmd(
    metric: Annotated[list[str] | None, typer.Option(
        metavar="METRIC", help="Only this metric (its id or label). Repeat for OR.")] = None,
    unit: Annotated[list[str] | None, typer.Option(
        metavar="UNIT", help="Only this unit (yuan, percent, ...). Repeat for OR.")] = None,
    record: Annotated[list[str] | None, typer.Option(
        metavar="NAME", autocompletion=complete_ids,
        help="Only figures of this record or term (id or name). Repeat for OR.")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="PERIOD", help="Only figures whose period overlaps this one (2022, 2022-03, "
                                          "2018/2022).")] = None,
    region: RegionOpt = None, mechanism: MechanismOpt = None, instrument: InstrumentOpt = None,
    blockage: BlockageOpt = None, kind: KindOpt = None, since: SinceOpt = None, until: UntilOpt = None,
    exact: ExactOpt = False, level: LevelOpt = None,
    sort: Annotated[str, typer.Option(metavar="ORDER", help="Order: owner, metric, value, -value or as_of.")] = "owner",
    total: Annotated[bool, typer.Option("--sum", help="Print count, sum, min and max per metric and unit.")] = False,
    compare: Annotated[bool, typer.Option(
        "--compare", help="Compare across sources: each metric two or more sources report for one record, as "
                          "corroborated, conflicting, different-periods or target-and-outcome, with the "
                          "evidence.")] = False,
    fmt: FormatOpt = Format.table, db: DbOpt = None, seed: SeedOpt = None, quiet: QuietOpt = False,
) -> None:
    """Numbers in base units (money in yuan), to sort, filter by period and add.

    Each row is one figure with its qualifier (exact, max, over, target ...),
    the wording as printed, its sources and its handle, the name kb cite
    takes (ID#metric@2022). Record filters work as in kb query (and select
    the records whose figures are shown).

    --compare lists, for the figures selected, every metric that two or more
    source documents report for the same record: corroborated when the values
    agree given their qualifiers (3000多 "over 3000" and 3449 agree; exact
    values within the precision printed, approx within 10%), conflicting
    when they cannot both hold, different-periods when the sources never
    report the same period, target-and-outcome when one is a target. kb show
    prints the same comparisons for one record.
    """
    from ..errors import UsageError
    from ..query.listing import figures, sum_figures
    from ..render.views import COMPARISON_COLUMNS, FIGURE_COLUMNS, SUM_COLUMNS, emit_rows

    if total and compare:
        raise UsageError("--sum and --compare do not combine: choose one")
    kb = open_kb(db, seed)
    f = _filters(region, mechanism, instrument, blockage, kind, since, until, None, exact, level)
    rows = figures(kb, f, metric, unit, record, sort, as_of)
    if compare:
        from ..query.agreement import compare as compare_rows

        emit_rows(compare_rows(kb, rows), COMPARISON_COLUMNS, fmt.value)
    elif total:
        from ..query.listing import sum_caveats

        emit_rows(sum_figures(rows), SUM_COLUMNS, fmt.value)
        for line in sum_caveats(kb, rows):
            note(line)
    else:
        emit_rows(rows, FIGURE_COLUMNS, fmt.value)
    if not rows:
        note("no figure matches" + (f" the period {as_of}" if as_of else "") + "; `kb figures` with fewer "
             "options lists more")
    elif f.dated:
        report_empty_or_undated(kb, f, True)


@about("Count records by two dimensions, for example region by blockage.",
       "kb crosstab region kind --depth 2 --mechanism 概念验证中心",
       "kb crosstab blockage kind --format csv")
def crosstab_cmd(
    rows: Annotated[str, typer.Argument(metavar="ROWS", help="region, mechanism, instrument, blockage, kind, year "
                                                             "or status.")],
    cols: Annotated[str, typer.Argument(metavar="COLS", help="Same choices as ROWS.")],
    depth: Annotated[int | None, typer.Option(
        min=0, metavar="N", help="Roll terms up to their ancestor at depth N (regions: 1 = countries, "
                                 "2 = provinces).")] = None,
    region: RegionOpt = None, mechanism: MechanismOpt = None, instrument: InstrumentOpt = None,
    blockage: BlockageOpt = None, kind: KindOpt = None, since: SinceOpt = None, until: UntilOpt = None,
    exact: ExactOpt = False, level: LevelOpt = None,
    fmt: FormatOpt = Format.table, db: DbOpt = None, seed: SeedOpt = None, quiet: QuietOpt = False,
) -> None:
    """Count records by two dimensions, for example region by blockage.

    A record tagged with several terms counts once in each of their cells;
    'total' counts each record once per row.
    """
    from ..query.listing import crosstab
    from ..render.output import Column
    from ..render.views import emit_rows

    kb = open_kb(db, seed)
    f = _filters(region, mechanism, instrument, blockage, kind, since, until, None, exact, level)
    row_dim, col_values, table = crosstab(kb, rows, cols, f, depth)
    columns = [Column(row_dim)] + ([Column("name_zh")] if table and "name_zh" in table[0] else []) + \
              [Column(c, numeric=True) for c in col_values] + [Column("total", numeric=True)]
    emit_rows(table, columns, fmt.value)
    report_empty_or_undated(kb, f, bool(table))
