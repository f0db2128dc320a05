"""``kb coverage``: how much of each source the seed's quotes cite.

Each non-empty line of a source is a paragraph (the sources put one paragraph
per line; page breaks in the PDF extraction split some paragraphs in two, and
a quote that runs across the break cites both halves). A paragraph counts as
covered when

* a quote overlaps it (a quote that occurs more than once in its file is
  ambiguous and covers nothing: lengthen it), or
* it is a short heading whose text a locator repeats (headings are cited as
  locators, e.g. ``四、（五）合肥 > 2、成立科技成果概念验证中心…``), or
* the exclusions file lists it as out of scope, with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Issue, SeedError
from ..seed.reader import format_path, read_file
from ..text import fold_quote
from .evidence import seed_quotes
from .sources import SourceText, read_sources

HEADING_MAX = 60  # folded characters


@dataclass
class Paragraph:
    line: int
    text: str
    folded: str  # the text NFKC-folded, without whitespace
    start: int  # span in the folded text
    end: int
    how: str = ""  # "quote", "locator", "excluded" or "" (uncited)
    reason: str = ""


@dataclass
class FileCoverage:
    file: str
    paragraphs: list[Paragraph]
    ambiguous: list[str] = field(default_factory=list)  # quotes that occur more than once
    excluded_but_cited: list[int] = field(default_factory=list)

    def count(self, how: str) -> int:
        return sum(1 for p in self.paragraphs if p.how == how)

    @property
    def covered(self) -> int:
        return sum(1 for p in self.paragraphs if p.how)

    @property
    def share(self) -> float:
        return 100.0 * self.covered / len(self.paragraphs) if self.paragraphs else 100.0

    @property
    def uncited(self) -> list[Paragraph]:
        return [p for p in self.paragraphs if not p.how]


@dataclass
class Exclusion:
    file: str
    start: str
    end: str | None
    reason: str
    line: int
    col: int
    path: str


def paragraphs_of(src: SourceText) -> list[Paragraph]:
    out: list[Paragraph] = []
    pos = 0
    for n, (line, f) in enumerate(zip(src.lines, src.folded_lines), 1):
        if f:
            out.append(Paragraph(n, line.strip(), f, pos, pos + len(f)))
        pos += len(f)
    return out


def read_exclusions(path: str | Path) -> list[Exclusion]:
    label = str(path)
    issues: list[Issue] = []
    out: list[Exclusion] = []
    for item in read_file(path, label, what="the exclusions"):
        if item.section != "exclusions" or item.index is None:
            issues.append(Issue(label, item.line, item.col,
                                "expected a list 'exclusions' of {file, from, to, reason}", item.where))
            continue
        d = item.data
        if not isinstance(d, dict):
            issues.append(Issue(label, item.line, item.col, "an exclusion must be a mapping", item.where))
            continue
        for key in d:
            if key not in ("file", "from", "to", "reason"):
                line, col = item.locate((key,), key=True)
                issues.append(Issue(label, line, col, f"unknown field {key!r}",
                                    format_path(item.where, (key,))))
        for key in ("file", "from", "reason"):
            if not isinstance(d.get(key), str) or not d[key].strip():
                line, col = item.locate((key,))
                issues.append(Issue(label, line, col, f"needs a non-empty {key!r}",
                                    format_path(item.where, (key,))))
        if isinstance(d.get("file"), str) and isinstance(d.get("from"), str) and isinstance(
                d.get("reason"), str) and d["reason"].strip():
            out.append(Exclusion(d["file"], d["from"], d.get("to") if isinstance(d.get("to"), str) else None,
                                 d["reason"], item.line, item.col, item.where))
    if issues:
        raise SeedError(issues)
    return out


def coverage(seed: str | Path, sources_dir: str | Path, exclusions: str | Path | None) -> list[FileCoverage]:
    sq = seed_quotes(seed)
    texts = read_sources(sources_dir)
    excl = read_exclusions(exclusions) if exclusions else []
    report: dict[str, FileCoverage] = {name: FileCoverage(name, paragraphs_of(t)) for name, t in texts.items()}
    locators: dict[str, list[str]] = {name: [] for name in texts}
    for q in sq.quotes:
        fname = sq.source_files.get(q.source)
        if fname not in texts:
            continue
        locators[fname].append(fold_quote(q.locator))
        spans = texts[fname].find(fold_quote(q.quote))
        if len(spans) > 1:
            report[fname].ambiguous.append(q.quote)
            continue
        for a, b in spans:
            for p in report[fname].paragraphs:
                if p.start < b and a < p.end:
                    p.how = "quote"
    for name, fc in report.items():
        locs = locators[name]
        for p in fc.paragraphs:
            if p.how:
                continue
            head = p.folded.lstrip("#").rstrip(":：")
            if head and len(head) <= HEADING_MAX and any(head in loc for loc in locs):
                p.how = "locator"
    issues: list[Issue] = []
    for e in excl:
        target = report.get(e.file)
        if target is None:
            issues.append(Issue(str(exclusions), e.line, e.col, f"no source file {e.file!r}", e.path + ".file"))
            continue
        first = _find_para(target.paragraphs, e.start, 0)
        if isinstance(first, str):
            issues.append(Issue(str(exclusions), e.line, e.col, f"'from' {first}", e.path + ".from"))
            continue
        last = first
        if e.end is not None:
            found = _find_para(target.paragraphs, e.end, first, first_only=True)
            if isinstance(found, str):
                issues.append(Issue(str(exclusions), e.line, e.col, f"'to' {found}", e.path + ".to"))
                continue
            last = found
        for p in target.paragraphs[first:last + 1]:
            if p.how in ("quote", "locator"):
                target.excluded_but_cited.append(p.line)
                continue
            p.how, p.reason = "excluded", e.reason.strip()
    if issues:
        raise SeedError(issues)
    return [report[n] for n in sorted(report)]


def summary(report: list[FileCoverage]) -> tuple[list[dict], dict]:
    """One row of counts per source, and the overall {paragraphs, covered, share}."""
    rows = [{"source": fc.file, "paragraphs": len(fc.paragraphs), "by_quote": fc.count("quote"),
             "by_locator": fc.count("locator"), "excluded": fc.count("excluded"),
             "uncited": len(fc.uncited), "share": round(fc.share, 1)} for fc in report]
    total = sum(len(fc.paragraphs) for fc in report)
    covered = sum(fc.covered for fc in report)
    share = 100.0 * covered / total if total else 100.0
    return rows, {"paragraphs": total, "covered": covered, "share": share}


def _find_para(paras: list[Paragraph], snippet: str, start: int, first_only: bool = False) -> int | str:
    s = fold_quote(snippet)
    hits = [i for i in range(start, len(paras)) if s and s in paras[i].folded]
    if not hits:
        return f"text {snippet!r} is in no paragraph" + (" after 'from'" if start else "")
    if len(hits) > 1 and not first_only:
        return f"text {snippet!r} is in {len(hits)} paragraphs (lines {', '.join(str(paras[i].line) for i in hits[:5])}); make it longer"
    return hits[0]
