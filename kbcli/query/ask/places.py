"""Real places, whether or not the base holds them: the gazetteer ``kbcli/data/places.tsv`` (made by
``tools/make_places.py`` from maintained data packages: China's provinces, prefecture-level cities and
districts, the world's countries and regions, in both scripts and English).

The file's lines are sorted, so a name or a place is found by bisection: kb reads the file (about
0.4 MB) only when a question holds words the base does not know, and builds no table of it."""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PLACES = Path(__file__).resolve().parents[2] / "data" / "places.tsv"


@dataclass(frozen=True)
class Place:
    id: str
    level: str  # country, macro-region, province, city or district
    parent: str | None
    lat: float | None
    lon: float | None
    names_zh: tuple[str, ...]
    names_en: tuple[str, ...]

    @property
    def name_zh(self) -> str:
        return self.names_zh[0] if self.names_zh else self.names_en[0]

    @property
    def name_en(self) -> str:
        return self.names_en[0] if self.names_en else self.names_zh[0]

    @property
    def label(self) -> str:
        return f"{self.name_zh} ({self.name_en})" if self.name_en != self.name_zh else self.name_zh


@lru_cache(maxsize=1)
def _lines() -> list[str]:
    return PLACES.read_text(encoding="utf-8").split("\n")


def _find(prefix: str) -> str | None:
    lines = _lines()
    i = bisect_left(lines, prefix)
    return lines[i] if i < len(lines) and lines[i].startswith(prefix) else None


def lookup(key: str) -> list[str]:
    """The places a matching key (``kbcli.text.loose``) names."""
    line = _find(f"K\t{key}\t")
    return line.split("\t")[2].split(",") if line else []


@lru_cache(maxsize=512)
def place(pid: str) -> Place | None:
    line = _find(f"P\t{pid}\t")
    if line is None:
        return None
    _, pid, level, parent, lat, lon, zh, en = line.split("\t")
    return Place(pid, level, parent or None, float(lat) if lat else None, float(lon) if lon else None,
                 tuple(x for x in zh.split("|") if x), tuple(x for x in en.split("|") if x))


def chain(pid: str) -> list[Place]:
    """A place and the places it lies in, nearest first."""
    out: list[Place] = []
    cur = place(pid)
    while cur is not None and cur not in out:
        out.append(cur)
        cur = place(cur.parent) if cur.parent else None
    return out


def where(p: Place) -> tuple[float, float] | None:
    """A place's coordinates, or its parent's (districts carry none of their own)."""
    for q in chain(p.id):
        if q.lat is not None and q.lon is not None:
            return q.lat, q.lon
    return None


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in kilometres."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(h))
