"""Terminal layout: tables and text that fit the terminal without hiding any value.

* ``wrap`` breaks text into lines of a display width (Chinese characters count
  two cells) between words or between Chinese characters, never inside a run
  of Latin letters or digits: an id, a number or a date is never cut.
* ``layout`` chooses column widths for a table: columns of ids, numbers, dates
  and codes keep their whole width, text columns wrap. When even the narrowest
  layout does not fit, the caller prints one block per row instead (``blocks``).

Only this module and ``output`` know the terminal; both are imported when
stdout is one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .cells import width

# a token is a run of non-space characters that are not Chinese/wide (a word, number, id or date), one
# wide character with the closing punctuation after it (，。、）” never start a line), or spaces
_TOKEN_RE = re.compile(r"\s+|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f]+"
                       r"|[（《「『“‘]*.[，。、；：！？）》」』”’,.;:!?)\]]*")


def tokens(s: str) -> list[str]:
    return _TOKEN_RE.findall(s)


def min_width(s: str) -> int:
    """The narrowest width ``s`` can wrap to without cutting a token."""
    return max((width(t) for t in tokens(s) if not t.isspace()), default=0)


def wrap(s: str, cols: int, later: int | None = None) -> list[str]:
    """Lines of at most ``cols`` cells (``later`` for every line after the first); a single token
    wider than that stands alone, whole."""
    out: list[str] = []
    limit = cols
    for para in s.split("\n"):
        line, used = "", 0
        for tok in tokens(para):
            w = width(tok)
            if tok.isspace():
                if line and used + w < limit:
                    line, used = line + tok, used + w
                elif line:
                    out.append(line.rstrip())
                    line, used, limit = "", 0, later or cols
                continue
            if line and used + w > limit:
                out.append(line.rstrip())
                line, used, limit = "", 0, later or cols
            line, used = line + tok, used + w
        out.append(line.rstrip())
        limit = later or cols
    return out


def wrap_indented(line: str, cols: int, hang: int = 2) -> list[str]:
    """Wrap one line keeping its indentation; continuation lines are indented ``hang`` more."""
    indent = len(line) - len(line.lstrip(" "))
    parts = wrap(line[indent:], max(cols - indent, 10), max(cols - indent - hang, 10))
    return [" " * indent + parts[0]] + [" " * (indent + hang) + p for p in parts[1:]]


def layout(headers: list[str], cells: list[list[str]], wrappable: list[bool], total: int,
           chrome: int) -> list[int] | None:
    """Column widths that fit ``total`` cells (``chrome``: what borders and padding take), or None.
    Columns that may not wrap keep their whole width; text columns share what is left."""
    n = len(headers)
    natural = [width(h) for h in headers]
    least = list(natural)
    for row in cells:
        for i, v in enumerate(row):
            natural[i] = max(natural[i], width(v))
            least[i] = max(least[i], min_width(v) if wrappable[i] else width(v))
    room = total - chrome
    if sum(natural) <= room:
        return natural
    if sum(least) > room:
        return None
    widths = list(least)
    spare = room - sum(widths)
    grow = [i for i in range(n) if natural[i] > widths[i]]
    while spare > 0 and grow:  # share the room among text columns, in proportion to what they lack
        lack = sum(natural[i] - widths[i] for i in grow)
        given = 0
        for i in grow:
            add = min(natural[i] - widths[i], max(1, spare * (natural[i] - widths[i]) // lack))
            add = min(add, spare - given)
            widths[i] += add
            given += add
        spare -= given
        grow = [i for i in grow if natural[i] > widths[i]]
        if given == 0:
            break
    return widths


def blocks(headers: list[str], rows: Iterable[list[str]], total: int) -> list[str]:
    """One block per row: 'header  value' lines, values wrapped to the terminal, empty values left out."""
    rows = list(rows)
    key = max((width(h) for h in headers), default=0)
    room = max(total - key - 2, 20)
    lines: list[str] = []
    for n, row in enumerate(rows, 1):
        lines.append(f"── {n} of {len(rows)} " + "─" * max(0, min(total, 60) - 8 - len(f"{n}{len(rows)}")))
        for h, v in zip(headers, row):
            if not v:
                continue
            if min_width(v) > room:  # a token too wide beside the header: the value goes below it, less indented
                lines.append(h)
                indent = 2 if min_width(v) <= total - 2 else 0
                lines.extend(" " * indent + p for p in wrap(v, total - indent))
                continue
            parts = wrap(v, room)
            pad = " " * (key - width(h))
            lines.append(f"{h}{pad}  {parts[0]}")
            lines.extend(" " * (key + 2) + p for p in parts[1:])
    return lines
