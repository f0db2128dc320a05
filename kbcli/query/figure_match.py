"""Figures found by what a user types: a value as printed (``26.5%``, ``1100亿元``, ``4.78万亿``, ``5000000``),
a figure's label (``Share of universities … technology-transfer office``) or its wording as printed
(``發明專利產業化率``), for ``kb search``. Records find their figures' quotes through the full-text
index; this adds what the index does not hold: values, and the figures of vocabulary terms."""

from __future__ import annotations

import re

from ..text import fmt_number, fold, loose
from .kb import KB

_MAGNITUDE = {"千": 1e3, "万": 1e4, "十万": 1e5, "百万": 1e6, "千万": 1e7, "亿": 1e8, "十亿": 1e9, "百亿": 1e10,
              "千亿": 1e11, "万亿": 1e12, "k": 1e3, "thousand": 1e3, "million": 1e6, "m": 1e6, "billion": 1e9,
              "bn": 1e9, "trillion": 1e12}
_VALUE = re.compile(r"^\s*([-+]?\d[\d,]*(?:\.\d+)?)\s*(万亿|十亿|百亿|千亿|十万|百万|千万|千|万|亿|thousand|million|"
                    r"billion|trillion|bn|k|m)?\s*(%|％|percent|元|欧元|美元|yuan|rmb|人|家|项|个|所|件|名|次|年|倍)?\s*$",
                    re.IGNORECASE)


def parse_value(text: str) -> tuple[list[float], str | None, str] | None:
    """A value as typed: the values it may stand for (in base units), its unit when it says one (percent,
    money) and its digits as typed; None when the text is not a value."""
    m = _VALUE.match(text)
    if not m:
        return None
    digits = m.group(1).replace(",", "")
    n = float(digits)
    mag = _MAGNITUDE.get((m.group(2) or "").lower(), 1.0)
    unit = m.group(3) or ""
    unit_id = "percent" if unit in ("%", "％", "percent") else "yuan" if unit.lower() in ("元", "yuan", "rmb") else None
    values = sorted({n * mag, n}) if mag != 1.0 else [n]
    return values, unit_id, digits


def figure_matches(kb: KB, text: str, limit: int = 200) -> dict[str, list[dict]]:
    """The figures ``text`` names, by owner (a record or a term): by value as printed, and, for terms (whose
    texts the index does not hold), by label, wording or quote. Each as {metric, label_en, original, as_of}."""
    out: dict[str, list[dict]] = {}
    value = parse_value(text)
    if value is not None:
        values, unit, digits = value
        marks = ",".join("?" * len(values))
        for owner, metric, label, original, as_of, v, vmax, u in kb.conn.execute(
                f"SELECT owner, metric, label_en, original, as_of, value, value_max, unit FROM figures "
                f"WHERE value IN ({marks}) OR value_max IN ({marks}) LIMIT ?", [*values, *values, limit]):
            if unit and u != unit:
                continue
            printed = {fmt_number(v), fmt_number(vmax) if vmax is not None else ""}
            if digits in printed or digits in (original or "") or unit:
                out.setdefault(owner, []).append({"metric": metric, "label_en": label, "original": original,
                                                  "as_of": as_of})
        return out
    key, squeezed = loose(text), re.sub(r"\s+", "", fold(text))
    if len(key) < 2:
        return out
    for owner, metric, label, original, as_of, quotes in term_figures(kb):
        if key in loose(label or "") or squeezed in fold(original or "").replace(" ", "") or (
                len(squeezed) >= 4 and squeezed in quotes):
            out.setdefault(owner, []).append({"metric": metric, "label_en": label, "original": original,
                                              "as_of": as_of})
    return out


def term_figures(kb: KB) -> list[tuple]:
    """Every figure of a vocabulary term, with its quotes folded (cached: a vocabulary does not grow)."""
    cache = kb.__dict__.get("_term_figures")
    if cache is None:
        quotes: dict[tuple[str, str], str] = {}
        for term, part, quote in kb.conn.execute(
                "SELECT term, part, quote FROM evidence WHERE term IS NOT NULL AND part LIKE 'figures%'"):
            quotes[(term, part)] = quotes.get((term, part), "") + re.sub(r"\s+", "", fold(quote))
        cache = [(owner, metric, label, original, as_of, quotes.get((owner, f"figures[{idx}]"), ""))
                 for owner, idx, metric, label, original, as_of in kb.conn.execute(
                     "SELECT owner, idx, metric, label_en, original, as_of FROM figures WHERE owner_kind = 'term' "
                     "ORDER BY owner, idx")]
        kb.__dict__["_term_figures"] = cache
    return cache
