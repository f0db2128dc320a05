"""One output function for every ``--format``.

``emit`` prints rows (a list of dicts) as table, json, jsonl, csv, tsv or md.
Columns say how nested values flatten for the tabular formats; json and
jsonl print the rows whole. ``views.emit_detail`` prints one nested object
(``kb show``) with a format-specific detail view for table and md.

Data prints literally in every format: cells are plain text (never Rich
markup), and control characters are escaped (``\\x1b``) so they cannot reach
the terminal. Rich is imported only when stdout is a terminal.

Every format is safe in the program it is made for: a csv or tsv cell that a
spreadsheet would run as a formula (it begins with = + - @, a tab or a carriage
return) begins with a ' (``spreadsheet_safe``; numbers are left as they are;
``--raw-cells`` turns it off for scripts); Markdown cells escape HTML and link
syntax (``md_text``), so no tag, entity or link comes from the data.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TextIO

from ..paths import guard_stdout
from ..text import clean, fmt_number, json_dumps, json_line_safe
from .cells import width


def join_terms(v: Any) -> str:
    if not v:
        return ""
    return "; ".join(t["id"] if isinstance(t, dict) else str(t) for t in v)


def join_list(v: Any) -> str:
    if not v:
        return ""
    return "; ".join(str(x) for x in v)


def figures_text(figs: Any) -> str:
    if not figs:
        return ""
    parts = []
    for f in figs:
        q = f.get("qualifier")
        val = fmt_number(f.get("value"))
        if f.get("value_max") is not None:
            val += "-" + fmt_number(f["value_max"])
        s = f"{f['metric']}={val} {f.get('unit', '')}".rstrip()
        if q and q != "exact":
            s += f" ({q})"
        parts.append(s)
    return "; ".join(parts)


def evidence_text(ev: Any) -> str:
    if not ev:
        return ""
    return " | ".join(f"{e['source']}: {e['quote']}" for e in ev)


@dataclass(frozen=True)
class Column:
    key: str
    header: str | None = None
    flatten: Callable[[Any], str] | None = None
    numeric: bool = False

    def text(self, row: dict) -> str:
        v = row.get(self.key)
        if self.flatten is not None:
            return self.flatten(v)
        if v is None:
            return ""
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return fmt_number(v)
        if isinstance(v, (list, tuple)):
            return join_list(v)
        return str(v)

    @property
    def title(self) -> str:
        """The header as printed: sanitised like every cell (a SQL alias may hold anything)."""
        return clean(self.header or self.key, keep_newlines=False)


def _cells(rows: Iterable[dict], columns: list[Column], keep_newlines: bool) -> list[list[str]]:
    return [[clean(c.text(r), keep_newlines=keep_newlines) for c in columns] for r in rows]


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _plain_table(cells: list[list[str]], columns: list[Column], out: TextIO) -> None:
    headers = [c.title for c in columns]
    widths = [width(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], width(cell))

    def line(values: list[str]) -> str:
        parts = []
        for i, v in enumerate(values):
            pad = widths[i] - width(v)
            parts.append(" " * pad + v if columns[i].numeric else v + " " * pad)
        return "  ".join(parts).rstrip()

    out.write(line(headers) + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        out.write(line(row) + "\n")


def rich_console(out: TextIO):
    from rich.console import Console

    return Console(file=out, markup=False, highlight=False, emoji=False, soft_wrap=False)


def _rich_table(cells: list[list[str]], columns: list[Column], out: TextIO) -> None:
    """A table that fits the terminal: text columns wrap, ids, numbers and dates keep their whole
    width; when even that does not fit, one block per row (see ``terminal``)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from .terminal import blocks, layout, wrap

    console = rich_console(out)
    headers = [c.title for c in columns]
    wrappable = [not c.numeric for c in columns]
    widths = layout(headers, cells, wrappable, console.width, chrome=2 * (len(columns) - 1))
    if widths is None:
        for line in blocks(headers, cells, console.width):
            console.print(Text(line, style="bold" if line.startswith("── ") else ""))
        return
    rows = [["\n".join(wrap(v, w)) if ok else v for v, w, ok in zip(row, widths, wrappable)] for row in cells]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True, header_style="bold",
                  show_lines=any("\n" in v for row in rows for v in row))  # a rule between rows that wrap
    for c, w in zip(columns, widths):
        table.add_column(Text(c.title), justify="right" if c.numeric else "left", width=w, no_wrap=True,
                         overflow="ignore")
    for row in rows:
        table.add_row(*[Text(v) for v in row])
    console.print(table)


# What a spreadsheet (Excel, LibreOffice, Google Sheets) runs as a formula when a cell begins with it:
# = + - @, a tab or a carriage return (OWASP, "CSV Injection"), and the full-width forms a Chinese input
# method types. Such a cell is written with a ' before it, so that the spreadsheet shows it as text.
FORMULA_START = tuple("=+-@\t\r＝＋－＠")
RAW_CELLS = False  # csv and tsv cells exactly as stored (--raw-cells: for scripts)


