"""The progress bar of a database build, on a terminal's stderr.

``kb load`` and the first command that needs a database build one; on a large
seed that takes a while. The bar says what the build is doing: reading the seed
(bytes read, records read, records the writer has put in the database), writing
the last batches, indexing; or, when the seed has a problem, checking it again
to locate every problem. It is drawn only on a terminal (the caller decides),
redrawn only when the build reports (at most ten times a second; no thread of
its own) and removed when the build ends, so what stays on the screen is kb's
usual one-line message. Narrower terminals get fewer details, never a wrapped
line.
"""

from __future__ import annotations

from typing import TextIO

from ..text import clean

WIDE = 110  # columns from which the bar shows the file name and every count
MEDIUM = 60  # from which it shows the percentage and the time taken


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB"


class BuildProgress:
    """A transient rich progress bar on ``stream`` for the build of ``name`` (the seed's file name)."""

    def __init__(self, name: str, stream: TextIO):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
        from rich.table import Column

        console = Console(file=stream, markup=False, highlight=False, emoji=False)
        self.width = console.width
        self.name = clean(name, keep_newlines=False)
        one_line = Column(no_wrap=True, overflow="ellipsis")
        columns: list = [TextColumn("{task.description}", markup=False, table_column=one_line),
                         BarColumn(bar_width=None)]
        if self.width >= MEDIUM:
            columns.append(TextColumn("{task.fields[percent]}", markup=False, table_column=Column(width=4, justify="right")))
        if self.width >= WIDE:
            columns.append(TextColumn("{task.fields[detail]}", markup=False, table_column=one_line))
        if self.width >= MEDIUM:
            columns.append(TimeElapsedColumn())
        self.bar = Progress(*columns, console=console, transient=True, auto_refresh=False,
                            redirect_stdout=False, redirect_stderr=False, expand=True)
        self.task = self.bar.add_task(self._describe("reading"), total=None, detail="", percent="")
        self.bar.start()

    def _describe(self, phase: str) -> str:
        if phase in ("reading", "checking") and self.width >= WIDE:
            return f"kb: {phase} {self.name}"
        return f"kb: {phase}"

    def update(self, phase: str, done: int, total: int, records: int, written: int) -> None:
        completed: int = 0
        whole: int | None = None  # None: no measure of its own (a pulsing bar)
        if phase in ("reading", "checking"):
            completed, whole = done, total or None
            detail = f"{_mb(done)} of {_mb(total)}" if total else _mb(done)
            if phase == "reading":
                detail += f" · {records:,} records read · {written:,} written"
        elif phase == "writing":
            completed, whole = written, records or None
            detail = f"{written:,} of {records:,} records written"
        else:
            detail = f"{records:,} records"
        percent = f"{min(100, 100 * completed // whole)}%" if whole else ""
        self.bar.update(self.task, description=self._describe(phase), completed=completed, total=whole,
                        detail=detail, percent=percent)
        self.bar.refresh()

    def close(self) -> None:
        self.bar.stop()
