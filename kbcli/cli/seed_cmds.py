"""Seed commands: validate a seed, load it into a database."""

from __future__ import annotations

from typing import Annotated

import typer

from ..text import say
from .common import DbOpt, QuietOpt, about

SeedArg = Annotated[str | None, typer.Argument(
    help="Seed file (default: $KB_SEED or the packaged data/seed.yaml).", show_default=False)]


@about('Check a seed and report every problem at once, located as FILE:LINE:COL.',
       'kb validate',
       'kb validate my-seed.yaml')
def validate_cmd(
    seed: SeedArg = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 on warnings too.")] = False,
    max_problems: Annotated[int, typer.Option(
        min=0, help="Print at most this many problems (and warnings), then how many more there are "
                    "(0: all).")] = 100,
) -> None:
    """Check a seed and report every problem at once as FILE:LINE:COL: message (at path).

    Errors make the seed invalid (exit 1). Warnings point at data a curator
    should look at and leave the seed valid, unless --strict: a record
    carrying a tag (a funding instrument) whose evidence names none of the
    words the term's evidence_cues list (money: an amount, 资金, 经费 ...).
    """
    from ..errors import DataError, SeedError
    from ..paths import seed_path
    from ..seed.validate import Validator, load_seed

    path = seed_path(seed)
    seen: list[Validator] = []
    try:
        v = load_seed(path, on_validator=seen.append)
    except SeedError as exc:
        _warn(seen[0].warnings if seen else [], max_problems)
        exc.shown = max_problems
        raise
    _warn(v.warnings, max_problems)
    counts = ", ".join(f"{n} {k}" for k, n in v.counts.items() if k != "meta")
    n = len(v.warnings)
    warned = f", {n} warning{'s' if n != 1 else ''}" if n else ""
    say(f"{path}: valid ({counts}){warned}")
    if strict and n:
        raise DataError(f"{n} warning{'s' if n != 1 else ''} in the seed (--strict)")


def _warn(warnings: list, limit: int) -> None:
    """The first ``limit`` warnings (0: all), then how many more there are."""
    shown = warnings[:limit] if limit else warnings
    for w in shown:
        say(str(w))
    if len(warnings) > len(shown):
        say(f"... and {len(warnings) - len(shown)} more warnings")


@about('Validate a seed and build a database from it, atomically.',
       'kb load --db kb.sqlite',
       'kb load my-seed.yaml --db my.sqlite')
def load_cmd(seed: SeedArg = None, db: DbOpt = None, quiet: QuietOpt = False) -> None:
    """Validate a seed and build the database from it, atomically.

    The database is built in a temporary file and renamed into place, so a
    seed with errors leaves an existing database unchanged.
    """
    from pathlib import Path

    from ..errors import UsageError
    from ..paths import default_db, open_data, seed_path
    from ..store.build import build

    path = seed_path(seed)
    if db is not None and not db.strip():
        raise UsageError(f"--db needs a file name, got {db!r}")
    from .common import build_progress

    with open_data(path) as source:  # read once: a pipe's seed is hashed and parsed from one reading
        target = default_db(path, source) if db is None else Path(db)
        stats = build(source, target, progress=build_progress)
    plural = {"law": "laws", "pilot": "pilots", "model": "models", "practice": "practices"}
    counts = ", ".join(f"{n} {plural.get(k, k)}" for k, n in stats.counts.items())
    if not quiet:
        say(f"{target}: loaded {counts} in {stats.seconds:.2f}s")
