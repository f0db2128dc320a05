"""The ``kb`` command line: thin commands over the package's layers.

Every command parses its options, calls one function of a lower layer and
prints through ``kbcli.render``. The package's own exceptions become a
message on stderr and an exit code here, in ``KbGroup.invoke``: 1 for data
errors, 2 for usage errors.

Start-up time is a feature: ``COMMANDS`` maps each command to the function
that implements it, and the console entry point (``main``) builds only the
command being run, importing nothing else. ``kbcli.cli.app`` (tests, help)
builds every command.
"""

from __future__ import annotations

import sys
from importlib import import_module

import typer
from typer.core import TyperCommand, TyperGroup

from ..errors import KbError, UsageError

# command name -> (module in kbcli.cli, function); the order is the order of `kb --help`
COMMANDS: dict[str, tuple[str, str]] = {
    "ask": ("ask_cmds", "ask_cmd"),
    "query": ("query_cmds", "query_cmd"),
    "search": ("query_cmds", "search_cmd"),
    "show": ("query_cmds", "show_cmd"),
    "list": ("query_cmds", "list_cmd"),
    "figures": ("query_cmds", "figures_cmd"),
    "crosstab": ("query_cmds", "crosstab_cmd"),
    "compare": ("landscape_cmds", "compare_cmd"),
    "timeline": ("landscape_cmds", "timeline_cmd"),
    "graph": ("landscape_cmds", "graph_cmd"),
    "chart": ("landscape_cmds", "chart_cmd"),
    "cite": ("cite_cmds", "cite_cmd"),
    "export": ("data_cmds", "export_cmd"),
    "sql": ("data_cmds", "sql_cmd"),
    "validate": ("seed_cmds", "validate_cmd"),
    "load": ("seed_cmds", "load_cmd"),
    "verify-quotes": ("curate_cmds", "verify_quotes_cmd"),
    "coverage": ("curate_cmds", "coverage_cmd"),
}

HELP = "A bilingual knowledge base of China's technology-transfer policy (科技成果转化)."


class KbGroup(TyperGroup):
    """Turns KbError into stderr lines and an exit code, at one boundary."""

    def list_commands(self, ctx):  # keep the registry's order in help
        return [c for c in COMMANDS if c in self.commands]

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KbError as exc:
            for line in exc.lines():
                typer.echo(line if _located(line) else f"kb: {line}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except BrokenPipeError:  # `kb query ... | head`
            sys.stderr.close()
            raise typer.Exit(0) from None


class KbCommand(TyperCommand):
    """A command whose unknown options are answered with the option meant (or the command it belongs to),
    and whose arguments show in help by their name (QUESTION), not their Python type (<list[str]>)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for param in self.params:
            if param.param_type_name == "argument":
                param.display_type_rich = lambda ctx: ""  # type: ignore[attr-defined]
            elif param.metavar is None and not getattr(param, "is_flag", False):
                param.metavar = _word_metavar(param)

    def parse_args(self, ctx, args):
        known = {o for p in self.get_params(ctx) for o in (*p.opts, *p.secondary_opts)}
        for arg in args:
            if arg == "--":
                break
            name = arg.split("=", 1)[0]
            if name.startswith("--") and name not in known:
                raise UsageError(_no_such_option(self.name or "", name, known))
        return super().parse_args(ctx, args)


def _word_metavar(param) -> str:
    """An option's value as a word in help (TEXT, N, NUMBER, [a|b|c]), never a Python type."""
    desc = getattr(param, "type_descriptor", None)
    if desc is None:
        return "TEXT"
    if desc.choices:
        return "[" + "|".join(str(getattr(c, "value", c)) for c in desc.choices) + "]"
    ann = desc.annotation
    if desc.is_list:
        from typing import get_args

        ann = (get_args(ann) or (str,))[0]
    if desc.is_path:
        return "PATH"
    return {int: "N", float: "NUMBER"}.get(ann, "TEXT")


def _no_such_option(command: str, name: str, known: set[str]) -> str:
    """'no such option' with the closest options of this command, else the commands that have it."""
    import difflib

    msg = f"kb {command} has no option {name}"
    longs = sorted(o for o in known if o.startswith("--"))
    prefixed = [o for o in longs if o.startswith(name) or name.startswith(o)]
    close = prefixed or difflib.get_close_matches(name, longs, n=3, cutoff=0.75)
    if close:
        return msg + "; did you mean " + " or ".join(close) + "?"
    elsewhere = []
    for other, cmd in _all_commands().items():
        if other == command:
            continue
        opts = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts) if o.startswith("--")}
        hits = [o for o in opts if o.startswith(name) or difflib.SequenceMatcher(None, name, o).ratio() >= 0.75]
        elsewhere += [f"{o} (kb {other})" for o in sorted(hits)]
    if elsewhere:
        return msg + "; other commands have " + ", ".join(elsewhere[:4])
    return msg + f"; see kb {command} --help"


def _all_commands() -> dict:
    import typer.main

    group = typer.main.get_command(build_app())
    return dict(group.commands)  # type: ignore[attr-defined]


def _located(line: str) -> bool:
    """A FILE:LINE:COL: line prints as is, so editors can jump to it."""
    head = line.split(": ", 1)[0]
    parts = head.rsplit(":", 2)
    return len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit()


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"kb {__version__}")
        raise typer.Exit(0)


def build_app(names: list[str] | None = None) -> typer.Typer:
    """A Typer app with the named commands (all when ``names`` is None). Shell completion (its options
    and its module) is set up only when no command is run: `kb --install-completion`, `kb --help`, or a
    shell asking for completions (which runs `kb` with no arguments)."""
    app = typer.Typer(cls=KbGroup, name="kb", help=HELP, no_args_is_help=True, add_completion=names is None,
                      pretty_exceptions_enable=False, rich_markup_mode=None,
                      context_settings={"help_option_names": ["-h", "--help"]})

    @app.callback()
    def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                           help="Print the version and exit.")) -> None:
        """A bilingual knowledge base of China's technology-transfer policy (科技成果转化)."""

    for name in names if names is not None else COMMANDS:
        module, func = COMMANDS[name]
        fn = getattr(import_module(f"{__name__}.{module}"), func)
        examples = "\n".join(f"  {e}" for e in getattr(fn, "kb_examples", ()))
        app.command(name, cls=KbCommand, short_help=getattr(fn, "kb_summary", None),
                    epilog=f"\b\nExamples:\n{examples}" if examples else None)(fn)
    return app


def __getattr__(attr: str):
    if attr == "app":  # every command, built on first use
        app = build_app()
        globals()["app"] = app
        return app
    raise AttributeError(attr)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    first = next((a for a in args if not a.startswith("-")), None)
    build_app([first] if first in COMMANDS else None)(args=args, prog_name="kb")
