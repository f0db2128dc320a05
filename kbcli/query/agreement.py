"""Figures across sources: what two or more sources report for one owner, metric and period.

``kb figures --compare`` lists every such comparison and ``kb show`` prints
those of one record; both call :func:`compare_figures`. Figures of one owner
and metric (in one unit) are compared when they come from different source
documents (an article counts as the document it is part of). Each comparison
has a status:

``corroborated``
    Same period, and the values are consistent given their qualifiers:
    3000多项 (over 3000) and 3449项 agree, as do 约15% and 15.3%. One figure
    whose own evidence quotes two documents printing it is corroborated too.
``conflicting``
    Same period, and no single value satisfies both figures.
``different-periods``
    The sources report the metric, but never for the same period.
``target-and-outcome``
    Same period, but one figure is a target and the other a reported value:
    neither confirms nor contradicts the other.

*Same period*: equal ``as_of``; or two dates of which one is a fuller form of
the other (2023 and 2023-05-27, a date known to different precision); or a
figure without ``as_of`` (the sources do not say, so it cannot be told apart).
An interval (``2018/2022``) matches only the same interval: a five-year total
is not the figure for its last year.

*Consistent*: each figure stands for a range of values, and the two ranges
meet. exact: the value give or take half a unit of the last digit printed
(1.77万亿 covers 1.765-1.775 万亿); approx (约, 近, 左右): within 10%, or the
printed precision if wider; over/min: the value or more; under/max: the value
or less (two caps, max and max, are compared as values); range: value to
value_max; target: compared only with another target, as a value.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence

from ..text import fmt_number
from .handles import figure_handles
from .kb import KB

STATUSES = ("corroborated", "conflicting", "different-periods", "target-and-outcome")
APPROX = 0.10  # how far "about v" may be from v
_NUMBER_RE = re.compile(r"\d[\d,]*(?:\.\d+)?")


# ------------------------------------------------------------------ periods
def same_period(a: str | None, b: str | None) -> bool:
    if not a or not b or a == b:
        return True
    if "/" in a or "/" in b:
        return False
    return a.startswith(b + "-") or b.startswith(a + "-")


# ------------------------------------------------------------------ values
def _printed_number(value: float, original: str) -> tuple[float, str] | None:
    """The number printed in ``original`` that stands for ``value`` (scaled by a power of ten:
    1.77 in 1.77万亿元 for 1770000000000), with its token as printed."""
    text = unicodedata.normalize("NFKC", original or "")
    for token in _NUMBER_RE.findall(text):
        printed = float(token.replace(",", ""))
        if printed == 0 or value == 0:
            if printed == value:
                return printed, token
            continue
        ratio = abs(value / printed)
        if math.isclose(ratio, 10.0 ** round(math.log10(ratio)), rel_tol=1e-9):
            return printed, token
    return None


def precision(value: float, original: str) -> float:
    """Half a unit of the last digit printed in ``original`` for ``value`` (0 when no printed
    number scales to the value by a power of ten: 1.77万亿 and 1770000000000 give 5e9)."""
    found = _printed_number(value, original)
    if found is None or found[0] == 0:
        return 0.0
    printed, token = found
    k = round(math.log10(abs(value / printed)))
    decimals = len(token.split(".", 1)[1]) if "." in token else 0
    return 0.5 * 10.0 ** (k - decimals)


def bounds(f: dict, other: dict) -> tuple[float, float]:
    """The range of values figure ``f`` allows, when compared with ``other``."""
    v, q = float(f["value"]), f.get("qualifier") or "exact"
    t = precision(v, f.get("original", "")) * (1 - 1e-9)  # 1 and 2 cover 0.5-1.5 and 1.5-2.5: they do not meet
    if q == "approx":
        a = max(t, abs(v) * APPROX)
        return v - a, v + a
    if q == "range" and f.get("value_max") is not None:
        return v - t, float(f["value_max"]) + t
    if q in ("over", "min") and not (q == "min" and other.get("qualifier") == "min"):
        return v, math.inf
    if q in ("under", "max") and not (q == "max" and other.get("qualifier") == "max"):
        return -math.inf, v
    return v - t, v + t


def consistent(a: dict, b: dict) -> bool:
    a0, a1 = bounds(a, b)
    b0, b1 = bounds(b, a)
    return a0 <= b1 and b0 <= a1


def describe(f: dict) -> str:
    """A figure's claim in words: 'over 3000', 'about 15', '10-30', '3449'."""
    v, q = fmt_number(f["value"]), f.get("qualifier") or "exact"
    words = {"approx": f"about {v}", "over": f"over {v}", "min": f"at least {v}", "under": f"under {v}",
             "max": f"at most {v}", "target": f"a target of {v}"}
    if q == "range":
        return f"{v}-{fmt_number(f.get('value_max'))}"
    return words.get(q, v)


