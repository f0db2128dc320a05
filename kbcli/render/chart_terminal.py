"""``kb chart`` in the terminal: the title and unit, the plotext canvas (or, for a heat map, a grid of
counts that fits the terminal's width), every value as a line of text, the sources and notes.

plotext is imported here only, inside the function that draws, so no other command pays for it.
It is held below 6: plotext 6 is a rewrite (beta in 2026, a compiled kernel, a new API and six
times the import time), and 5.3 draws what is needed here. plotext 5 measures Chinese characters
as one column, so everything it draws is ASCII (ids, years); titles, units, values, sources and
notes are printed around its canvas, measured in display cells. No value is read off the canvas
alone: every point is listed under the chart with its qualifier, the wording as printed and its source.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from ..text import clean
from .cells import width as display_width
from .chart_words import Scale, bars, notes, point_label, series_scale, source_lines, title_lines, value_words, year_x


def terminal_width(out: TextIO) -> int:
    try:
        if out.isatty():
            return max(os.get_terminal_size(out.fileno()).columns, 30)
    except (AttributeError, ValueError, OSError):
        pass
    try:
        return max(int(os.environ.get("COLUMNS", "")), 30)
    except ValueError:
        return 80


def print_terminal(data: dict, out: TextIO | None = None, width: int | None = None, colour: bool | None = None) -> None:
    """The chart as text: title, the plotext canvas (or the heat-map grid), every value, sources, notes."""
    out = out or sys.stdout
    width = width or terminal_width(out)
    if colour is None:
        colour = _is_tty(out) and os.environ.get("NO_COLOR") is None
    title, sub = title_lines(data)
    lines = [title, sub] if sub else [title]
    if data["chart"] == "heatmap":
        body = _heatmap_text(data, width)
        scale = None
    elif not data["series"]:
        body = ["(no figures to draw)"]
        scale = None
    else:
        scale = series_scale(data)
        lines.append(f"unit: {scale.words}")
        body = _plotext_canvas(data, scale, width, colour).rstrip("\n").split("\n")
        body += ["", "values:"] + [clean(x) for x in _value_lines(data, scale)]
    text_lines = [clean(x) for x in lines]
    foot = [clean(x) for x in [*notes(data, scale), *source_lines(data)]]
    for line in text_lines:
        out.write(line + "\n")
    for line in body:
        out.write(line + "\n")
    for line in foot:
        out.write(line + "\n")


def _is_tty(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False


def _value_lines(data: dict, scale: Scale) -> list[str]:
    out = []
    pairs = bars(data) if data["chart"] == "regions" else [(s, p) for s in data["series"] for p in s["points"]]
    for s, p in pairs:
        label = point_label(p, s, data["chart"])
        who = "" if data["chart"] == "time" and len(data["series"]) == 1 else f"{s['owner']} "
        out.append(f"  {who}{label}: {value_words(p, scale)} {scale.words}; printed {p['original']}; "
                   f"{', '.join(p['sources'])}")
    return out


def _plotext_canvas(data: dict, scale: Scale, width: int, colour: bool) -> str:
    import plotext as plt

    plt.clear_figure()
    top = max(max(p["value"], p.get("value_max") or 0) for s in data["series"] for p in s["points"]) / scale.factor
    if data["chart"] == "time":
        height = 16 if width >= 60 else 12
        years: set[int] = set()
        for s in data["series"]:
            xs = [year_x(p["as_of"]) for p in s["points"]]
            ys = [p["value"] / scale.factor for p in s["points"]]
            years |= {int(x) for x in xs}
            label = clean(s["owner"], keep_newlines=False) if len(data["series"]) > 1 else None
            plt.plot(xs, ys, marker="braille", label=label)
            plt.scatter(xs, ys, marker="o")
        ticks = sorted(years)
        if len(ticks) > max(2, (width - 8) // 6):  # keep year labels apart on narrow terminals
            step = -(-len(ticks) // max(2, (width - 8) // 6))
            ticks = ticks[::step]
        plt.xticks([t + 0.5 for t in ticks], [str(t) for t in ticks])
        plt.xlim(min(years), max(years) + 1)
        plt.ylim(0, top * 1.1 or 1)
    else:
        labels, vals = [], []
        for s, p in bars(data):  # ASCII labels: plotext 5 counts a Chinese character as one column
            where = "/".join(r["id"] for r in s.get("regions") or []) or s["owner"]
            labels.append(clean(f"{where} {p['as_of']}" if p.get("as_of") else where, keep_newlines=False))
            vals.append(p["value"] / scale.factor)
        height = min(max(2 * len(vals) + 4, 8), 40)
        # plotext puts the first bar at the bottom: give it the smallest, so the largest stands on top
        plt.bar(labels[::-1], vals[::-1], orientation="horizontal", width=0.6)
        plt.xlim(0, top * 1.05 or 1)
    plt.plotsize(width, height)
    if not colour:
        plt.theme("clear")
    text = plt.build()
    if not colour:
        text = plt.uncolorize(text)
    return text


def _heatmap_text(data: dict, width: int) -> list[str]:
    """The crosstab as a grid that fits ``width``: columns numbered (their key below), split into blocks."""
    rows, cols, values = data["rows"], data["cols"], data["values"]
    if not rows or not cols:
        return ["(no records to count)"]
    top = max((v for r in values for v in r), default=0)
    shades = " ░▒▓█"
    cell = max(len(str(top)), len(str(len(cols)))) + 2
    label_w = max(display_width(r["id"]) for r in rows)
    per_block = max(1, (width - label_w - 1) // cell)
    out = []
    for start in range(0, len(cols), per_block):
        block = range(start, min(start + per_block, len(cols)))
        out.append(" " * label_w + " " + "".join(str(j + 1).rjust(cell) for j in block))
        for r, vals in zip(rows, values):
            cells = []
            for j in block:
                v = vals[j]
                shade = shades[min(len(shades) - 1, -(-v * (len(shades) - 1) // top))] if v and top else " "
                cells.append((shade + str(v) if v else "·").rjust(cell))
            out.append(r["id"] + " " * (label_w - display_width(r["id"])) + " " + "".join(cells))
        out.append("")
    out.append(f"{data['col_dim']}s (columns):")
    out += [f"  {j + 1}. {c['id']}" + (f" {c['name_zh']}" if c.get("name_zh") else "") for j, c in enumerate(cols)]
    out.append(f"shading: ░ ▒ ▓ █ quarter steps of the largest count ({top})")
    return out
