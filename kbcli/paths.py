"""Where the seed, the exclusions and the default database live.

* The seed ships inside the wheel (``kbcli/data/seed.yaml``); in a source
  checkout it is ``data/seed.yaml`` beside the package.
* ``--seed``/``KB_SEED`` and ``--db``/``KB_DB`` override the defaults.
* With no ``--db``, the database lives in the user's cache directory
  (``KB_CACHE_DIR``, else ``$XDG_CACHE_HOME/kbcli``, ``~/.cache/kbcli``,
  ``~/Library/Caches/kbcli`` or ``%LOCALAPPDATA%\\kbcli``), one file per seed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _data_file(name: str) -> Path:
    inside = PACKAGE_DIR / "data" / name
    if inside.exists():
        return inside
    return PACKAGE_DIR.parent / "data" / name


def packaged_seed() -> Path:
    return _data_file("seed.yaml")


def packaged_exclusions() -> Path:
    return _data_file("coverage-exclusions.yaml")


def seed_path(option: str | None = None) -> Path:
    if option is not None and not option.strip():
        from .errors import UsageError

        raise UsageError(f"a seed needs a file name, got {option!r}")
    value = option or os.environ.get("KB_SEED")
    path = Path(value) if value else packaged_seed()
    try:
        missing = not path.exists()
    except (OSError, ValueError):  # a name too long or holding NUL: reported where the file is opened
        missing = False
    if missing:  # a path the user gave that names nothing is a usage error, as a missing sources folder is
        from .errors import DataError, UsageError

        raise (UsageError if value else DataError)(f"no seed at {path}")
    return path


def cache_dir() -> Path:
    if os.environ.get("KB_CACHE_DIR"):
        return Path(os.environ["KB_CACHE_DIR"])
    if sys.platform == "win32":  # pragma: no cover
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "kbcli" / "Cache"
    if sys.platform == "darwin":  # pragma: no cover
        return Path.home() / "Library" / "Caches" / "kbcli"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kbcli"


def file_sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def default_db(seed: Path) -> Path:
    """The cache database for a seed: one file per seed location."""
    import hashlib

    key = hashlib.sha256(str(seed.resolve()).encode()).hexdigest()[:12]
    return cache_dir() / f"kb-{key}.sqlite"
