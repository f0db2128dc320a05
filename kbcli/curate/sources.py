"""Source texts for curators' checks: folded for comparison, mapped to lines.

The sources stay outside the project; these functions read them from a folder
given at run time. Comparison follows the sources' README: NFKC, all
whitespace removed. A quote must not run across an inserted footnote line (a
line that starts with a superscript number).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from ..paths import read_text_input
from ..text import fold_quote

FOOTNOTE_RE = re.compile(r"^\s*[¹²³⁴⁵⁶⁷⁸⁹⁰]+")


@dataclass
class SourceText:
    name: str
    lines: list[str]
    folded_lines: list[str]  # each line NFKC-folded, without whitespace
    folded: str  # the folded lines joined
    line_of: list[int]  # 1-based line of each folded character
    footnotes: set[int] = field(default_factory=set)  # line numbers of footnote lines
    without_footnotes: str = ""  # the folded text with footnote lines left out
    line_of_wf: list[int] = field(default_factory=list)

    def find(self, folded_quote: str) -> list[tuple[int, int]]:
        """Every span (start, end) of the folded quote in the folded text."""
        spans: list[tuple[int, int]] = []
        start = 0
        if not folded_quote:
            return spans
        while True:
            i = self.folded.find(folded_quote, start)
            if i < 0:
                return spans
            spans.append((i, i + len(folded_quote)))
            start = i + 1

    def lines_of(self, span: tuple[int, int]) -> range:
        return range(self.line_of[span[0]], self.line_of[span[1] - 1] + 1)

    def skipped_footnote(self, folded_quote: str) -> int | None:
        """The footnote line a quote jumps over, when it only matches with footnotes left out."""
        i = self.without_footnotes.find(folded_quote) if folded_quote else -1
        if i < 0:
            return None
        first, last = self.line_of_wf[i], self.line_of_wf[i + len(folded_quote) - 1]
        inside = sorted(n for n in self.footnotes if first < n < last)
        return inside[0] if inside else None


MAX_SOURCE_BYTES = 64 * 1024 * 1024  # a source text is a document, not a device: larger is refused


def read_source(path: Path) -> SourceText:
    """A source text: a regular UTF-8 file of at most MAX_SOURCE_BYTES (a pipe, a device or a link to one is
    refused with one line, never read until memory runs out or waited on for ever)."""
    text = read_text_input(path, "the source text", MAX_SOURCE_BYTES)
    lines = text.splitlines()
    folded: list[str] = []
    line_of: list[int] = []
    footnotes: set[int] = set()
    for n, line in enumerate(lines, 1):
        if FOOTNOTE_RE.match(line):
            footnotes.add(n)
        f = fold_quote(line)
        folded.append(f)
        line_of.extend([n] * len(f))
    wf = [(f, n) for f, n in zip(folded, range(1, len(lines) + 1)) if n not in footnotes]
    line_of_wf = [n for f, n in wf for _ in f]
    return SourceText(path.name, lines, folded, "".join(folded), line_of, footnotes,
                      "".join(f for f, _ in wf), line_of_wf)


def read_sources(folder: str | Path) -> dict[str, SourceText]:
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"no sources folder at {folder}")
    found = {p.name: read_source(p) for p in sorted(folder.glob("*.txt"))}
    if not found:
        raise UsageError(f"no source texts (*.txt) in {folder}")
    return found
