"""Curators' commands: check quotes against the sources, measure coverage."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import Format, FormatOpt, SeedOpt, SourcesOpt, about


@about('Check that every evidence quote stands verbatim in its own source.',
       'kb verify-quotes --sources ../shared/sources',
       'kb verify-quotes --sources ../shared/sources --seed my-seed.yaml')
def verify_quotes_cmd(
    sources: SourcesOpt = "../shared/sources",
    seed: SeedOpt = None,
) -> None:
    """Check that every evidence quote stands verbatim in its own source.

    Comparison removes all whitespace and folds full- and half-width forms
    (NFKC). A quote must not run across a footnote line. Exits 1 on any miss.
    """
    from ..curate.quotes import verify_quotes
    from ..errors import DataError
    from ..paths import seed_path

    path = seed_path(seed)
    report = verify_quotes(path, sources)
    for m in report.misses:
        typer.echo(str(m), err=True)
    typer.echo(f"{report.found}/{report.total} quotes found in {sources}", err=True)
    if report.misses:
        raise DataError(f"{len(report.misses)} quote(s) not found verbatim in their sources")


@about("Report the share of each source's paragraphs that the seed cites.",
       'kb coverage --sources ../shared/sources --min 100',
       'kb coverage --sources ../shared/sources --format json')
def coverage_cmd(
    sources: SourcesOpt = "../shared/sources",
    seed: SeedOpt = None,
    exclusions: Annotated[str | None, typer.Option(
        help="Out-of-scope paragraphs with reasons (default: data/coverage-exclusions.yaml).")] = None,
    min_share: Annotated[float, typer.Option("--min", help="Exit 1 if any source is below this share (%).")] = 0.0,
    fmt: FormatOpt = Format.table,
) -> None:
    """Report the share of each source's paragraphs that the seed cites.

    A paragraph is covered when a quote overlaps it, when it is a heading
    that a locator repeats, or when the exclusions file lists it with a
    reason. The table lists the uncited paragraphs after the summary; json
    gives per source the counts and the uncited paragraphs.
    """
    from ..curate.coverage import coverage, summary
    from ..errors import DataError
    from ..paths import packaged_exclusions, seed_path
    from ..render.output import Column, emit, json_dumps

    report = coverage(seed_path(seed), sources, exclusions or packaged_exclusions())
    rows, overall = summary(report)
    total, covered, share = overall["paragraphs"], overall["covered"], overall["share"]
    if fmt in (Format.json, Format.jsonl):
        doc = [dict(r, uncited_paragraphs=[{"line": p.line, "text": p.text} for p in fc.uncited],
                    ambiguous_quotes=fc.ambiguous, excluded_but_cited=fc.excluded_but_cited)
               for r, fc in zip(rows, report)]
        if fmt == Format.json:
            typer.echo(json_dumps({"sources": doc, "overall": dict(overall, share=round(share, 1))}))
        else:
            for d in doc:
                typer.echo(json_dumps(d, indent=None))
    else:
        cols = [Column("source"), Column("paragraphs", numeric=True), Column("by_quote", numeric=True),
                Column("by_locator", numeric=True), Column("excluded", numeric=True),
                Column("uncited", numeric=True), Column("share", "share %", numeric=True)]
        emit(rows, cols, fmt.value)
        if fmt == Format.table:
            typer.echo(f"overall: {covered}/{total} paragraphs covered ({share:.1f}%)", err=True)
            for fc in report:
                for p in fc.uncited:
                    text = p.text if len(p.text) <= 60 else p.text[:60] + "…"
                    typer.echo(f"uncited: {fc.file}:{p.line}: {text}", err=True)
                for q in fc.ambiguous:
                    typer.echo(f"ambiguous quote (occurs more than once): {fc.file}: {q[:40]!r}", err=True)
    low = [fc.file for fc in report if fc.share < min_share]
    if low:
        raise DataError(f"below {min_share:g}% coverage: {', '.join(low)}")
