"""``kb verify-quotes``: every evidence quote stands verbatim in its own source."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..text import fold_quote
from .evidence import seed_quotes
from .sources import read_sources


@dataclass
class Miss:
    file: str
    line: int
    col: int
    path: str
    source: str
    quote: str
    reason: str

    def __str__(self) -> str:
        q = self.quote if len(self.quote) <= 40 else self.quote[:40] + "…"
        return f"{self.file}:{self.line}:{self.col}: {self.reason}: {q!r} (at {self.path})"


@dataclass
class QuoteReport:
    total: int
    misses: list[Miss]

    @property
    def found(self) -> int:
        return self.total - len(self.misses)


def verify_quotes(seed: str | Path, sources_dir: str | Path) -> QuoteReport:
    sq = seed_quotes(seed)
    texts = read_sources(sources_dir)
    misses: list[Miss] = []
    for q in sq.quotes:
        def miss(reason: str, q=q) -> None:
            misses.append(Miss(str(seed), q.line, q.col, q.path, q.source, q.quote, reason))

        folded = fold_quote(q.quote)
        fname = sq.source_files.get(q.source)
        if not folded:
            miss("empty quote")
            continue
        if fname is None:
            miss(f"unknown source {q.source!r}")
            continue
        src = texts.get(fname)
        if src is None:
            miss(f"source file {fname!r} of {q.source!r} is not in {sources_dir}")
            continue
        spans = src.find(folded)
        if not spans:
            foot = src.skipped_footnote(folded)
            if foot is not None:
                miss(f"runs across the footnote at line {foot} of {fname}; quote up to the page break or from after it")
                continue
            elsewhere = [n for n, t in texts.items() if n != fname and t.find(folded)]
            if elsewhere:
                miss(f"not in {fname} (the file of {q.source!r}) but in {elsewhere[0]}")
            else:
                miss(f"not found verbatim in {fname}")
            continue
        if all(src.footnotes.intersection(src.lines_of(s)) for s in spans):
            miss(f"runs across a footnote line in {fname}")
    return QuoteReport(len(sq.quotes), misses)
