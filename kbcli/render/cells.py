"""Display width: how many terminal cells a string takes. The one measure every table, chart,
help page and citation uses, so what kb lays out lines up with what Rich draws and what the
terminal shows: a Chinese character or a full-width sign takes two cells, a combining mark, a
zero-width joiner or a hangul vowel sign none.

Rich measures it (``rich.cells.cell_len``, its wcwidth table, which follows a newer Unicode than
Python's ``unicodedata``). Plain ASCII — most of what kb prints — is counted without it, so a
command whose output is ASCII never imports Rich; the first wider character imports
``rich.cells`` alone (a few milliseconds, not the rest of Rich), which keeps ``kb query``
without a terminal free of Rich's console.
"""

from __future__ import annotations


def width(s: str) -> int:
    """Display width of ``s`` in terminal cells."""
    if s.isascii():
        return len(s)
    from rich.cells import cell_len

    return cell_len(s)


def is_wide(ch: str) -> bool:
    """``ch`` takes two cells: Han, kana, hangul, full-width forms and CJK punctuation (and wide emoji)."""
    return not ch.isascii() and width(ch) == 2