# ------------------------------------------------------------------ sources
def root_of(kb: KB) -> Callable[[str], str]:
    """source id -> the document it is part of (itself for a document)."""
    def root(sid: str) -> str:
        seen = set()
        while sid in kb.sources and kb.sources[sid]["part_of"] and sid not in seen:
            seen.add(sid)
            sid = kb.sources[sid]["part_of"]
        return sid
    return root


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s or ""))


def reporting_sources(f: dict) -> list[str]:
    """The sources whose quotes print the figure: the number as ``original`` prints it (40 in
    40 家单位 and in 40家试点单位), or ``original`` itself when it has no digits (百余所). A quote
    that only dates or frames the figure does not report it; if none prints it, all count."""
    sources = list(dict.fromkeys(e["source"] for e in f.get("evidence", ())))
    found = _printed_number(float(f["value"]), f.get("original", ""))
    if found is not None:
        def prints(quote: str) -> bool:
            text = unicodedata.normalize("NFKC", quote)
            return any(float(t.replace(",", "")) == found[0] for t in _NUMBER_RE.findall(text))
    else:
        original = _squash(f.get("original", ""))

        def prints(quote: str) -> bool:
            return original in _squash(quote)
    reporting = [s for s in sources if any(e["source"] == s and prints(e["quote"]) for e in f["evidence"])]
    return reporting or sources


# ------------------------------------------------------------------ compare
def compare_figures(owner: str, figures: Sequence[dict], root: Callable[[str], str],
                    owner_kind: str | None = None, owner_name_en: str | None = None) -> list[dict]:
    """Every comparison among one owner's figures (output-contract figures, in seed order, each
    with its evidence), grouped by metric and unit, in the order the metrics first appear."""
    handles = figure_handles(owner, figures)
    groups: dict[tuple[str, str], list[int]] = {}
    for i, f in enumerate(figures):
        groups.setdefault((f["metric"], f["unit"]), []).append(i)
    roots = [{root(s) for s in reporting_sources(f)} for f in figures]
    out = []
    for (metric, unit), idx in groups.items():
        if len(set().union(*(roots[i] for i in idx))) < 2:
            continue
        found = []
        for cluster in _clusters(figures, idx):
            if len(set().union(*(roots[i] for i in cluster))) >= 2:
                found.append(_classify(figures, roots, cluster))
        if not found:
            found.append(("different-periods", idx, _periods_basis(figures, idx)))
        for status, members, basis in found:
            out.append(_row(owner, owner_kind, owner_name_en, metric, unit, status, basis,
                            [(handles[i], figures[i]) for i in members]))
    return out


