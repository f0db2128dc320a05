"""Partial ISO dates (``2022``, ``2022-03``, ``2022-03-14``) and intervals (``2018/2022``)."""

from __future__ import annotations

import calendar
import re

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
        last = calendar.monthrange(int(year), int(month))[1]
        if not 1 <= int(day) <= last:
            raise ValueError(f"{v!r} does not exist: {year}-{month} has {last} days")
    return v


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
        last = calendar.monthrange(int(parts[0]), int(parts[1]))[1]
        return f"{v}-01", f"{v}-{last:02d}"
    return v, v
