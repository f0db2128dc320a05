"""Figures that a second source prints but the figure's evidence does not cite (``kb coverage``).

Where two sources report a number, the seed keeps both, each with its own quote, so that
``kb figures --compare`` sees the agreement (or the conflict). This check finds the numbers the
seed records from one source that another source prints too, uncited:

* the number as ``original`` prints it (40 in 40家单位, 3.8 in 3.8万余项; a small whole number
  also as a Chinese numeral, 九), with its multiplier (万, 亿) and measure word (家, 项, 部门, %;
  家, 所, 个 and 座 count alike), found in a source document none of the figure's quotes come from;
* and the words right around it there (``CONTEXT`` characters each side) sharing at least
  ``SHARED`` character pairs with the words around the number in the figure's own quotes: 9部门印发
  《赋予科研人员 is the figure of 等9部门联合印发《赋予科研人员, 9部门启动工程硕博士 is not. (Tried on
  the seed's own agreements, each found again when one source is left out, and nothing else but two
  numbers listed as distinct.)

A number that is another figure after all is listed under ``distinct_figures`` in the exclusions
file (``figure: OWNER#METRIC``, ``file``, ``reason``), and is then not reported.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..errors import Issue, SeedError
from ..seed.reader import format_path, read_file
from ..text import fold_quote
from .exclusions import read_exclusions_and_issues
from .sources import SourceText, read_sources

CONTEXT = 8  # folded characters each side of a number that say what it counts
SHARED = 2  # character pairs the two contexts must share (the measure word's own pair counts)
_NUMBER_RE = re.compile(r"\d[\d,]*(?:\.\d+)?")
_SAME_MEASURE = {"所": "家", "个": "家", "座": "家", "件": "项", "名": "人", "位": "人"}
_DIGITS = "零一二三四五六七八九"
_SECTIONS = ("regions", "mechanisms", "instruments", "blockages", "laws", "pilots", "models", "practices")


@dataclass
class SeedFigure:
    owner: str
    name_zh: str
    index: int
    metric: str
    value: float
    original: str
    quotes: list[tuple[str, str]]  # (source id, quote)
    path: str
    line: int
    col: int

    @property
    def handle(self) -> str:
        return f"{self.owner}#{self.metric}"


@dataclass
class Finding:
    figure: SeedFigure
    file: str  # the source file that prints the number too
    line: int
    context: str  # the words around it there

    def issue(self, seed: str) -> Issue:
        f = self.figure
        return Issue(seed, f.line, f.col,
                     f"figure {f.handle} ({f.original}) is printed by {self.file}:{self.line} too "
                     f"(…{self.context}…), which its evidence does not cite: add that quote to the figure's evidence "
                     f"(kb figures --compare then sees the agreement), or list it under distinct_figures in the "
                     f"exclusions file with a reason", f.path)


def seed_figures(seed: str | Path) -> tuple[list[SeedFigure], dict[str, str]]:
    """Every figure of the seed's records and terms, and each source id's file (articles resolved)."""
    figures: list[SeedFigure] = []
    files: dict[str, str | None] = {}
    parents: dict[str, str] = {}
    for item in read_file(seed, str(seed)):
        d = item.data
        if not isinstance(d, dict):
            continue
        if item.section == "sources" and isinstance(d.get("id"), str):
            files[d["id"]] = d.get("file")
            if isinstance(d.get("part_of"), str):
                parents[d["id"]] = d["part_of"]
        if item.section not in _SECTIONS or not isinstance(d.get("figures"), list):
            continue
        for i, fig in enumerate(d["figures"]):
            if not isinstance(fig, dict):
                continue
            try:
                value = float(str(fig.get("value")).replace("_", ""))
            except ValueError:
                continue
            evidence = fig["evidence"] if isinstance(fig.get("evidence"), list) else []
            quotes = [(str(e.get("source")), e["quote"]) for e in evidence
                      if isinstance(e, dict) and isinstance(e.get("quote"), str)]
            line, col = item.locate(("figures", i, "original"))
            figures.append(SeedFigure(str(d.get("id")), str(d.get("name_zh") or ""), i, str(fig.get("metric")),
                                      value, str(fig.get("original") or ""), quotes,
                                      format_path(item.where, ("figures", i, "original")), line, col))
    resolved: dict[str, str] = {}
    for sid in files:
        cur, seen = sid, set()
        while not files.get(cur) and cur in parents and cur not in seen:
            seen.add(cur)
            cur = parents[cur]
        if files.get(cur):
            resolved[sid] = str(files[cur])
    return figures, resolved


def _chinese(n: int) -> str | None:
    """A whole number below 100 in Chinese numerals (九, 十二, 四十)."""
    if n < 10:
        return _DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")
    return None


def _measure(text: str, end: int) -> str:
    """The multiplier and measure word after a number (万余项 -> 万项; 75所 -> 家)."""
    m = re.match(r"([万亿萬億]*)[余餘多]?(.?)", text[end:end + 4])
    if m is None:  # pragma: no cover - the pattern matches any text
        return ""
    mult = m.group(1).replace("萬", "万").replace("億", "亿")
    return mult + _SAME_MEASURE.get(m.group(2), m.group(2))


def _printed(fig: SeedFigure) -> list[tuple[float, str, str]]:
    """(number as printed, its token, measure) for each number in ``original`` that stands for the value
    (scaled by a power of ten); the measure from the figure's quote where ``original`` is the bare number."""
    original = fold_quote(fig.original)
    out = []
    for m in _NUMBER_RE.finditer(original):
        printed = float(m.group().replace(",", ""))
        if printed == 0 or fig.value == 0:
            continue
        ratio = abs(fig.value / printed)
        if not math.isclose(ratio, 10.0 ** round(math.log10(ratio)), rel_tol=1e-9):
            continue
        measure = _measure(original, m.end())
        if not measure:
            for _, q in fig.quotes:
                fq = fold_quote(q)
                at = fq.find(original)
                if at >= 0 and original.endswith(m.group()):
                    measure = _measure(fq, at + len(original))
                    break
        if measure == "年" and 1900 <= printed <= 2100:
            continue  # a year, not a count
        out.append((printed, m.group(), measure))
    return out


