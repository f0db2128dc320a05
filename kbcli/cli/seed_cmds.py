"""Seed commands: validate a seed, load it into a database."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import DbOpt, about

SeedArg = Annotated[str | None, typer.Argument(
    help="Seed file (default: $KB_SEED or the packaged data/seed.yaml).", show_default=False)]


@about('Check a seed and report every problem at once, located as FILE:LINE:COL.',
       'kb validate',
       'kb validate my-seed.yaml')
def validate_cmd(seed: SeedArg = None) -> None:
    """Check a seed and report every problem at once as FILE:LINE:COL: message (at path)."""
    from ..paths import seed_path
    from ..seed.validate import load_seed

    path = seed_path(seed)
    v = load_seed(path)
    counts = ", ".join(f"{n} {k}" for k, n in v.counts.items() if k != "meta")
    typer.echo(f"{path}: valid ({counts})", err=True)


@about('Validate a seed and build a database from it, atomically.',
       'kb load --db kb.sqlite',
       'kb load my-seed.yaml --db my.sqlite')
def load_cmd(seed: SeedArg = None, db: DbOpt = None) -> None:
    """Validate a seed and build the database from it, atomically.

    The database is built in a temporary file and renamed into place, so a
    seed with errors leaves an existing database unchanged.
    """
    from pathlib import Path

    from ..paths import default_db, seed_path
    from ..store.build import build

    path = seed_path(seed)
    target = default_db(path) if db is None else Path(db)
    stats = build(path, target)
    counts = ", ".join(f"{n} {k}" for k, n in stats.counts.items())
    typer.echo(f"{target}: loaded {counts} in {stats.seconds:.2f}s", err=True)
