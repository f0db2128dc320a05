"""Drawing the charts of ``kbcli.query.chart``: in the terminal with plotext, to SVG or PNG with matplotlib.

Both are imported here only, inside the functions that draw, so no other
command pays for them. plotext is held below 6: plotext 6 is a rewrite (beta
in 2026, a compiled kernel, a new API and six times the import time), and 5.3
draws what is needed here. plotext 5 measures Chinese characters as one
column, so everything it draws is ASCII (ids, years); titles, units, values,
sources and notes are printed around its canvas by this module, which measures
wide characters properly. No value is read off the canvas alone: every point is
listed under the chart with its qualifier, the wording as printed and its source.

matplotlib comes with the optional extra ``kbcli[plot]``. It needs a font with
Chinese glyphs: ``find_cjk_font`` looks for one (``KB_FONT`` names a font file
or family to use instead) and says what to install when there is none.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from dataclasses import dataclass
from typing import Any, TextIO

from ..errors import KbError, UsageError
from ..text import clean
from .output import Column, join_list, json_dumps

QUALIFIER_WORDS = {"exact": "", "over": "over", "min": "at least", "max": "at most", "approx": "about",
                   "under": "under", "target": "target", "range": "range"}
# money is scaled to the units Chinese sources print; both languages say what the unit is
YUAN_SCALES = [(10**12, "万亿元", "trillion yuan"), (10**8, "亿元", "100 million yuan"),
               (10**4, "万元", "10,000 yuan"), (1, "元", "yuan")]
UNIT_ZH = {"yuan": "元", "percent": "%", "contract": "项", "enterprise": "家", "person": "人", "project": "项",
           "institution": "家", "result": "项", "event": "场", "rank": "位"}
CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
             "Microsoft YaHei", "SimHei", "PingFang SC", "Hiragino Sans GB", "Heiti SC", "Noto Sans CJK TC",
             "Noto Sans CJK JP", "Source Han Sans CN", "Droid Sans Fallback", "Arial Unicode MS")
FONT_HINT = ("no font with Chinese glyphs was found, so Chinese text will show as empty boxes; install one "
             "(Debian/Ubuntu: sudo apt-get install fonts-noto-cjk; Fedora: sudo dnf install "
             "google-noto-sans-cjk-fonts; macOS and Windows have one already) or set KB_FONT to a font file")
SUFFIXES = (".svg", ".png")
WIDTH_IN, DPI = 10.0, 120  # file charts are 1200 px wide


@dataclass(frozen=True)
class Scale:
    factor: int
    zh: str
    en: str

    @property
    def words(self) -> str:
        """The unit in words, both languages: ``万亿元 (trillion yuan)``."""
        if not self.zh or self.zh == self.en:
            return self.en
        return f"{self.zh} ({self.en})"


def scale_for(unit: str | None, values: list[float]) -> Scale:
    top = max((abs(v) for v in values), default=0)
    if unit == "yuan":
        for factor, zh, en in YUAN_SCALES:
            if top >= factor:
                return Scale(factor, zh, en)
        return Scale(1, "元", "yuan")
    if unit == "percent":
        return Scale(1, "%", "percent")
    en = unit or ""
    if en and not en.endswith("s") and en not in ("times", "rank"):
        en += "s"
    return Scale(1, UNIT_ZH.get(unit or "", ""), en)


def number(v: float, scale: Scale) -> str:
    x = v / scale.factor
    s = f"{x:,.2f}".rstrip("0").rstrip(".")
    return s if s not in ("", "-0") else "0"


def value_words(p: dict, scale: Scale) -> str:
    """``over 1,000``, ``target 1,100``, ``1.2–1.5``: the value as plotted, with its qualifier in words."""
    v = number(p["value"], scale)
    if p.get("value_max") is not None:
        v += "–" + number(p["value_max"], scale)
    q = QUALIFIER_WORDS.get(p.get("qualifier") or "exact", p.get("qualifier") or "")
    if q == "range":
        q = ""
    return f"{q} {v}".strip()


def _display_width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def wrap_display(s: str, width: int) -> list[str]:
    """Wrap text to ``width`` columns, counting Chinese characters as two, breaking Chinese anywhere."""
    out: list[str] = []
    for para in s.split("\n"):
        line, w = "", 0
        for word in _tokens(para):
            ww = _display_width(word)
            if w + ww > width and line.strip():
                out.append(line.rstrip())
                line, w = "", 0
                if word == " ":
                    continue
            line += word
            w += ww
        out.append(line.rstrip())
    return out


def _tokens(s: str) -> list[str]:
    """Latin words stay whole; every wide character and every space is a token of its own."""
    toks: list[str] = []
    cur = ""
    for ch in s:
        if ch == " " or unicodedata.east_asian_width(ch) in "WF":
            if cur:
                toks.append(cur)
                cur = ""
            toks.append(ch)
        else:
            cur += ch
    if cur:
        toks.append(cur)
    return toks


# ------------------------------------------------------------------ text around the picture
def owner_line(s: dict) -> str:
    regions = ", ".join(f"{r['name_zh']} {r['name_en']}" for r in s.get("regions") or [])
    name = " · ".join(x for x in (s.get("name_zh"), s.get("name_en")) if x)
    return f"{s['owner']}: {name}" + (f" ({regions})" if regions else "")


def point_label(p: dict, s: dict, chart: str) -> str:
    if chart == "regions":
        regions = "/".join(r["name_zh"] or r["id"] for r in s.get("regions") or []) or s["owner"]
        return f"{regions} {p['as_of']}" if p.get("as_of") else regions
    return p.get("as_of") or ""


def source_lines(data: dict) -> list[str]:
    """``Sources: id 《title》 (what it gives)`` and, for a source that asks not to be cited, the note."""
    used: dict[str, list[str]] = {}
    for s in data.get("series", ()):
        for p in s["points"]:
            for sid in p["sources"]:
                used.setdefault(sid, []).append(point_label(p, s, data["chart"]) or s["owner"])
    parts = []
    for src in data["sources"]:
        what = used.get(src["id"])
        title = f" 《{src['title']}》" if src.get("title") else ""
        parts.append(f"{src['id']}{title}" + (f" ({', '.join(dict.fromkeys(what))})" if what else ""))
    lines = ["Sources: " + "; ".join(parts)] if parts else []
    for src in data["sources"]:
        if src.get("restricted"):
            lines.append(f"Do not cite: {src['id']} asks not to be cited ({src['citation_note']}).")
    return lines


def title_lines(data: dict) -> tuple[str, str]:
    if data["chart"] == "heatmap":
        return (f"Records by {data['row_dim']} and {data['col_dim']}",
                "Each cell counts the records tagged with both; a record with several tags counts in each cell.")
    if data["chart"] == "time":
        sub = "; ".join(owner_line(s) for s in data["series"])
    else:
        sub = "A bar per figure, largest first, labelled with its place and date; a light bar is a total over a period."
    return f"{data['label_en']} ({data['metric']})", sub


def notes(data: dict, scale: Scale | None) -> list[str]:
    out = []
    for x in data.get("left_out", ()):
        out.append(f"Left out: {x['owner']} {x['as_of'] or '(no date)'} {x['original']} — {x['reason']}.")
    if scale and any(p.get("qualifier") == "target" for s in data.get("series", ()) for p in s["points"]):
        out.append("A target is a goal set, not a result reached.")
    return out


def bars(data: dict) -> list[tuple[dict, dict]]:
    """(series, point) of a regions chart, largest value first."""
    return sorted(((s, p) for s in data["series"] for p in s["points"]), key=lambda sp: -sp[1]["value"])


def _series_scale(data: dict) -> Scale:
    vals = [p["value"] for s in data["series"] for p in s["points"]]
    vals += [p["value_max"] for s in data["series"] for p in s["points"] if p.get("value_max") is not None]
    return scale_for(data.get("unit"), vals)


# ------------------------------------------------------------------ rows for the data formats
CHART_COLUMNS = [Column("label"), Column("owner"), Column("as_of"), Column("value", numeric=True),
                 Column("value_max", numeric=True), Column("unit"), Column("qualifier"),
                 Column("original"), Column("regions", flatten=lambda v: "; ".join(r["id"] for r in v or [])),
                 Column("sources", flatten=join_list), Column("restricted")]


def chart_rows(data: dict) -> tuple[list[dict], list[Column]]:
    if data["chart"] == "heatmap":
        cols = [c["id"] for c in data["cols"]]
        rows = []
        for r, vals, total in zip(data["rows"], data["values"], data["totals"]):
            rows.append({data["row_dim"]: r["id"], "name_zh": r["name_zh"], **dict(zip(cols, vals)), "total": total})
        columns = [Column(data["row_dim"]), Column("name_zh")] + [Column(c, numeric=True) for c in cols] + \
                  [Column("total", numeric=True)]
        return rows, columns
    rows = []
    for s in data["series"]:
        for p in s["points"]:
            rows.append({"label": point_label(p, s, data["chart"]), "owner": s["owner"], "unit": data["unit"],
                         "regions": s.get("regions"), **p})
    return rows, CHART_COLUMNS


# ------------------------------------------------------------------ terminal
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
        scale = _series_scale(data)
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


def _x(as_of: str) -> float:
    parts = as_of.split("-")
    year = int(parts[0])
    if len(parts) >= 2:
        return year + (int(parts[1]) - 0.5) / 12
    return year + 0.5


def _plotext_canvas(data: dict, scale: Scale, width: int, colour: bool) -> str:
    import plotext as plt

    plt.clear_figure()
    top = max(max(p["value"], p.get("value_max") or 0) for s in data["series"] for p in s["points"]) / scale.factor
    if data["chart"] == "time":
        height = 16 if width >= 60 else 12
        years: set[int] = set()
        for s in data["series"]:
            xs = [_x(p["as_of"]) for p in s["points"]]
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
    label_w = max(_display_width(r["id"]) for r in rows)
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
            out.append(r["id"] + " " * (label_w - _display_width(r["id"])) + " " + "".join(cells))
        out.append("")
    out.append(f"{data['col_dim']}s (columns):")
    out += [f"  {j + 1}. {c['id']}" + (f" {c['name_zh']}" if c.get("name_zh") else "") for j, c in enumerate(cols)]
    out.append(f"shading: ░ ▒ ▓ █ quarter steps of the largest count ({top})")
    return out


# ------------------------------------------------------------------ files (matplotlib, the plot extra)
def find_cjk_font() -> tuple[str | None, str | None]:
    """(family, file) of a font with Chinese glyphs: KB_FONT first, then the usual families."""
    from matplotlib import font_manager

    wanted = os.environ.get("KB_FONT")
    if wanted:
        if os.path.isfile(wanted):
            font_manager.fontManager.addfont(wanted)
            return font_manager.FontProperties(fname=wanted).get_name(), wanted
        hit = [f for f in font_manager.fontManager.ttflist if f.name == wanted]
        if not hit:
            raise UsageError(f"KB_FONT={wanted!r} is neither a font file nor an installed font family")
        return wanted, hit[0].fname
    by_name: dict[str, str] = {}
    for f in font_manager.fontManager.ttflist:
        if f.name not in by_name or ("Regular" in f.fname and "Regular" not in by_name[f.name]):
            by_name[f.name] = f.fname
    for name in CJK_FONTS:
        if name in by_name:
            return name, by_name[name]
    return None, None


def _load_matplotlib():
    try:
        import matplotlib
    except ImportError:
        raise KbError("charts as .svg or .png need matplotlib: pip install 'kbcli[plot]' "
                      "(or pip install matplotlib)") from None
    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    return Figure


def save_chart(data: dict, path: str) -> dict:
    """Draw the chart to ``path`` (.svg or .png); returns ``{path, format, font, font_file, width, height}``."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in SUFFIXES:
        raise UsageError(f"--output {path}: name a file ending in .svg or .png")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"--output {path}: folder {parent} does not exist")
    from ..paths import guard_output

    guard_output(path, "--output")
    if os.path.isdir(path):
        raise UsageError(f"cannot write --output {path}: it is a directory")
    figure_cls = _load_matplotlib()
    font, font_file = find_cjk_font()
    rc: Any = {"font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"], "axes.unicode_minus": False,
          "svg.fonttype": "path"}
    import warnings

    import matplotlib

    with matplotlib.rc_context(rc), warnings.catch_warnings():
        if not font:  # said once on stderr (FONT_HINT), not once per missing glyph
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig = _draw(figure_cls, data)
        w, h = fig.get_size_inches()
        import tempfile

        fd, tmp = tempfile.mkstemp(dir=parent, prefix=".kb-chart-", suffix=suffix)
        os.close(fd)
        try:
            fig.savefig(tmp, dpi=DPI, format=suffix[1:], metadata={"Software": None} if suffix == ".png" else None)
            from .graphs import _umask

            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return {"path": path, "format": suffix[1:], "font": font, "font_file": font_file,
            "width": round(w * DPI), "height": round(h * DPI)}


