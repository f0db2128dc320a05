"""Options shared by several commands, declared once, and the help every command carries."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TextIO, TypeVar

import typer

from ..text import say


class Format(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"
    md = "md"


F = TypeVar("F", bound=Callable[..., Any])


def about(summary: str, *examples: str) -> Callable[[F], F]:
    """Declare a command's one-sentence summary (the command list shows it whole) and the real
    examples that end its ``--help``."""

    def mark(fn: F) -> F:
        fn.kb_summary = summary  # type: ignore[attr-defined]
        fn.kb_examples = examples  # type: ignore[attr-defined]
        return fn

    return mark


# ---------------------------------------------------------------- completion (runs only when a shell asks)


def _complete(kind: str) -> Callable[[typer.Context, str], list[tuple[str, str]]]:
    """Shell completion of ids and names from the database the command would use."""

    def complete(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
        try:
            kb = open_kb(ctx.params.get("db"), ctx.params.get("seed"))
            if kind == "records":
                rows = kb.conn.execute("SELECT id, name_en FROM records WHERE id LIKE ? ORDER BY id LIMIT 200",
                                       (incomplete + "%",)).fetchall()
                return [(i, n) for i, n in rows]
            out = [(tid, f"{t['name_zh']} {t['name_en']}") for tid, t in kb.terms.items()
                   if (kind == "terms" or t["vocab"] == kind) and (tid.startswith(incomplete)
                                                                   or t["name_zh"].startswith(incomplete))]
            if kind == "terms":
                out += complete_records(ctx, incomplete)
            return out
        except Exception:  # noqa: BLE001 - completion must never break the shell
            return []

    return complete


def complete_records(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _complete("records")(ctx, incomplete)


complete_ids = _complete("terms")  # records and terms, for `kb show`, `kb cite`, `--record`

FormatOpt = Annotated[Format, typer.Option("--format", "-f", metavar="FORMAT", case_sensitive=False,
                                           help="Output format: table, json, jsonl, csv, tsv or md.")]
DbOpt = Annotated[str | None, typer.Option("--db", envvar="KB_DB", show_envvar=True, metavar="PATH",
                                           help="SQLite database to use (default: one in the user cache, "
                                                "built from the seed).")]
SeedOpt = Annotated[str | None, typer.Option("--seed", envvar="KB_SEED", show_envvar=True, metavar="PATH",
                                             help="Seed file (default: the packaged data/seed.yaml).")]
SourcesOpt = Annotated[str, typer.Option("--sources", metavar="DIR",
                                         help="Folder holding the source texts (*.txt).")]
OutputOpt = Annotated[str | None, typer.Option("--output", "-o", metavar="FILE",
                                               help="Write to this file instead of stdout.")]
RegionOpt = Annotated[list[str] | None, typer.Option(
    "--region", "-r", metavar="REGION", autocompletion=_complete("regions"),
    help="Region (id, Chinese name in either script, English name or alias); includes places within it "
         "unless --exact. Repeat for OR.")]
ExactOpt = Annotated[bool, typer.Option("--exact", help="With --region: this place only, not the places within it.")]
LevelOpt = Annotated[list[str] | None, typer.Option(
    "--level", "-l", metavar="LEVEL",
    help="Placed in a region of this level or within one: country, province, municipality, city, district, "
         "zone, park ... Repeat for OR.")]
MechanismOpt = Annotated[list[str] | None, typer.Option(
    "--mechanism", "-m", metavar="MECHANISM", autocompletion=_complete("mechanisms"),
    help="Mechanism set up or changed (e.g. 概念验证中心, poc-centre). Repeat for OR.")]
InstrumentOpt = Annotated[list[str] | None, typer.Option(
    "--instrument", "-i", metavar="INSTRUMENT", autocompletion=_complete("instruments"),
    help="Instrument of public authority (e.g. funding, which includes subsidies, awards, grants and fund "
         "investment). Repeat for OR.")]
BlockageOpt = Annotated[list[str] | None, typer.Option(
    "--blockage", "-b", metavar="BLOCKAGE", autocompletion=_complete("blockages"),
    help="Blockage (堵点) addressed, e.g. 不敢转; includes narrower terms, not see-also terms. Repeat for OR.")]
KindOpt = Annotated[list[str] | None, typer.Option(
    "--kind", "-k", metavar="KIND", help="law, pilot, model or practice. Repeat for OR.")]
SinceOpt = Annotated[str | None, typer.Option(
    metavar="DATE", help="Dated on or after (YYYY, YYYY-MM or YYYY-MM-DD); says how many undated records it "
                         "leaves out.")]
UntilOpt = Annotated[str | None, typer.Option(metavar="DATE", help="Dated on or before (YYYY, YYYY-MM or "
                                                                   "YYYY-MM-DD).")]
TextOpt = Annotated[list[str] | None, typer.Option(
    "--text", "-t", metavar="TEXT", help="Full-text condition: every part must match (as kb search). Repeat "
                                         "for AND.")]


def open_kb(db: str | None, seed: str | None):
    """A KB over an up-to-date database for these options (built on first use)."""
    from ..query.kb import KB
    from ..store.db import open_db

    return KB(open_db(db, seed, build_progress))


def build_progress(seed):
    """The progress bar of a database build: on stderr when it is a terminal, else none."""
    stream = sys.stderr
    try:
        if stream is None or not stream.isatty():
            return None
    except (OSError, ValueError):  # closed
        return None
    from ..render.progress import BuildProgress

    return BuildProgress(seed.name, stream)


_QUIET = [False]  # --quiet of the command being run (its callback sets it on every run)


def _set_quiet(value: bool) -> bool:
    _QUIET[0] = bool(value)
    return value


QuietOpt = Annotated[bool, typer.Option(
    "--quiet", envvar="KB_QUIET", show_envvar=True, callback=_set_quiet,
    help="No notes or progress lines on stderr. Errors and warnings still print, and so does every "
         "source that asks not to be cited (which the output itself carries too).")]


def quiet() -> bool:
    """Whether the command runs with --quiet (or KB_QUIET=1)."""
    return _QUIET[0]


def note(message: str) -> None:
    """A note on stderr (data stays on stdout), through the one sanitiser for messages; none with --quiet."""
    if not _QUIET[0]:
        say(f"kb: {message}")


def warn_restricted(kb, items: list) -> None:
    """Say on stderr, every time, when results rest on a source that restricts citation."""
    from ..query.kb import record_evidence

    warn_restricted_sources(kb, [[e["source"] for e in record_evidence(item)] for item in items])


def warn_restricted_sources(kb, per_item: list) -> None:
    """``warn_restricted`` from the sources of each item's quotes: those that restrict citation are named."""
    hits: dict[str, int] = {}
    for sources in per_item:
        for s in dict.fromkeys(sources):
            if s in kb.sources and kb.sources[s]["restricted"]:
                hits[s] = hits.get(s, 0) + 1
    for sid, n in hits.items():
        msg = kb.sources[sid]["citation_note"]
        if len(per_item) == 1:
            what = "this item rests"
        else:
            what = f"{n} of these results {'rests' if n == 1 else 'rest'}"
        say(f"kb: note: {what} on {sid}, which asks not to be cited: {msg}")  # never quiet


