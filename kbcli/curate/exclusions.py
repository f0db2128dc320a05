"""The exclusions file of ``kb coverage`` (``data/coverage-exclusions.yaml``): source paragraphs and
sentences out of scope (``exclusions``), and numbers another source prints that are not a seed
figure (``distinct_figures``), each with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import Issue, SeedError
from ..seed.reader import format_path, read_file


@dataclass
class Exclusion:
    file: str
    start: str
    end: str | None
    reason: str
    line: int
    col: int
    path: str
    unit: str = "paragraph"  # or "sentence", or "figure" (distinct_figures: start is OWNER#METRIC)


def read_exclusions(path: str | Path) -> list[Exclusion]:
    found, issues = read_exclusions_and_issues(path)
    if issues:
        raise SeedError(issues)
    return found


def read_exclusions_and_issues(path: str | Path) -> tuple[list[Exclusion], list[Issue]]:
    """The well-formed exclusions, and the problems of the others."""
    label = str(path)
    issues: list[Issue] = []
    out: list[Exclusion] = []
    for item in read_file(path, label, what="the exclusions"):
        if item.section not in ("exclusions", "distinct_figures") or item.index is None:
            issues.append(Issue(label, item.line, item.col, "expected a list 'exclusions' of {file, from, to, "
                                "reason} (and 'distinct_figures' of {figure, file, reason})", item.where))
            continue
        d = item.data
        if not isinstance(d, dict):
            issues.append(Issue(label, item.line, item.col, "an exclusion must be a mapping", item.where))
            continue
        if item.section == "distinct_figures":
            _distinct_figure(item, label, issues, out)
            continue
        for key in d:
            if key not in ("file", "from", "sentence", "to", "reason"):
                line, col = item.locate((key,), key=True)
                issues.append(Issue(label, line, col, f"unknown field {key!r}",
                                    format_path(item.where, (key,))))
        first = "sentence" if "sentence" in d else "from"
        if "sentence" in d and "from" in d:
            line, col = item.locate(("sentence",), key=True)
            issues.append(Issue(label, line, col, "give either 'from' (paragraphs) or 'sentence' (sentences), "
                                "not both", format_path(item.where, ("sentence",))))
        for key in ("file", first, "reason"):
            if not isinstance(d.get(key), str) or not d[key].strip():
                line, col = item.locate((key,))
                issues.append(Issue(label, line, col, f"needs a non-empty {key!r}",
                                    format_path(item.where, (key,))))
        if isinstance(d.get("file"), str) and isinstance(d.get(first), str) and isinstance(
                d.get("reason"), str) and d["reason"].strip():
            out.append(Exclusion(d["file"], d[first], d.get("to") if isinstance(d.get("to"), str) else None,
                                 d["reason"], item.line, item.col, item.where,
                                 "sentence" if first == "sentence" else "paragraph"))
    return out, issues


def _distinct_figure(item, label: str, issues: list[Issue], out: list[Exclusion]) -> None:
    """``distinct_figures``: a number another source prints that is not the figure (``kbcli.curate.figures``)."""
    d = item.data
    for key in d:
        if key not in ("figure", "file", "reason"):
            line, col = item.locate((key,), key=True)
            issues.append(Issue(label, line, col, f"unknown field {key!r}", format_path(item.where, (key,))))
    ok = True
    for key in ("figure", "file", "reason"):
        if not isinstance(d.get(key), str) or not d[key].strip():
            line, col = item.locate((key,))
            issues.append(Issue(label, line, col, f"needs a non-empty {key!r}", format_path(item.where, (key,))))
            ok = False
    if ok:
        out.append(Exclusion(d["file"], d["figure"], None, d["reason"], item.line, item.col, item.where, "figure"))