def spreadsheet_safe(cell: str) -> str:
    """A csv or tsv cell that no spreadsheet will run: one that begins like a formula (after any spaces,
    which an import may trim) gets a leading '."""
    if RAW_CELLS or not cell:
        return cell
    return "'" + cell if cell.startswith(FORMULA_START) or cell.lstrip().startswith(FORMULA_START) else cell


def _safe_row(r: dict, columns: list[Column], cells: list[str]) -> list[str]:
    """``cells`` of row ``r`` made spreadsheet-safe; a number stays a number (-5 is written -5: a
    spreadsheet reads it as the number it is, and a script gets it as it was)."""
    if RAW_CELLS:
        return cells
    out = []
    for c, cell in zip(columns, cells):
        v = r.get(c.key) if c.flatten is None else None
        numeric = isinstance(v, (int, float)) and not isinstance(v, bool)
        out.append(cell if numeric else spreadsheet_safe(cell))
    return out


def md_text(s: str) -> str:
    """Text as Markdown shows it and nothing more: no HTML (< > & escaped, so no tag, autolink or entity is
    read) and no link or image (a ] that would close a link's text, before ( [ or :, is escaped, so
    ``[x](javascript:...)`` stays text, while [N] and [EB/OL] print as they are); backslashes kept."""
    s = s.replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return s.replace("](", "\\](").replace("][", "\\][").replace("]:", "\\]:")


def _md_cell(s: str) -> str:
    return md_text(s).replace("|", "\\|").replace("\n", "<br>")


def emit(rows: list[dict], columns: list[Column], fmt: str = "table", out: TextIO | None = None) -> None:
    """Print rows as table, json, jsonl, csv, tsv or md. An empty result prints headers only (or [])."""
    out = out or stdout()
    if fmt == "table":
        cells = _cells(rows, columns, keep_newlines=False)
        if is_terminal(out) and os.environ.get("KB_PLAIN") is None:
            _rich_table(cells, columns, out)
        else:
            _plain_table(cells, columns, out)
    else:
        emit_stream(rows, columns, fmt, out)


def emit_stream(rows: Iterable[dict], columns: list[Column], fmt: str, out: TextIO | None = None) -> None:
    """Print rows as json, jsonl, csv, tsv or md as they come, holding one row at a time
    (``kb sql`` streams its results through here)."""
    out = out or stdout()
    if fmt in ("json", "jsonl"):  # json's C encoder runs only without indentation
        _write_json((json_dumps(r, indent=None) for r in rows), fmt, out)
    elif fmt == "csv":
        import csv

        w = csv.writer(out, lineterminator="\n")
        w.writerow([spreadsheet_safe(c.title) for c in columns])
        for r in rows:
            w.writerow(_safe_row(r, columns, _cells((r,), columns, keep_newlines=True)[0]))
    elif fmt == "tsv":
        out.write("\t".join(spreadsheet_safe(_tsv(c.title)) for c in columns) + "\n")
        for r in rows:
            row = [_tsv(v) for v in _cells((r,), columns, keep_newlines=True)[0]]
            out.write("\t".join(_safe_row(r, columns, row)) + "\n")
    elif fmt == "md":
        out.write("| " + " | ".join(_md_cell(c.title) for c in columns) + " |\n")
        out.write("|" + "|".join(" ---: " if c.numeric else " --- " for c in columns) + "|\n")
        for r in rows:
            out.write("| " + " | ".join(_md_cell(v) for v in _cells((r,), columns, keep_newlines=True)[0]) + " |\n")
    else:  # pragma: no cover - the CLI restricts the choice
        raise ValueError(f"unknown format {fmt!r}")


def _tsv(v: str) -> str:
    """A tsv cell: tabs and line breaks become spaces (tsv has no quoting)."""
    return v.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def emit_json_lines(lines: Iterable[str], fmt: str, out: TextIO | None = None) -> None:
    """Print JSON objects already made as one-line text (``query.facets.query_json``) as json or jsonl,
    exactly as ``emit`` prints the objects themselves; what ``json_line_safe`` escapes is escaped here."""
    if fmt not in ("json", "jsonl"):  # pragma: no cover - callers ask for json or jsonl only
        raise ValueError(f"not a JSON format: {fmt!r}")
    _write_json((json_line_safe(line) for line in lines), fmt, out or stdout())


def _write_json(texts: Iterable[str], fmt: str, out: TextIO) -> None:
    """One-line JSON texts as jsonl, or as a json array with one of them per line."""
    if fmt == "jsonl":
        for t in texts:  # noqa: FURB122 - out may have write only (kb sql's timed writer)
            out.write(t + "\n")
        return
    first = True
    for t in texts:
        out.write(("[\n" if first else ",\n") + t)
        first = False
    out.write("[]\n" if first else "\n]\n")


def stdout() -> TextIO:
    """The standard output, or an OSError when kb was started with it closed; a usage error when it is
    a file this command reads (``kb export --db kb.sqlite >> kb.sqlite``)."""
    if sys.stdout is None:
        import errno

        raise OSError(errno.EBADF, "standard output is closed")
    guard_stdout()
    return sys.stdout
