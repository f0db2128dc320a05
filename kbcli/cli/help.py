"""Help text wrapped by display width: a Chinese character takes two terminal cells.

Click's formatter counts characters, so a help line holding Chinese (``see_also (不能转 and
科研导向与产业需求脱节 …``) overflows a 60-column terminal. This formatter wraps the same text,
paragraphs and definition lists as Click does, with ``kbcli.render.terminal.wrap``, which measures
cells and never breaks a word or id. Imported only when help is printed.
"""

from __future__ import annotations

from typer._click.formatting import HelpFormatter, iter_rows

from ..render.terminal import width, wrap


def _paragraphs(text: str) -> list[tuple[int, bool, str]]:
    """(indent, keep as written, text) per paragraph; a paragraph opening with a line holding only
    ``\\b`` is kept as written, as in Click."""
    out: list[tuple[int, bool, str]] = []
    buf: list[str] = []
    indent: int | None = None

    def flush() -> None:
        if buf:
            if buf[0].strip() == "\b":
                out.append((indent or 0, True, "\n".join(buf[1:])))
            else:
                out.append((indent or 0, False, " ".join(buf)))
            buf.clear()

    for line in text.expandtabs().splitlines():
        if not line:
            flush()
            indent = None
            continue
        if indent is None:  # the paragraph's first line sets its indent; later lines are kept as written
            indent = len(line) - len(line.lstrip())
            line = line.lstrip()
        buf.append(line)
    flush()
    return out


def wrap_help(text: str, cols: int, indent: str = "") -> list[str]:
    lines: list[str] = []
    for n, (extra, raw, para) in enumerate(_paragraphs(text)):
        if n:
            lines.append("")
        pad = indent + " " * extra
        if raw:
            lines.extend(pad + x for x in para.splitlines())
        else:
            lines.extend(pad + x for x in wrap(para, max(cols - width(pad), 10)))
    return lines


class KbHelpFormatter(HelpFormatter):
    def write_text(self, text: str) -> None:
        self.write("\n".join(wrap_help(text, self.width, " " * self.current_indent)) + "\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        first_col = min(max((width(a) for a, _ in rows), default=0), col_max) + col_spacing
        for first, second in iter_rows(rows, 2):
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - width(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap_help(second, max(self.width - first_col - self.current_indent, 10))
            self.write((lines[0] if lines else "") + "\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n" if line else "\n")
