"""What a chart says in words, for the terminal and the picture alike: the unit and its scale (元,
万元, 亿元 ...), each value with its qualifier, the title, the sources (with the do-not-cite note) and
the notes around the picture; and the chart's data as rows for the data formats
(``kb chart --format csv|tsv|json|jsonl|md``).

Text is measured in display cells (``cells.width``): a Chinese character counts two, and Chinese
wraps between any two characters while a Latin word stays whole.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TextIO

from .cells import is_wide, width
from .output import Column, join_list, json_dumps

QUALIFIER_WORDS = {"exact": "", "over": "over", "min": "at least", "max": "at most", "approx": "about",
                   "under": "under", "target": "target", "range": "range"}
# money is scaled to the units Chinese sources print; both languages say what the unit is
YUAN_SCALES = [(10**12, "万亿元", "trillion yuan"), (10**8, "亿元", "100 million yuan"),
               (10**4, "万元", "10,000 yuan"), (1, "元", "yuan")]
UNIT_ZH = {"yuan": "元", "percent": "%", "contract": "项", "enterprise": "家", "person": "人", "project": "项",
           "institution": "家", "result": "项", "event": "场", "rank": "位"}


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


def wrap_display(s: str, cols: int) -> list[str]:
    """Wrap text to ``cols`` columns, counting Chinese characters as two, breaking Chinese anywhere."""
    out: list[str] = []
    for para in s.split("\n"):
        line, w = "", 0
        for word in _tokens(para):
            ww = width(word)
            if w + ww > cols and line.strip():
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
        if ch == " " or is_wide(ch):
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


def series_scale(data: dict) -> Scale:
    vals = [p["value"] for s in data["series"] for p in s["points"]]
    vals += [p["value_max"] for s in data["series"] for p in s["points"] if p.get("value_max") is not None]
    return scale_for(data.get("unit"), vals)


def year_x(as_of: str) -> float:
    """Where a date stands on a time axis: the middle of its year, or of its month."""
    parts = as_of.split("-")
    year = int(parts[0])
    if len(parts) >= 2:
        return year + (int(parts[1]) - 0.5) / 12
    return year + 0.5


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


def emit_chart_data(data: dict, fmt: str, out: TextIO | None = None) -> None:
    """The chart's data in a data format: json is the whole chart, the others its rows."""
    from .output import emit

    out = out or sys.stdout
    if fmt == "json":
        out.write(json_dumps(data) + "\n")
        return
    rows, columns = chart_rows(data)
    emit(rows, columns, fmt, out=out)

