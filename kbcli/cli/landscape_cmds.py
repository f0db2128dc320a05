"""Seeing the landscape: compare, timeline, graph, chart.

The logic lives in ``kbcli.query`` (compare, timeline, graph, chart) and returns
plain data; drawing lives in ``kbcli.render`` (graphs, charts), imported here
inside the command that needs it, so plotext and matplotlib load for
``kb chart`` only.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from ..text import say
from .common import DbOpt, Format, FormatOpt, QuietOpt, SeedOpt, about, note, open_kb
from .query_cmds import (
    BlockageOpt,
    InstrumentOpt,
    KindOpt,
    MechanismOpt,
    RegionOpt,
    SinceOpt,
    TextOpt,
    UntilOpt,
    _filters,
)


def _note_sources(kb, source_ids) -> None:
    """Say on stderr, every time, when what is printed rests on a source that asks not to be cited."""
    for sid in dict.fromkeys(source_ids):
        src = kb.sources.get(sid)
        if src and src["restricted"]:
            say(f"kb: note: these results rest in part on {sid}, which asks not to be cited: "
                f"{src['citation_note']}")


@about('Places or terms side by side: records by kind, the terms they share or not, their figures.',
       'kb compare 合肥 杭州',
       'kb compare 北京 上海 深圳 --kind practice',
       'kb compare 不敢转 不想转 --format csv')
def compare_cmd(
    terms: Annotated[list[str], typer.Argument(
        metavar="TERM...", help="Two or more regions (or mechanisms, instruments, blockages): ids, Chinese names in "
                                "either script, English names or aliases. A word is tried as a region first.")],
    region: RegionOpt = None, mechanism: MechanismOpt = None, instrument: InstrumentOpt = None,
    blockage: BlockageOpt = None, kind: KindOpt = None, since: SinceOpt = None, until: UntilOpt = None,
    text: TextOpt = None,
    fmt: FormatOpt = Format.table, db: DbOpt = None, seed: SeedOpt = None, quiet: QuietOpt = False,
) -> None:
    """Terms side by side: records by kind, the terms they share or not, their figures.

    Each term stands for the records tagged with it or a narrower term (kb
    compare 安徽 浙江 counts Hefei's and Hangzhou's records), narrowed by the
    filters. One row per kind, term or figure (in base units, with its
    qualifier and date), one column per compared term; 'only' names the terms
    that have a row the others lack.
    """
    from ..query.compare import compare
    from ..render.output import Column, join_list, json_dumps
    from ..render.views import TColumn, emit_rows

    kb = open_kb(db, seed)
    result = compare(kb, terms, _filters(region, mechanism, instrument, blockage, kind, since, until, text))
    ids = [i["id"] for i in result["items"]]
    if fmt == Format.json:
        typer.echo(json_dumps(result))
    else:
        columns = [Column("section"), Column("id"), Column("name_zh"), *[Column(i, numeric=True) for i in ids],
                   Column("unit"), Column("qualifier"), Column("as_of"), Column("only", flatten=join_list),
                   Column("owners", flatten=join_list)]
        emit_rows(result["rows"], columns[:3] + [TColumn("name_en")] + columns[3:], fmt.value)
    _note_sources(kb, [s for figs in result["figures"].values() for x in figs for s in x["sources"]])


@about('Records and dated figures in date order, grouped by year, undated records apart.',
       'kb timeline --region 陕西',
       'kb timeline --mechanism 赋权 --format csv')
def timeline_cmd(
    region: RegionOpt = None, mechanism: MechanismOpt = None, instrument: InstrumentOpt = None,
    blockage: BlockageOpt = None, kind: KindOpt = None, since: SinceOpt = None, until: UntilOpt = None,
    text: TextOpt = None,
    figures: Annotated[bool, typer.Option("--figures/--no-figures", help="Place dated figures too.")] = True,
    fmt: FormatOpt = Format.table, db: DbOpt = None, seed: SeedOpt = None, quiet: QuietOpt = False,
) -> None:
    """Records and dated figures in date order, grouped by year; undated records apart.

    A date given as a year comes first in its year, a month before its days;
    a figure over a period (2018/2022) stands at the period's end. Records
    without a date are listed after the dated ones and counted (on stderr).
    """
    from ..query.timeline import timeline
    from ..render.output import Column, figures_text, join_list, json_dumps
    from ..render.views import TColumn, emit_rows

    kb = open_kb(db, seed)
    result = timeline(kb, _filters(region, mechanism, instrument, blockage, kind, since, until, text), figures)
    rows = result["entries"] + result["undated"]
    if fmt == Format.json:
        years: dict = {}
        for e in result["entries"]:
            years.setdefault(e["year"], []).append(e)
        typer.echo(json_dumps({"years": [{"year": y, "entries": es} for y, es in years.items()],
                               "undated": result["undated"], "counts": result["counts"]}))
    else:
        for r in rows:
            r["figure"] = figures_text([r]) if r["kind"] == "figure" else ""
        columns = [Column("year"), Column("date"), Column("kind"), Column("id"), Column("name_zh"),
                   TColumn("name_en"), Column("figure"), Column("original"), TColumn("regions", flatten=join_list),
                   TColumn("metric"), TColumn("label_en"), TColumn("value"), TColumn("value_max"), TColumn("unit"),
                   TColumn("qualifier"), TColumn("sources", flatten=join_list), Column("restricted")]
        if fmt == Format.table:
            emit_rows(result["entries"], columns, fmt.value)
            if result["undated"]:
                typer.echo(f"\nundated ({len(result['undated'])} record{'s' if len(result['undated']) != 1 else ''}):")
                emit_rows(result["undated"], [c for c in columns if c.key not in ("year", "date", "figure",
                                                                                    "original")], fmt.value)
        else:
            emit_rows(rows, columns, fmt.value)
    c = result["counts"]
    note(f"{c['dated_records']} dated records and {c['dated_figures']} dated figures in date order; "
         f"{c['undated_records']} without a date listed apart"
         + (f"; {c['undated_figures']} figures without a date not placed" if c["undated_figures"] else ""))
    _note_sources(kb, [s for r in rows for s in r["sources"] or ()])


class GraphFormat(str, Enum):
    table = "table"
    dot = "dot"
    mermaid = "mermaid"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"
    md = "md"


@about('The relation graph around records or terms, to a chosen depth, as a table, DOT, Mermaid, JSON or a picture.',
       'kb graph law-sttl --depth 2 --format mermaid',
       'kb graph 概念验证中心 --format dot',
       'kb graph law-sttl --output law-sttl.svg')
def graph_cmd(
    ids: Annotated[list[str], typer.Argument(
        metavar="ID...", help="Records (ids) or terms (ids, names, aliases) to start from.")],
    depth: Annotated[int, typer.Option(min=0, max=10, help="How many steps out from the starting nodes.")] = 1,
    rel: Annotated[list[str] | None, typer.Option(
        help="Only these relations: legal_basis, implements, part_of, related, broader, tagged. Repeat for OR.")] = None,
    fmt: Annotated[GraphFormat, typer.Option("--format", "-f", case_sensitive=False, help=(
        "table, csv, tsv, jsonl or md print the edges; dot (Graphviz), mermaid, or json (node-link, as networkx "
        "and d3 read it) the whole graph."))] = GraphFormat.table,
    output: Annotated[str | None, typer.Option("--output", "-o", help=(
        "Write the graph to FILE.svg or FILE.png (needs Graphviz), .dot, .mmd or .json instead of stdout."))] = None,
    db: DbOpt = None, seed: SeedOpt = None, quiet: QuietOpt = False,
) -> None:
    """The relation graph around records or terms, to a chosen depth.

    Edges: legal basis (with the articles), implements, part of, related
    between records, each linked pair once; broader between terms; tagged from
    a record to a term. The walk goes both ways along relations and from a
    term to its records, not from a record out to its terms.
    """
    from ..query.graph import graph
    from ..render import graphs
    from ..render.views import emit_rows

    kb = open_kb(db, seed)
    g = graph(kb, ids, depth, rel)
    if output:
        kind = graphs.write_graph(g, output)
        note(f"wrote {output} ({kind}: {len(g['nodes'])} nodes, {len(g['links'])} edges)")
        if kind in ("svg", "png") and graphs.cjk_font_installed() is False:
            note("note: fontconfig knows no font with Chinese glyphs, so Chinese names may show as boxes; "
                 "install one (Debian/Ubuntu: sudo apt-get install fonts-noto-cjk)")
    elif fmt == GraphFormat.dot:
        typer.echo(graphs.to_dot(g), nl=False)
    elif fmt == GraphFormat.mermaid:
        typer.echo(graphs.to_mermaid(g), nl=False)
    elif fmt == GraphFormat.json:
        typer.echo(graphs.to_json(g), nl=False)
    else:
        emit_rows(g["links"], graphs.EDGE_COLUMNS, fmt.value)
        if fmt == GraphFormat.table:
            note(f"{len(g['nodes'])} nodes, {len(g['links'])} edges; --format dot, mermaid or json for the "
                 "whole graph")


class ChartFormat(str, Enum):
    chart = "chart"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"
    md = "md"


@about('A figure series as a chart, over time, across regions or as a heat map, in the terminal or to a file.',
       'kb chart technology-contract-turnover --owner 中国',
       'kb chart fund-size --by region',
       'kb chart --crosstab region mechanism --depth 2 --output heat.png')
def chart_cmd(
    metric: Annotated[str | None, typer.Argument(
        help="A figure metric, e.g. technology-contract-turnover (kb figures lists them). Leave out with "
             "--crosstab.")] = None,
    owner: Annotated[list[str] | None, typer.Option(
        help="Only figures of this record, or of a term and the records tagged with it directly (--owner 中国: "
             "the national figures). Repeat for OR.")] = None,
    by: Annotated[str, typer.Option(help="year: the metric over time, one line per owner; region: a bar per "
                                         "figure, labelled by region.")] = "year",
    unit: Annotated[str | None, typer.Option(help="Only figures in this unit (yuan, percent, ...).")] = None,
    crosstab: Annotated[tuple[str, str] | None, typer.Option(
        metavar="ROWS COLS", help="A heat map of kb crosstab ROWS COLS (e.g. region mechanism) instead of a "
                                  "metric.")] = None,
    depth: Annotated[int | None, typer.Option(
        min=0, help="--crosstab: roll terms up to this depth (regions: 1 = countries, 2 = provinces).")] = None,
    col_depth: Annotated[int | None, typer.Option(
        min=0, help="--crosstab: roll the column terms up to this depth instead (mechanisms: 0 = the main "
                    "groups).")] = None,
    region: RegionOpt = None, mechanism: MechanismOpt = None, instrument: InstrumentOpt = None,
    blockage: BlockageOpt = None, kind: KindOpt = None, since: SinceOpt = None, until: UntilOpt = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help=(
        "Draw to FILE.svg or FILE.png (needs the plot extra: pip install 'kbcli[plot]')."))] = None,
    fmt: Annotated[ChartFormat, typer.Option("--format", "-f", case_sensitive=False, help=(
        "chart draws in the terminal; json, jsonl, csv, tsv or md print the data drawn."))] = ChartFormat.chart,
    db: DbOpt = None, seed: SeedOpt = None, quiet: QuietOpt = False,
) -> None:
    """A figure series as a chart: over time, across regions, or a crosstab as a heat map.

    kb chart technology-contract-turnover --owner 中国 draws national
    technology-contract turnover 2018-2023; --by region puts a bar per region;
    --crosstab region mechanism --depth 2 --col-depth 0 draws a heat map.
    Units are written out (万亿元, trillion yuan), qualifiers (over, target)
    stand by each value, and the sources are listed under the chart, with a
    note for any that asks not to be cited.
    """
    from ..errors import UsageError
    from ..query import chart as charts_q

    kb = open_kb(db, seed)
    filters = _filters(region, mechanism, instrument, blockage, kind, since, until, None)
    if crosstab:
        if metric:
            raise UsageError("give a METRIC or --crosstab ROWS COLS, not both")
        data = charts_q.heatmap(kb, crosstab[0], crosstab[1], filters, depth, col_depth)
    elif metric:
        data = charts_q.metric_series(kb, metric, owner, filters, by, unit)
    else:
        raise UsageError("name a METRIC (kb figures lists them) or give --crosstab ROWS COLS")
    if output:
        from ..render import charts

        info = charts.save_chart(data, output)
        font = f"font {info['font']} ({info['font_file']})" if info["font"] else "no Chinese font"
        note(f"wrote {output} ({info['width']}×{info['height']} px, {font})")
        if not info["font"]:
            note(f"note: {charts.FONT_HINT}")
    elif fmt == ChartFormat.chart:
        from ..render.chart_terminal import print_terminal

        print_terminal(data)
    else:
        from ..render.chart_words import emit_chart_data

        emit_chart_data(data, fmt.value)
    _note_sources(kb, [s["id"] for s in data["sources"]])
