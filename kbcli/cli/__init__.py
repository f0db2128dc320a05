"""The ``kb`` command line: thin commands over the package's layers.

Every command parses its options, calls one function of a lower layer and
prints through ``kbcli.render``. The package's own exceptions become a
message on stderr and an exit code here, in ``KbGroup.invoke``: 1 for data
errors, 2 for usage errors. Heavy modules are imported inside the commands
that need them, so that start-up stays close to Typer's own.
"""

from __future__ import annotations

import sys

import typer
from typer.core import TyperGroup

from ..errors import KbError


class KbGroup(TyperGroup):
    """Turns KbError into stderr lines and an exit code, at one boundary."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KbError as exc:
            for line in exc.lines():
                typer.echo(f"kb: {line}" if not _located(line) else line, err=True)
            raise typer.Exit(exc.exit_code) from None
        except BrokenPipeError:  # `kb query ... | head`
            sys.stderr.close()
            raise typer.Exit(0) from None


def _located(line: str) -> bool:
    """A FILE:LINE:COL: line prints as is, so editors can jump to it."""
    head = line.split(": ", 1)[0]
    parts = head.rsplit(":", 2)
    return len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit()


app = typer.Typer(
    cls=KbGroup,
    name="kb",
    help="A bilingual knowledge base of China's technology-transfer policy (科技成果转化).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

from . import curate_cmds, data_cmds, query_cmds, seed_cmds  # noqa: E402,F401  (commands register on import)


def main() -> None:
    app()
