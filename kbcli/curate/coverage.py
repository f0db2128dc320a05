"""``kb coverage``: how much of each source the seed's quotes cite.

Two units are counted: paragraphs and sentences (``kb coverage --by sentence``).

Each non-empty line of a source is a paragraph (the sources put one paragraph
per line; page breaks in the PDF extraction split some paragraphs in two, and
a quote that runs across the break cites both halves). A paragraph counts as
covered when

* a quote overlaps it (a quote that occurs more than once in its file is
  ambiguous and covers nothing: lengthen it), or
* it is a short heading whose text a locator repeats (headings are cited as
  locators, e.g. ``四、（五）合肥 > 2、成立科技成果概念验证中心…``), or
* the exclusions file lists it as out of scope, with a reason.

One quote marks a whole paragraph as covered, so a paragraph of ten facts
with one of them quoted looks complete. Sentences see finer: a sentence ends
at 。！？；(either width) and at the end of a line that does not run on. A
line runs on into the next text line when it stops without such an ending
and is prose rather than a heading: page breaks of the PDF extraction (and
the footnote lines the extraction put inside them) cut sentences in two, and
the two halves are one sentence, which a quote may cite in two parts, since
no quote may run across a footnote (see ``sources``). A heading is a numbered
line (一、 （二） 3、 (4) 第五 …) with no sentence ending inside it, or a line
with no sentence ending and no comma at all (titles, bylines, dates). A
line-final colon ends a lead-in sentence (以下措施：). A short tail after a
closing quotation mark names the speaker (“……。”朴世龙表示。) and belongs to
the quoted sentence.

A sentence counts as cited when quotes cover at least ``SENTENCE_CITED``
of its characters (a clause quoted from a long sentence of several facts
does not cite the rest), as a heading when a locator repeats it, and as out
of scope when an exclusion names it (``sentence:``) or its paragraph
(``from:``). Its share is cited / in scope: excluded sentences leave the
count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Issue, SeedError
from ..text import fold_quote
from .evidence import seed_quotes
from .exclusions import Exclusion, read_exclusions, read_exclusions_and_issues
from .sources import SourceText, read_sources

__all__ = ["Exclusion", "FileCoverage", "coverage", "read_exclusions", "sentence_summary", "summary"]

HEADING_MAX = 60  # folded characters
SENTENCE_CITED = 0.5  # share of a sentence's characters that quotes must cover
ATTRIBUTION_MAX = 12  # a short tail after a closing quotation mark (周云帆总结说。) joins the sentence before it
_CLOSERS = "”’」』"
_OPENERS = "“‘「『"

# a sentence ends at one of these, with any closing quotes or brackets after it
_SENTENCE_END_RE = re.compile(r"[。！？!?；;]+[”’」』）)】\]]*|[：:][”’」』）)】]*\s*$")
_NUMBERED_RE = re.compile(r"^\s*(?:[#▶●■◆]+\s*)?(?:[（(]\s*[一二三四五六七八九十\d]+\s*[）)]|[一二三四五六七八九十]+、"
                          r"|\d+\s*[、.．]|第[一二三四五六七八九十]+[,，、])")
_ENDS_INSIDE_RE = re.compile(r"[。！？!?；;]")


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
class Sentence:
    line: int  # the line it starts on
    text: str  # as printed, the parts on several lines joined
    spans: list[tuple[int, int]]  # its parts in the folded text
    how: str = ""  # "quote", "locator", "excluded" or "" (uncited)
    reason: str = ""
    cited: int = 0  # folded characters inside quotes

    @property
    def size(self) -> int:
        return sum(b - a for a, b in self.spans)

    @property
    def folded(self) -> str:
        return fold_quote(self.text)


@dataclass
class FileCoverage:
    file: str
    paragraphs: list[Paragraph]
    sentences: list[Sentence] = field(default_factory=list)
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

    def count_sentences(self, how: str) -> int:
        return sum(1 for s in self.sentences if s.how == how)

    @property
    def sentences_in_scope(self) -> int:
        return len(self.sentences) - self.count_sentences("excluded")

    @property
    def sentences_cited(self) -> int:
        return self.count_sentences("quote") + self.count_sentences("locator")

    @property
    def sentence_share(self) -> float:
        n = self.sentences_in_scope
        return 100.0 * self.sentences_cited / n if n else 100.0

    @property
    def uncited_sentences(self) -> list[Sentence]:
        return [s for s in self.sentences if not s.how]


def paragraphs_of(src: SourceText) -> list[Paragraph]:
    out: list[Paragraph] = []
    pos = 0
    for n, (line, f) in enumerate(zip(src.lines, src.folded_lines), 1):
        if f:
            out.append(Paragraph(n, line.strip(), f, pos, pos + len(f)))
        pos += len(f)
    return out


def _is_heading(text: str) -> bool:
    """A numbered line with no sentence ending inside it, or a line with no ending and no comma."""
    if _ENDS_INSIDE_RE.search(text):
        return False
    return bool(_NUMBERED_RE.match(text)) or not any(c in text for c in "，,")


def _pieces(text: str) -> list[str]:
    """A line cut after each sentence ending (the last piece may have none)."""
    out, start = [], 0
    for m in _SENTENCE_END_RE.finditer(text):
        out.append(text[start:m.end()])
        start = m.end()
    if text[start:].strip():
        out.append(text[start:])
    return out


def sentences_of(src: SourceText) -> list[Sentence]:
    """The sentences of a source, in order; a sentence may span several lines (see the module docstring)."""
    out: list[Sentence] = []
    pending: Sentence | None = None  # a sentence running on into the next text line
    pos = 0
    for n, (line, f) in enumerate(zip(src.lines, src.folded_lines), 1):
        start, pos = pos, pos + len(f)
        if not f:
            continue
        text = line.strip()
        parts = _pieces(text)
        footnote = n in src.footnotes  # its own sentences; a sentence cut by it runs on after it
        heading = _is_heading(text)
        if pending is not None and not footnote and heading and _NUMBERED_RE.match(text):
            out.append(pending)  # a numbered heading never continues the sentence before it
            pending = None
        at = start
        for i, piece in enumerate(parts):
            size = len(fold_quote(piece))
            if not size:
                continue
            span = (at, min(at + size, start + len(f)))
            at += size
            if i == 0 and pending is not None and not footnote:
                sent, pending = pending, None
                sent.spans.append(span)
                sent.text += piece.strip()
                continued = True
            else:
                sent, continued = Sentence(n, piece.strip(), [span]), False
            runs_on = (i == len(parts) - 1 and not footnote and not _SENTENCE_END_RE.search(piece)
                       and not (heading and not continued)
                       and not (i > 0 and _NUMBERED_RE.match(piece)))
            if (not continued and i > 0 and out and out[-1].line == n and size <= ATTRIBUTION_MAX
                    and out[-1].text[-1] in _CLOSERS and piece.strip()[0] not in _OPENERS):
                out[-1].spans.append(span)  # “……。”朴世龙表示。: the speaker belongs to the quoted sentence
                out[-1].text += piece.strip()
            elif runs_on:
                pending = sent
            else:
                out.append(sent)
    if pending is not None:
        out.append(pending)
    return out


def coverage(seed: str | Path, sources_dir: str | Path, exclusions: str | Path | None) -> list[FileCoverage]:
    sq = seed_quotes(seed)
    texts = read_sources(sources_dir)
    excl, issues = read_exclusions_and_issues(exclusions) if exclusions else ([], [])
    report: dict[str, FileCoverage] = {name: FileCoverage(name, paragraphs_of(t), sentences_of(t))
                                       for name, t in texts.items()}
    locators: dict[str, list[str]] = {name: [] for name in texts}
    quoted = {name: bytearray(len(t.folded)) for name, t in texts.items()}  # 1 where a quote stands
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
            quoted[fname][a:b] = b"\x01" * (b - a)
            for p in report[fname].paragraphs:
                if p.start < b and a < p.end:
                    p.how = "quote"
    for name, fc in report.items():
        locs = locators[name]

        def is_heading(folded: str, locs=locs) -> bool:
            head = folded.lstrip("#").rstrip(":：")
            return bool(head) and len(head) <= HEADING_MAX and any(head in loc for loc in locs)

        for p in fc.paragraphs:
            if not p.how and is_heading(p.folded):
                p.how = "locator"
        for s in fc.sentences:
            s.cited = sum(quoted[name][a:b].count(1) for a, b in s.spans)
            if s.cited and s.cited >= SENTENCE_CITED * s.size:
                s.how = "quote"
            elif is_heading(s.folded):
                s.how = "locator"
    for e in excl:
        if e.unit == "figure":
            continue  # checked with the figures (kbcli.curate.figures)
        target = report.get(e.file)
        if target is None:
            issues.append(Issue(str(exclusions), e.line, e.col, f"no source file {e.file!r}", e.path + ".file"))
            continue
        if e.unit == "sentence":
            _exclude_sentences(target, e, str(exclusions), issues)
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
        lo, hi = target.paragraphs[first].start, target.paragraphs[last].end
        for p in target.paragraphs[first:last + 1]:
            if p.how in ("quote", "locator"):
                target.excluded_but_cited.append(p.line)
                continue
            p.how, p.reason = "excluded", e.reason.strip()
        for s in target.sentences:
            if not s.how and lo <= s.spans[0][0] < hi:
                s.how, s.reason = "excluded", e.reason.strip()
    if issues:
        raise SeedError(issues)
    for fc in report.values():  # a paragraph all of whose sentences are out of scope is out of scope
        for p in fc.paragraphs:
            if p.how:
                continue
            inside = [s for s in fc.sentences if p.start <= s.spans[0][0] < p.end]
            if inside and all(s.how == "excluded" for s in inside):
                p.how, p.reason = "excluded", inside[0].reason
    return [report[n] for n in sorted(report)]


def _exclude_sentences(target: FileCoverage, e: Exclusion, label: str, issues: list[Issue]) -> None:
    first = _find_sentence(target.sentences, e.start, 0)
    if isinstance(first, str):
        issues.append(Issue(label, e.line, e.col, f"'sentence' {first}", e.path + ".sentence"))
        return
    last = first
    if e.end is not None:
        found = _find_sentence(target.sentences, e.end, first, first_only=True)
        if isinstance(found, str):
            issues.append(Issue(label, e.line, e.col, f"'to' {found}", e.path + ".to"))
            return
        last = found
    for s in target.sentences[first:last + 1]:
        if s.how in ("quote", "locator"):
            target.excluded_but_cited.append(s.line)
            continue
        s.how, s.reason = "excluded", e.reason.strip()


def _find_sentence(sents: list[Sentence], snippet: str, start: int, first_only: bool = False) -> int | str:
    s = fold_quote(snippet)
    hits = [i for i in range(start, len(sents)) if s and s in sents[i].folded]
    if not hits:
        return f"text {snippet!r} is in no sentence" + (" after 'sentence'" if start else "")
    if len(hits) > 1 and not first_only:
        return (f"text {snippet!r} is in {len(hits)} sentences (lines "
                f"{', '.join(str(sents[i].line) for i in hits[:5])}); make it longer")
    return hits[0]


def sentence_summary(report: list[FileCoverage]) -> tuple[list[dict], dict]:
    """One row of sentence counts per source, and the overall {sentences, in_scope, cited, share}."""
    rows = [{"source": fc.file, "sentences": len(fc.sentences), "by_quote": fc.count_sentences("quote"),
             "by_locator": fc.count_sentences("locator"), "excluded": fc.count_sentences("excluded"),
             "uncited": len(fc.uncited_sentences), "in_scope": fc.sentences_in_scope,
             "share": round(fc.sentence_share, 1)} for fc in report]
    total = sum(len(fc.sentences) for fc in report)
    in_scope = sum(fc.sentences_in_scope for fc in report)
    cited = sum(fc.sentences_cited for fc in report)
    share = 100.0 * cited / in_scope if in_scope else 100.0
    return rows, {"sentences": total, "in_scope": in_scope, "cited": cited, "share": share}


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
