"""Every evidence quote and locator in a seed, with where it stands in the seed.

Walks the raw items from the reader (no pydantic), so it works on any seed
that parses, and reports positions as FILE:LINE:COL with a field path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..seed.reader import evidence_in, format_path, read_file


@dataclass
class Quote:
    source: str  # source id
    quote: str
    locator: str
    path: str  # field path, e.g. practices[3].figures[0].evidence[0]
    line: int
    col: int


@dataclass
class SeedQuotes:
    quotes: list[Quote]
    source_files: dict[str, str]  # source id -> file name (articles resolved to their document's)


def seed_quotes(seed: str | Path) -> SeedQuotes:
    quotes: list[Quote] = []
    files: dict[str, str | None] = {}
    parents: dict[str, str] = {}
    for item in read_file(seed, str(seed)):
        if item.section == "sources" and isinstance(item.data, dict):
            sid = item.data.get("id")
            if isinstance(sid, str):
                files[sid] = item.data.get("file")
                if isinstance(item.data.get("part_of"), str):
                    parents[sid] = item.data["part_of"]
        for path, ev in evidence_in(item.data):
            line, col = item.locate(path + ("quote",))
            quotes.append(Quote(str(ev.get("source")), ev["quote"], str(ev.get("locator") or ""),
                                format_path(item.where, path), line, col))
    resolved: dict[str, str] = {}
    for sid in files:
        seen, cur = set(), sid
        while files.get(cur) is None and cur in parents and cur not in seen:
            seen.add(cur)
            cur = parents[cur]
        if files.get(cur):
            resolved[sid] = files[cur]  # type: ignore[assignment]
    return SeedQuotes(quotes, resolved)
