"""Figure handles: ``OWNER#METRIC[@WHEN][~K]``, the name by which a figure is shown and cited.

A record or term may report one metric several times (two years, two sources).
A figure's handle is the shortest of these forms that names it alone:

* ``cn-tech-contract-registration#technology-contracts@2022``: the metric and
  the year of its ``as_of`` (or the whole ``as_of``: ``@2023-05-27``,
  ``@2018/2022``; ``@n.d.`` for a figure that states no date);
* ``owner#metric`` when the owner has one figure of that metric;
* ``~K`` (1, 2 ...) in seed order when metric and date still leave several
  (two ranks printed in one sentence for the same day).

``kb figures`` shows every figure's handle; ``kb cite`` accepts it, the older
``owner#N`` (the figure's number, from 1) and ``@YEAR`` for a fuller date
(``@2023`` for ``2023-05-27`` when no figure is dated exactly ``2023``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..errors import NotFoundError

UNDATED = "n.d."
FIGURE_REF_RE = re.compile(r"^(?P<owner>[^#]+)#(?P<frag>[^#]+)$")
_FRAG_RE = re.compile(r"^(?P<metric>[^@~]+)(?:@(?P<when>[^~]+))?(?:~(?P<k>\d+))?$")


def parse_figure_ref(ident: str) -> tuple[str, str] | None:
    """``'owner#fragment'`` -> (owner, fragment), or None when ``ident`` is no figure reference."""
    m = FIGURE_REF_RE.match(ident)
    return (m.group("owner"), m.group("frag")) if m else None


def _matches(figures: Sequence[dict], frag: str) -> list[int]:
    """Indexes of the figures a fragment names (several when it is ambiguous)."""
    if frag.isdigit():
        n = int(frag)
        return [n - 1] if 1 <= n <= len(figures) else []
    m = _FRAG_RE.match(frag)
    if not m:
        return []
    metric, when, k = m.group("metric"), m.group("when"), m.group("k")
    found = [i for i, f in enumerate(figures) if f["metric"] == metric]
    if when is not None:
        if when == UNDATED:
            found = [i for i in found if not figures[i].get("as_of")]
        else:
            exact = [i for i in found if figures[i].get("as_of") == when]
            found = exact or [i for i in found if _within(figures[i].get("as_of"), when)]
    if k is not None:
        n = int(k)
        found = [found[n - 1]] if 1 <= n <= len(found) else []
    return found


def _within(as_of: str | None, when: str) -> bool:
    """A date given more fully than ``when`` (2023-05-27 within 2023); periods match only exactly."""
    return as_of is not None and "/" not in as_of and "/" not in when and as_of.startswith(when + "-")


def figure_handles(owner: str, figures: Sequence[dict]) -> list[str]:
    """The handle of each figure of one owner (``figures`` in seed order, each with metric and as_of)."""
    out = []
    for i, f in enumerate(figures):
        when = f.get("as_of") or UNDATED
        forms = [f["metric"]]
        if f.get("as_of") and "/" not in f["as_of"] and len(f["as_of"]) > 4:
            forms.append(f"{f['metric']}@{f['as_of'][:4]}")
        forms.append(f"{f['metric']}@{when}")
        chosen = next((x for x in forms if _matches(figures, x) == [i]), None)
        if chosen is None:
            same = _matches(figures, f"{f['metric']}@{when}")
            chosen = f"{f['metric']}@{when}~{same.index(i) + 1}"
        out.append(f"{owner}#{chosen}")
    return out


def pick_figure(owner: str, figures: Sequence[dict], frag: str) -> int:
    """The index of the one figure of ``owner`` that ``frag`` names; NotFoundError (listing the
    handles to choose from) when it names none or several."""
    found = _matches(figures, frag)
    if len(found) == 1:
        return found[0]
    handles = figure_handles(owner, figures)
    if found:
        raise NotFoundError(f"'{owner}#{frag}' names {len(found)} figures; cite one of: "
                            + ", ".join(handles[i] for i in found))
    listed = ", ".join(handles) or "none"
    raise NotFoundError(f"'{owner}#{frag}': no such figure of {owner} (its figures: {listed})")