def _wrap_units(width_in: float, size: float) -> int:
    """How many half-width characters of ``size`` points fit across ``width_in`` inches (with a margin)."""
    return int((width_in - 0.5) * 72 / (size * 0.56))


def _draw(figure_cls, data: dict):
    """The figure, laid out by measuring: the axes get the room their tick labels and value labels take,
    the title and the footer (notes, sources, the do-not-cite note) are wrapped to the width, none clipped."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    chart = data["chart"]
    scale = _series_scale(data) if chart != "heatmap" and data.get("series") else None
    if chart == "heatmap":
        axes_w, axes_h = 0.36 * max(len(data["cols"]), 1), 0.3 * max(len(data["rows"]), 1)
    elif chart == "regions":
        axes_w, axes_h = None, 0.42 * max(sum(len(s["points"]) for s in data["series"]), 1) + 0.3
    else:
        axes_w, axes_h = None, 4.4
    fig = figure_cls(figsize=(WIDTH_IN, 6), dpi=DPI)
    fig.patch.set_facecolor("white")
    ax = fig.add_axes((0.3, 0.3, 0.4, 0.4))
    colourbar = None
    if chart == "heatmap":
        colourbar = _draw_heatmap(ax, data)
    elif not data["series"]:
        ax.text(0.5, 0.5, "no figures to draw", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    elif chart == "time" and scale is not None:
        _draw_time(ax, data, scale)
    elif scale is not None:
        _draw_regions(ax, data, scale)
    renderer = FigureCanvasAgg(fig).get_renderer()
    tight, box = ax.get_tightbbox(renderer), ax.get_window_extent(renderer)
    pad_l = (box.x0 - tight.x0) / DPI + 0.25
    pad_r = max((tight.x1 - box.x1) / DPI, 0) + 0.3 + (1.0 if colourbar is not None else 0)
    pad_b = (box.y0 - tight.y0) / DPI + 0.2
    pad_t = max((tight.y1 - box.y1) / DPI, 0) + 0.15
    width = WIDTH_IN if axes_w is None else max(WIDTH_IN, pad_l + axes_w + pad_r)
    if axes_w is None:
        axes_w = width - pad_l - pad_r
    title, sub = title_lines(data)
    head = [(line, 13, "bold") for line in wrap_display(clean(title), _wrap_units(width, 13 * 1.1))]
    head += [(line, 10, "normal") for line in (wrap_display(clean(sub), _wrap_units(width, 10)) if sub else [])]
    extra = []
    if chart == "time" and any(_x(b["as_of"]) - _x(a["as_of"]) > 1.01 for s in data["series"]
                               for a, b in zip(s["points"], s["points"][1:])):
        extra.append("A dashed line joins figures with years between them for which the sources give none.")
    foot = []
    for line in [*extra, *notes(data, scale), *source_lines(data)]:
        foot += wrap_display(clean(line), _wrap_units(width, 8.5))
    head_h = 0.2 + sum(size / 72 * 1.45 for _, size, _ in head)
    foot_h = 0.2 + 0.17 * len(foot)
    height = head_h + pad_t + axes_h + pad_b + foot_h
    width, height = round(width * DPI) / DPI, round(height * DPI) / DPI  # whole pixels
    fig.set_size_inches(width, height)
    ax.set_position((pad_l / width, (foot_h + pad_b) / height, axes_w / width, axes_h / height))
    if colourbar is not None:
        bar_h = min(axes_h, 3.0)
        colourbar.ax.set_position(((pad_l + axes_w + 0.25) / width, (foot_h + pad_b + axes_h - bar_h) / height,
                                   0.18 / width, bar_h / height))
    y = height - 0.15
    for line, size, weight in head:
        fig.text(0.25 / width, y / height, line, fontsize=size, weight=weight, va="top",
                 color="#111111" if weight == "bold" else "#333333")
        y -= size / 72 * 1.45
    for i, line in enumerate(foot):
        colour = "#b00020" if line.startswith("Do not cite") or (i and foot[i - 1].startswith("Do not cite")
                                                                   and not line.startswith("Sources")) else "#333333"
        fig.text(0.25 / width, (0.15 + 0.17 * (len(foot) - 1 - i)) / height, line, fontsize=8.5, va="bottom",
                 color=colour)
    return fig


def _draw_time(ax, data: dict, scale: Scale) -> None:
    colours = ["#1f5fa8", "#c0504d", "#4f8a3c", "#8064a2", "#d08a1c", "#2a9d8f"]
    years: set[int] = set()
    top = 0.0
    for k, s in enumerate(data["series"]):
        colour = colours[k % len(colours)]
        xs = [_x(p["as_of"]) for p in s["points"]]
        ys = [p["value"] / scale.factor for p in s["points"]]
        years |= {int(x) for x in xs}
        top = max([top, *ys])
        for (x0, y0), (x1, y1) in zip(zip(xs, ys), zip(xs[1:], ys[1:])):  # dashed across years with no figure
            ax.plot([x0, x1], [y0, y1], color=colour, linewidth=1.8, linestyle="-" if x1 - x0 <= 1.01 else "--")
        for x, yv, p in zip(xs, ys, s["points"]):
            hollow = p.get("qualifier") in ("target", "max", "under")
            ax.plot([x], [yv], marker="o", markersize=7, color=colour, markerfacecolor="white" if hollow else colour,
                    linestyle="none", label=None)
            ax.annotate(value_words(p, scale), (x, yv), textcoords="offset points", xytext=(0, 8), ha="center",
                        fontsize=9)
        if len(data["series"]) > 1:
            ax.plot([], [], color=colour, marker="o", label=clean(f"{s['owner']} {s.get('name_zh') or ''}"))
    lo, hi = min(years), max(years)
    ax.set_xlim(lo, hi + 1)
    ax.set_xticks([y + 0.5 for y in range(lo, hi + 1)], [str(y) for y in range(lo, hi + 1)])
    ax.set_ylim(0, top * 1.18 or 1)
    ax.set_ylabel(scale.words)
    ax.grid(axis="y", color="#dddddd")
    ax.spines[["top", "right"]].set_visible(False)
    if len(data["series"]) > 1:
        ax.legend(loc="upper left", fontsize=8, frameon=False)


def _draw_regions(ax, data: dict, scale: Scale) -> None:
    labels, vals, pts = [], [], []
    for s, p in bars(data):
        labels.append(clean(point_label(p, s, "regions")))
        vals.append(p["value"] / scale.factor)
        pts.append(p)
    ys = list(range(len(vals)))
    rects = ax.barh(ys, vals, color="#1f5fa8", height=0.6)
    for bar, p in zip(rects, pts):
        if p.get("qualifier") == "target":
            bar.set_facecolor("white")
            bar.set_hatch("///")
            bar.set_edgecolor("#1f5fa8")
        elif p.get("as_of") and "/" in p["as_of"]:
            bar.set_color("#8fb3de")
    top = max(vals or [1])
    for y, v, p in zip(ys, vals, pts):
        extra = " (total over the period)" if p.get("as_of") and "/" in p["as_of"] else ""
        ax.text(v + top * 0.01, y, value_words(p, scale) + extra, va="center", fontsize=9)
    ax.set_yticks(ys, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.35)
    ax.set_xlabel(scale.words)
    ax.grid(axis="x", color="#dddddd")
    ax.spines[["top", "right"]].set_visible(False)


def _hm_label(t: dict) -> str:
    return f"{t['name_zh']} {t['id']}" if t.get("name_zh") else t["id"]


def _draw_heatmap(ax, data: dict):
    vals = data["values"]
    if not vals or not data["cols"]:
        ax.text(0.5, 0.5, "no records to count", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return None
    im = ax.imshow(vals, cmap="Blues", aspect="auto")
    top = max(v for r in vals for v in r) or 1
    for i, row in enumerate(vals):
        for j, v in enumerate(row):
            if v:
                ax.text(j, i, str(v), ha="center", va="center", fontsize=7,
                        color="white" if v > top * 0.55 else "#222222")
    ax.set_xticks(range(len(data["cols"])), [clean(_hm_label(c)) for c in data["cols"]], rotation=90, fontsize=8)
    ax.set_yticks(range(len(data["rows"])), [clean(_hm_label(r)) for r in data["rows"]], fontsize=8)
    ax.tick_params(length=0)
    cax = ax.figure.add_axes((0.9, 0.3, 0.02, 0.4))
    bar = ax.figure.colorbar(im, cax=cax)
    bar.set_label("records", fontsize=8)
    return bar


def emit_chart_data(data: dict, fmt: str, out: TextIO | None = None) -> None:
    """The chart's data in a data format: json is the whole chart, the others its rows."""
    from .output import emit

    out = out or sys.stdout
    if fmt == "json":
        out.write(json_dumps(data) + "\n")
        return
    rows, columns = chart_rows(data)
    emit(rows, columns, fmt, out=out)