def _same_file(path: Path, st: os.stat_result) -> bool:
    try:
        other = os.stat(path)
    except OSError:
        return False
    return (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino)


@contextmanager
def output_to(path: str | None, option: str = "--output") -> Iterator[TextIO]:
    """Where a command writes: stdout, or the file ``path`` written atomically.

    The text goes to a temporary file beside the target (``.NAME.PID.tmp``), which is
    renamed over it only when everything was written, so a failure (a full disk, Ctrl-C)
    leaves the previous file as it was, with its permissions. A path that cannot be
    written (a missing folder, a folder, no permission) is a usage error before anything
    is written. Devices and pipes (``/dev/stdout``) are written directly."""
    from ..errors import DataError, UsageError
    from ..render.output import stdout

    if path is None:
        yield stdout()
        return
    if not path.strip():
        raise UsageError(f"{option} needs a file name, got {path!r}")
    import stat

    from ..paths import guard_output, open_output_pipe

    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except (OSError, ValueError) as exc:
        if getattr(exc, "errno", None) == errno.ENAMETOOLONG:
            raise UsageError(f"file name too long: {path}") from None
        raise UsageError(f"cannot write {option} {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise UsageError(f"cannot write {option} {path}: it is a directory")
    guard_output(path, option)  # never over the seed, a source or the database this command read
    target = Path(os.path.realpath(path))  # through a symbolic link to the file it names
    if st is not None and not (stat.S_ISREG(st.st_mode) and _same_file(target, st)):
        # /dev/null, /dev/stdout, a named pipe: written as they are, nothing to rename over; a named pipe
        # that no process reads is an error after a while (KB_PIPE_WAIT), not a wait for ever
        fd = open_output_pipe(path, option) if stat.S_ISFIFO(st.st_mode) else os.open(path, os.O_WRONLY)
        with open(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
        return
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        fh = open(tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed below, before the rename
    except OSError as exc:
        if not target.parent.is_dir():
            raise UsageError(f"cannot write {option} {path}: no folder {target.parent}") from None
        raise UsageError(f"cannot write {option} {path}: {exc.strerror or exc}") from None
    try:
        try:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        finally:
            fh.close()
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
        os.replace(tmp, target)
    except OSError as exc:
        kept = "the previous file is unchanged" if st is not None else "nothing was written"
        raise DataError(f"could not write {path}: {exc.strerror or exc}; {kept}") from None
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
