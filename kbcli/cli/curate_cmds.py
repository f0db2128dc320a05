"""Curators' commands: check quotes against the sources, measure coverage."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from ..text import say
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
        say(str(m))
    say(f"{report.found}/{report.total} quotes found in {sources}")
    if report.misses:
        raise DataError(f"{len(report.misses)} quote(s) not found verbatim in their sources")


class Unit(str, Enum):
    paragraph = "paragraph"
    sentence = "sentence"


@about("Report the share of each source's paragraphs (or sentences) that the seed cites.",
       'kb coverage --sources ../shared/sources --min 100',
       'kb coverage --sources ../shared/sources --by sentence --min 95')
def coverage_cmd(
    sources: SourcesOpt = "../shared/sources",
    seed: SeedOpt = None,
    exclusions: Annotated[str | None, typer.Option(
        help="Out-of-scope paragraphs and sentences with reasons (default: data/coverage-exclusions.yaml).")] = None,
    by: Annotated[Unit, typer.Option("--by", help="Count paragraphs or sentences.")] = Unit.paragraph,
    min_share: Annotated[float, typer.Option("--min", help="Exit 1 if any source is below this share (%).")] = 0.0,
    fmt: FormatOpt = Format.table,
) -> None:
    """Report the share of each source's paragraphs (or sentences) that the seed cites.

    A paragraph is covered when a quote overlaps it, when it is a heading
    that a locator repeats, or when the exclusions file lists it with a
    reason. With --by sentence, a sentence (ended by 。！？； or by a line
    that does not run on; sentences cut by a page break or footnote are
    joined) is cited when quotes cover at least half of it or a locator
    repeats it; the share is cited / in-scope sentences, those an exclusion
    names (by paragraph or by sentence) left out. The table lists the
    uncited paragraphs or sentences after the summary; json gives per source
    the counts and the uncited ones.

    A figure whose number a second source prints, near the same words, while
    the figure's evidence cites only the first, is reported on stderr, located
    in the seed, and exits 1: cite the second source in the figure's evidence
    (kb figures --compare then sees the agreement), or list the number under
    distinct_figures in the exclusions file with a reason.
    """
    from ..curate.coverage import coverage, summary
    from ..curate.figures import check
    from ..errors import DataError
    from ..paths import packaged_exclusions, seed_path
    from ..render.output import Column, emit, json_dumps

    path, excl = seed_path(seed), exclusions or packaged_exclusions()
    report = coverage(path, sources, excl)
    elsewhere = check(path, sources, excl)  # figures a second source prints, uncited
    if by == Unit.sentence:
        _sentence_report(report, fmt, elsewhere)
        low = [fc.file for fc in report if fc.sentence_share < min_share]
        if low:
            raise DataError(f"below {min_share:g}% sentence coverage: {', '.join(low)}")
        _figures_elsewhere(elsewhere, str(path))
        return
    rows, overall = summary(report)
    total, covered, share = overall["paragraphs"], overall["covered"], overall["share"]
    if fmt in (Format.json, Format.jsonl):
        doc = [dict(r, uncited_paragraphs=[{"line": p.line, "text": p.text} for p in fc.uncited],
                    ambiguous_quotes=fc.ambiguous, excluded_but_cited=fc.excluded_but_cited)
               for r, fc in zip(rows, report)]
        if fmt == Format.json:
            typer.echo(json_dumps({"sources": doc, "overall": dict(overall, share=round(share, 1)),
                                   "figures_elsewhere": _elsewhere_json(elsewhere)}))
        else:
            for d in doc:
                typer.echo(json_dumps(d, indent=None))
    else:
        cols = [Column("source"), Column("paragraphs", numeric=True), Column("by_quote", numeric=True),
                Column("by_locator", numeric=True), Column("excluded", numeric=True),
                Column("uncited", numeric=True), Column("share", "share %", numeric=True)]
        emit(rows, cols, fmt.value)
        if fmt == Format.table:
            say(f"overall: {covered}/{total} paragraphs covered ({share:.1f}%)")
            for fc in report:
                for p in fc.uncited:
                    text = p.text if len(p.text) <= 60 else p.text[:60] + "…"
                    say(f"uncited: {fc.file}:{p.line}: {text}")
                for q in fc.ambiguous:
                    say(f"ambiguous quote (occurs more than once): {fc.file}: {q[:40]!r}")
    low = [fc.file for fc in report if fc.share < min_share]
    if low:
        raise DataError(f"below {min_share:g}% coverage: {', '.join(low)}")
    _figures_elsewhere(elsewhere, str(path))


def _elsewhere_json(found: list) -> list[dict]:
    return [{"figure": f.figure.handle, "original": f.figure.original, "seed_line": f.figure.line,
             "path": f.figure.path, "file": f.file, "line": f.line, "context": f.context} for f in found]


def _figures_elsewhere(found: list, seed: str) -> None:
    """Each figure a second source prints, uncited, as a located line on stderr; any is an error."""
    from ..errors import DataError

    for f in found:
        say(str(f.issue(seed)))
    if found:
        raise DataError(f"{len(found)} figure(s) printed by a second source that their evidence does not cite")


def _sentence_report(report, fmt: Format, elsewhere: list) -> None:
    from ..curate.coverage import sentence_summary
    from ..render.output import Column, emit, json_dumps

    rows, overall = sentence_summary(report)
    if fmt in (Format.json, Format.jsonl):
        doc = [dict(r, uncited_sentences=[{"line": s.line, "text": s.text, "quoted_chars": s.cited, "chars": s.size}
                                          for s in fc.uncited_sentences],
                    ambiguous_quotes=fc.ambiguous, excluded_but_cited=fc.excluded_but_cited)
               for r, fc in zip(rows, report)]
        if fmt == Format.json:
            typer.echo(json_dumps({"sources": doc, "overall": dict(overall, share=round(overall["share"], 1)),
                                   "figures_elsewhere": _elsewhere_json(elsewhere)}))
        else:
            for d in doc:
                typer.echo(json_dumps(d, indent=None))
        return
    cols = [Column("source"), Column("sentences", numeric=True), Column("by_quote", numeric=True),
            Column("by_locator", numeric=True), Column("excluded", numeric=True), Column("in_scope", numeric=True),
            Column("uncited", numeric=True), Column("share", "share %", numeric=True)]
    emit(rows, cols, fmt.value)
    if fmt == Format.table:
        say(f"overall: {overall['cited']}/{overall['in_scope']} in-scope sentences cited "
            f"({overall['share']:.1f}%)")
        for fc in report:
            for s in fc.uncited_sentences:  # whole: a curator copies from it
                say(f"uncited: {fc.file}:{s.line}: {s.text}")
            for q in fc.ambiguous:
                say(f"ambiguous quote (occurs more than once): {fc.file}: {q[:40]!r}")
