"""The ``kb`` command line: thin commands over the package's layers.

Every command parses its options, calls one function of a lower layer and
prints through ``kbcli.render``. Errors become one line on stderr and an exit
code here, at one boundary (``KbGroup.main`` and ``KbGroup.invoke``, with ``kbcli.cli.boundary``): 1 for
data errors (a bad seed, a damaged or foreign database, a full disk), 2 for
usage errors (bad options or arguments, refused or failing SQL), 130 for
Ctrl-C, 128 + N for signal N (SIGTERM 143, SIGHUP 129; a signal before the
command runs is reported by ``kbcli.console``). Never a traceback:
an unexpected exception prints one line too (``KB_DEBUG=1`` shows it whole).
Every line goes through ``kbcli.text.say``, the sanitiser for stderr.
A broken pipe ends quietly; a full or closed stdout is one line and exit 1.
A cache database found damaged while reading is removed, and the command runs
once more, rebuilding it.

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

from ..errors import UsageError, catch_stop_signals
from ..text import say
from . import boundary

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
    "serve": ("web_cmds", "serve_cmd"),
    "validate": ("seed_cmds", "validate_cmd"),
    "load": ("seed_cmds", "load_cmd"),
    "verify-quotes": ("curate_cmds", "verify_quotes_cmd"),
    "coverage": ("curate_cmds", "coverage_cmd"),
}

HELP = "A bilingual knowledge base of China's technology-transfer policy (科技成果转化)."


class KbContext(typer.Context):
    def make_formatter(self):
        """Help wrapped by display width (a Chinese character is two cells), with kbcli.cli.help."""
        from .help import KbHelpFormatter

        return KbHelpFormatter(width=self.terminal_width, max_width=self.max_content_width)


class KbGroup(TyperGroup):
    """The error boundary: every failure becomes stderr lines and an exit code here."""

    context_class = KbContext

    def list_commands(self, ctx):  # keep the registry's order in help
        return [c for c in COMMANDS if c in self.commands]

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        from ..paths import forget_reads

        forget_reads()
        args = list(sys.argv[1:] if args is None else args)
        args, code = boundary.text_args(args)
        attempts = 2
        while code is None:
            attempts -= 1
            try:
                rv = super().main(args, prog_name, complete_var, standalone_mode=False, _retry=attempts > 0, **extra)
                code = rv if isinstance(rv, int) else 0
            except boundary.Retry:
                continue
            except typer.TyperException as exc:  # Click's usage errors: bad options and arguments
                boundary.quiet_signals()
                code = boundary.usage_error(exc)
            except typer.Abort:
                boundary.quiet_signals()
                say("kb: aborted")
                code = 1
            except Exception as exc:  # noqa: BLE001 - before the command ran (help into a full disk, an encoding)
                code = boundary.report(exc)
        code = boundary.flush_stdout(code)
        boundary.quiet_signals()  # the output is out: a signal now changes nothing
        if standalone_mode:
            sys.exit(code)
        return code

    def make_context(self, info_name, args, parent=None, **extra):
        retry = extra.pop("_retry", False)
        ctx = super().make_context(info_name, args, parent=parent, **extra)
        ctx.meta["kb_retry"] = retry
        return ctx

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except boundary.Retry:
            raise
        except BaseException as exc:  # noqa: BLE001 - the boundary: everything becomes a line and a code
            code = boundary.report(exc, retry=ctx.meta.get("kb_retry", False))
            raise typer.Exit(code) from None


class KbCommand(TyperCommand):
    """A command whose unknown options are answered with the option meant (or the command it belongs to),
    and whose arguments show in help by their name (QUESTION), not their Python type (<list[str]>)."""

    context_class = KbContext

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for param in self.params:
            if param.param_type_name == "argument":
                param.display_type_rich = lambda ctx: ""  # type: ignore[attr-defined]
            elif param.metavar is None and not getattr(param, "is_flag", False):
                param.metavar = _word_metavar(param)
            if getattr(param, "_runtime_param", False) is None:
                param._runtime_param = _WhenGiven()  # type: ignore[attr-defined]

    def parse_args(self, ctx, args):
        known = {o for p in self.get_params(ctx) for o in (*p.opts, *p.secondary_opts)}
        for arg in args:
            if arg == "--":
                break
            name = arg.split("=", 1)[0]
            if name.startswith("-") and not name.startswith("--") and len(name) > 2 and f"-{name}" in known:
                raise UsageError(f"{name} is read as {name[:2]} {name[2:]!r}; did you mean -{name}?")
            if name.startswith("--") and name not in known:
                raise UsageError(_no_such_option(self.name or "", name, known))
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        """Whole numbers beyond SQLite's 64 bits are a usage error, whichever option takes them; output
        that the standard output's encoding cannot carry is refused before anything is printed."""
        collector_on()
        if boundary.ENCODING["unfit"] and boundary.prints_data(self.name or "", ctx.params):
            raise UsageError(f"the output encoding {boundary.ENCODING['unfit']} cannot carry kb's text (Chinese names "
                             "and quotes); set PYTHONIOENCODING=utf-8 (or use a UTF-8 locale) and run it again")
        for param in self.params:
            value = ctx.params.get(param.name or "")
            for v in value if isinstance(value, (list, tuple)) else (value,):
                if isinstance(v, int) and not isinstance(v, bool) and not -(2**63) <= v < 2**63:
                    raise UsageError(f"{(param.opts or [param.name])[0]}: {v} is out of range (at most {2**63 - 1})")
        return super().invoke(ctx)


