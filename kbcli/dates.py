"""Partial ISO dates (``2022``, ``2022-03``, ``2022-03-14``) and intervals (``2018/2022``)."""

from __future__ import annotations

import re
from functools import lru_cache


def days_in_month(year: int, month: int) -> int:
    """The length of a month in the proleptic Gregorian calendar (no `calendar` import at start-up)."""
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def check_date(v: str) -> str:
    """Return ``v`` if it is a partial ISO date that exists, else raise ValueError."""
    m = DATE_RE.match(v)
    if not m:
        raise ValueError(f"{v!r} is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = m.groups()
    if month is not None and not 1 <= int(month) <= 12:
        raise ValueError(f"{v!r} has no month {month}")
    if day is not None:
        last = days_in_month(int(year), int(month))
        if not 1 <= int(day) <= last:
            raise ValueError(f"{v!r} does not exist: {year}-{month} has {last} days")
    return v


@lru_cache(maxsize=4096)
def date_range(v: str) -> tuple[str, str]:
    """The first and last day a partial date or interval covers, as YYYY-MM-DD."""
    if "/" in v:
        a, _, b = v.partition("/")
        return date_range(a)[0], date_range(b)[1]
    v = v[:10]
    parts = v.split("-")
    if len(parts) == 1:
        return f"{v}-01-01", f"{v}-12-31"
    if len(parts) == 2:
        last = days_in_month(int(parts[0]), int(parts[1]))
        return f"{v}-01", f"{v}-{last:02d}"
    return v, v