def _clusters(figures: Sequence[dict], idx: list[int]) -> list[list[int]]:
    """Figures linked by 'same period', as connected groups, in seed order."""
    parent = {i: i for i in idx}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for n, i in enumerate(idx):
        for j in idx[n + 1:]:
            if same_period(figures[i].get("as_of"), figures[j].get("as_of")):
                parent[find(j)] = find(i)
    groups: dict[int, list[int]] = {}
    for i in idx:
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def _classify(figures: Sequence[dict], roots: list[set[str]], cluster: list[int]) -> tuple[str, list[int], str]:
    """(status, members, basis) of figures of one period from two or more documents."""
    agree: list[str] = []
    clash: list[str] = []
    target: list[str] = []
    for n, i in enumerate(cluster):
        a = figures[i]
        if len(roots[i]) >= 2:
            agree.append(f"{describe(a)} is printed by {' and '.join(reporting_sources(a))}")
        for j in cluster[n + 1:]:
            b = figures[j]
            if roots[i] == roots[j] or not same_period(a.get("as_of"), b.get("as_of")):
                continue  # one document's own figures, or two dates a shared coarser one links
            pair = f"{describe(a)} ({_src(a)}) and {describe(b)} ({_src(b)})"
            if (a.get("qualifier") == "target") != (b.get("qualifier") == "target"):
                target.append(pair)
            elif consistent(a, b):
                agree.append(f"{pair} are consistent")
            else:
                clash.append(f"{pair} cannot both hold")
    if clash:
        return "conflicting", cluster, "; ".join(clash + agree)
    if agree:
        return "corroborated", cluster, "; ".join(agree)
    if target:
        return "target-and-outcome", cluster, "; ".join(f"{p}: a target and a reported value" for p in target)
    return "different-periods", cluster, _periods_basis(figures, cluster)  # linked only through a coarser date


def _src(f: dict) -> str:
    return ", ".join(reporting_sources(f))


def _periods_basis(figures: Sequence[dict], idx: list[int]) -> str:
    by_source: dict[str, list[str]] = {}
    for i in idx:
        for s in reporting_sources(figures[i]):
            by_source.setdefault(s, []).append(figures[i].get("as_of") or "no date")
    return "reported for " + "; ".join(f"{', '.join(dict.fromkeys(w))} by {s}" for s, w in by_source.items())


def _row(owner: str, owner_kind: str | None, owner_name_en: str | None, metric: str, unit: str, status: str,
         basis: str, members: Iterable[tuple[str, dict]]) -> dict:
    figs = [{"handle": h, **_figure(f)} for h, f in members]
    sources = list(dict.fromkeys(s for f in figs for s in f["sources"]))
    return {"owner": owner, "owner_kind": owner_kind, "owner_name_en": owner_name_en, "metric": metric,
            "label_en": next((f["label_en"] for f in figs if f.get("label_en")), None), "unit": unit,
            "status": status, "as_of": list(dict.fromkeys(f.get("as_of") for f in figs)),
            "basis": basis, "sources": sources,
            "restricted": any(e.get("restricted") for f in figs for e in f["evidence"]), "figures": figs}


def _figure(f: dict) -> dict:
    keys = ("metric", "label_en", "value", "value_max", "unit", "qualifier", "as_of", "original", "note")
    out = {k: f.get(k) for k in keys if k != "note" or f.get("note")}
    out["sources"] = list(dict.fromkeys(e["source"] for e in f.get("evidence", ())))
    out["reported_by"] = reporting_sources(f)  # the sources whose quotes print the number
    out["evidence"] = f.get("evidence", [])
    return out


def compare(kb: KB, rows: list[dict]) -> list[dict]:
    """The comparisons among the figures ``rows`` (as ``listing.figures`` returns them) belong to:
    each owner's full figures are compared, and a comparison is kept when it touches a row."""
    root = root_of(kb)
    wanted: dict[str, set[tuple[str, str]]] = {}
    roots: dict[tuple[str, str, str], set[str]] = {}
    for r in rows:
        wanted.setdefault(r["owner"], set()).add((r["metric"], r["unit"]))
        roots.setdefault((r["owner"], r["metric"], r["unit"]), set()).update(root(s) for s in r["sources"])
    candidates = {o for (o, _, _), rs in roots.items() if len(rs) >= 2}
    out: list[dict] = []
    for owner, metrics in wanted.items():  # in the rows' order
        if owner not in candidates:
            continue
        kind, name, figures = _owner_figures(kb, owner)
        out.extend(c for c in compare_figures(owner, figures, root, kind, name) if (c["metric"], c["unit"]) in metrics)
    return out


def _owner_figures(kb: KB, owner: str) -> tuple[str, str | None, list[dict]]:
    rec = kb.get_record(owner)
    if rec is not None:
        return rec["kind"], rec["name_en"], rec["figures"]
    term = kb.terms[owner]
    return "term", term["name_en"], [kb.figure(f) for f in kb.term_doc(owner).get("figures", ())]