RAW_HELP = ("csv and tsv: every cell exactly as stored, for scripts. By default a cell that begins with = + - @, "
            "a tab or a carriage return (which a spreadsheet would run as a formula) begins with a ' instead; "
            "numbers are never changed.")


def _with_raw_cells(fn):
    """``fn`` with a --raw-cells option when its --format can be csv or tsv: every such command takes it
    (see ``kbcli.render.output.spreadsheet_safe``), declared once here rather than in each command."""
    import functools
    import inspect
    from enum import Enum
    from typing import Annotated, get_args, get_type_hints

    hints = get_type_hints(fn, include_extras=True)
    fmt = hints.get("fmt")
    choices = get_args(fmt)[0] if get_args(fmt) else fmt
    if not (isinstance(choices, type) and issubclass(choices, Enum)
            and {"csv", "tsv"} & {str(m.value) for m in choices}):
        return fn
    raw_opt = Annotated[bool, typer.Option("--raw-cells", help=RAW_HELP)]

    @functools.wraps(fn)
    def command(*args, raw_cells: bool = False, **kwargs):
        from ..render import output

        output.RAW_CELLS = raw_cells
        return fn(*args, **kwargs)

    sig = inspect.signature(fn)
    params = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in sig.parameters.values()]
    params.append(inspect.Parameter("raw_cells", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=raw_opt))
    command.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    command.__annotations__ = {**hints, "raw_cells": raw_opt}
    return command


class _WhenGiven:
    """Typer builds a pydantic TypeAdapter for every parameter of the command it runs, given or not (about
    half a millisecond each; kb query has twenty options, most of them not given): here an option's
    adapter is built only when it has a value to check. The attribute is Typer's (0.29) and private: on a
    Typer without it, KbCommand leaves its parameters as Typer made them."""

    __slots__ = ()

    def coerce(self, value, param, ctx):
        if value is None:
            return () if param.multiple or param.nargs == -1 else None
        param._runtime_param = None  # Typer builds its own on first use
        return param.get_runtime_param().coerce(value, param=param, ctx=ctx)


def collector_on() -> None:
    """The cyclic collector back on as a command starts running, if ``kb`` started with it off
    (kbcli.console): what was made while starting is frozen, never walked again."""
    import gc

    if not gc.isenabled():
        gc.freeze()
        gc.enable()


# options people reach for that a command spells otherwise
_INSTEAD = {("cite", "--format"): "--style (gbt7714, apa, bibtex, csl-json, ris or markdown)"}


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
    instead = _INSTEAD.get((command, name))
    if instead:
        return f"{msg}; use {instead}"
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
        fn = _with_raw_cells(getattr(import_module(f"{__name__}.{module}"), func))
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
    """The ``kb`` program (``kbcli.console`` calls it, its signal handlers already in place). A signal
    raises ``Terminated``: inside a command the boundary reports it; before (while the command is
    built and its arguments parsed) it reaches the caller, ``kbcli.console``, which reports it."""
    boundary.CONSOLE["on"] = True
    catch_stop_signals()  # end through the boundary, cleaning up, not killed mid-write
    boundary.standard_descriptors()
    boundary.check_output_encoding()
    args = sys.argv[1:] if argv is None else argv
    first = next((a for a in args if not a.startswith("-")), None)
    app = build_app([first] if first in COMMANDS else None)
    app(args=args, prog_name="kb")
