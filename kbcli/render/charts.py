"""``kb chart --output FILE.svg|.png``: the chart drawn with matplotlib, laid out by measuring so no
label, title or note is clipped, with the same words around it as in the terminal
(``chart_words``); ``chart_terminal`` draws it in the terminal with plotext.

matplotlib comes with the optional extra ``kbcli[plot]`` and is imported here only, inside the
functions that draw, so no other command pays for it. It needs a font with Chinese glyphs:
``find_cjk_font`` looks for one (``KB_FONT`` names a font file or family to use instead) and
says what to install when there is none.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import KbError, UsageError
from ..text import clean
from .chart_words import (
    Scale,
    bars,
    notes,
    point_label,
    series_scale,
    source_lines,
    title_lines,
    value_words,
    wrap_display,
    year_x,
)

CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
             "Microsoft YaHei", "SimHei", "PingFang SC", "Hiragino Sans GB", "Heiti SC", "Noto Sans CJK TC",
             "Noto Sans CJK JP", "Source Han Sans CN", "Droid Sans Fallback", "Arial Unicode MS")
FONT_HINT = ("no font with Chinese glyphs was found, so Chinese text will show as empty boxes; install one "
             "(Debian/Ubuntu: sudo apt-get install fonts-noto-cjk; Fedora: sudo dnf install "
             "google-noto-sans-cjk-fonts; macOS and Windows have one already) or set KB_FONT to a font file")
SUFFIXES = (".svg", ".png")
WIDTH_IN, DPI = 10.0, 120  # file charts are 1200 px wide


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
    scale = series_scale(data) if chart != "heatmap" and data.get("series") else None
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
    if chart == "time" and any(year_x(b["as_of"]) - year_x(a["as_of"]) > 1.01 for s in data["series"]
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
        xs = [year_x(p["as_of"]) for p in s["points"]]
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