def _pairs(text: str) -> set[str]:
    text = re.sub(r"[\d.,%％\s]", "", unicodedata.normalize("NFKC", text))
    return {text[i:i + 2] for i in range(len(text) - 1)}


def _context(text: str, start: int, end: int) -> tuple[set[str], set[str]]:
    """The character pairs just before and just after a number."""
    return _pairs(text[max(0, start - CONTEXT):start]), _pairs(text[end:end + CONTEXT])


def printed_elsewhere(figures: list[SeedFigure], files: dict[str, str], texts: dict[str, SourceText],
                      distinct: set[tuple[str, str]]) -> list[Finding]:
    """The figures another source file prints, uncited (see the module docstring); ``distinct`` holds the
    (OWNER#METRIC, file) pairs the exclusions file says are other figures."""
    out: list[Finding] = []
    for fig in figures:
        cited = {files.get(s) for s, _ in fig.quotes}
        for printed, token, measure in _printed(fig):
            forms = [re.escape(token)]
            chinese = _chinese(int(printed)) if printed.is_integer() else None
            if chinese:
                forms.append(chinese)
            pattern = re.compile(r"(?<![\d.])(?:" + "|".join(forms) + r")(?![\d]|\.\d|,\d{3})")
            own = [_context(fq, m.start(), m.end()) for fq in (fold_quote(q) for _, q in fig.quotes)
                   for m in pattern.finditer(fq)]
            for name, src in texts.items():
                if name in cited or (fig.handle, name) in distinct:
                    continue
                for m in pattern.finditer(src.folded):
                    if _measure(src.folded, m.end()) != measure:
                        continue
                    before, after = _context(src.folded, m.start(), m.end())
                    if max((len(before & b) + len(after & a) for b, a in own), default=0) >= SHARED:
                        if not any(f.figure is fig and f.file == name for f in out):
                            around = src.folded[max(0, m.start() - CONTEXT):m.end() + CONTEXT]
                            out.append(Finding(fig, name, src.line_of[m.start()], around))
                        break
    return out


def check(seed: str | Path, sources_dir: str | Path, exclusions: str | Path | None) -> list[Finding]:
    """The figures of ``seed`` that another file of ``sources_dir`` prints, uncited and not declared distinct.
    A ``distinct_figures`` entry naming no figure, no source file, or a number that file does not print
    (any more) near the figure's words, is an error (``SeedError``, every one located)."""
    figures, files = seed_figures(seed)
    texts = read_sources(sources_dir)
    entries = [e for e in (read_exclusions_and_issues(exclusions)[0] if exclusions else []) if e.unit == "figure"]
    handles = {f.handle for f in figures}
    issues: list[Issue] = []
    for e in entries:
        where = f"{e.path}.figure" if e.start not in handles else f"{e.path}.file"
        if e.start not in handles:
            issues.append(Issue(str(exclusions), e.line, e.col, f"no figure {e.start!r} in the seed (OWNER#METRIC)", where))
        elif e.file not in texts:
            issues.append(Issue(str(exclusions), e.line, e.col, f"no source file {e.file!r}", where))
    if issues:
        raise SeedError(issues)
    found = printed_elsewhere(figures, files, texts, set())
    distinct = {(e.start, e.file) for e in entries}
    for e in entries:
        if not any(f.figure.handle == e.start and f.file == e.file for f in found):
            issues.append(Issue(str(exclusions), e.line, e.col, f"{e.file} no longer prints a number like figure "
                                f"{e.start!r}: remove this entry", f"{e.path}.figure"))
    if issues:
        raise SeedError(issues)
    return [f for f in found if (f.figure.handle, f.file) not in distinct]
