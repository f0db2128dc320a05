"""Whole-seed checks of ``validate``, run once every item has been read: references that resolve
(to the right kind of item), law articles that exist, parents that are terms of the same
vocabulary, and no cycles in hierarchies or ``part_of`` chains.

``WholeSeedChecks`` is a part of ``validate.Validator``; it reads the validator's tables.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from ..errors import Issue, SeedError
from . import models as m
from .reader import format_path

REPEATS = 3  # references to one unknown target listed one by one; the rest are counted
VOCAB_LABEL = {"regions": "region", "mechanisms": "mechanism", "instruments": "instrument",
               "blockages": "blockage"}

# which sections a reference of each kind may point into, and what the messages call it
WANT: dict[str, tuple[frozenset, str]] = {
    "records": (frozenset(m.RECORDS), "record"), "implementable": (frozenset(("laws", "pilots")), "law or pilot"),
    "laws": (frozenset(("laws",)), "law"), "sources": (frozenset(("sources",)), "source"),
    "terms": (frozenset(m.VOCABS), "term"),
    **{v: (frozenset((v,)), VOCAB_LABEL[v]) for v in m.VOCABS}}


@dataclass
class Seen:
    """Where an id is defined."""

    section: str
    path: str
    line: int
    col: int


class WholeSeedChecks:
    """The checks ``Validator.finish`` runs at the end (mixed into ``Validator``)."""

    file: str
    issues: list[Issue]
    ids: dict[str, Seen]
    refs: list[tuple]
    article_refs: list[tuple[str, int, str, int, int]]
    law_articles: dict[str, set[int] | None]
    parents: dict[str, dict[str, tuple[str, str, int, int]]]
    part_of: dict[str, tuple[str, str, int, int]]
    source_parents: dict[str, tuple[str, str, int, int]]
    more: int

    def issue(self, line: int, col: int, message: str, path: str = "") -> None:
        raise NotImplementedError  # Validator.issue

    def check_references(self) -> None:
        """Every reference resolves to an item of the kind it wants; an unknown one names the closest ids."""
        candidates: dict[str, list[str]] = {}  # per wanted kind, built at its first failure
        messages: dict[tuple[str, str], str] = {}  # one message (and one search for close ids) per target
        # A target referenced from many places (a renamed source) is listed REPEATS times, then once
        # with the count of the rest: one cause, not a flood of lines.
        repeats: dict[tuple[str, str], list] = {}
        for target, want, where, loc, line, col in self.refs:
            sections, label = WANT[want]
            other = self.ids.get(target)
            if other is not None and other.section in sections:
                continue
            key = (target, want)
            seen = repeats.setdefault(key, [0, None])
            seen[0] += 1
            if seen[0] > REPEATS:
                if seen[1] is None:
                    seen[1] = (line, col, format_path(where, loc))
                continue
            if len(self.issues) >= SeedError.KEEP:
                self.more += 1
                continue
            if key not in messages:
                if other is not None:
                    msg = f"{target!r} is a {other.section[:-1]}, not a {label}"
                else:
                    msg = f"unknown {label} {target!r}"
                    if want not in candidates:
                        candidates[want] = [i for i, s in self.ids.items() if s.section in sections]
                    # suggestions for the first 200 unknown ids only: each search is linear in the ids
                    close = difflib.get_close_matches(target, candidates[want][:5000], n=3, cutoff=0.6) \
                        if len(messages) < 200 else []
                    if close:
                        msg += "; did you mean " + ", ".join(repr(c) for c in close) + "?"
                messages[key] = msg
            self.issue(line, col, messages[key], format_path(where, loc))
        for (target, want), (n, first) in repeats.items():
            if n > REPEATS:
                line, col, path = first
                what = messages.get((target, want), f"{target!r}").split(";")[0]
                self.issue(line, col, f"{what}: {n - REPEATS} more reference{'s' if n - REPEATS != 1 else ''} "
                           "to it, from here on, not listed", path)

    def check_articles(self) -> None:
        for law, number, path, line, col in self.article_refs:
            arts = self.law_articles.get(law)
            if arts is not None and number not in arts:
                listed = ", ".join(str(a) for a in sorted(arts)) or "none"
                self.issue(line, col, f"law {law!r} has no article {number} in the seed (articles: {listed})", path)

    def check_hierarchies(self) -> None:
        """Parents are terms of the same vocabulary; no vocabulary, part_of or sources' part_of cycles."""
        for section, table in self.parents.items():
            label = VOCAB_LABEL[section]
            for parent, path, line, col in table.values():
                if not parent:
                    continue
                if parent not in table:
                    other = self.ids.get(parent)
                    if other is not None:
                        msg = f"parent {parent!r} is a {other.section[:-1]}, not a {label}"
                    else:
                        msg = f"unknown parent {label} {parent!r}"
                        close = difflib.get_close_matches(parent, list(table), n=3, cutoff=0.6)
                        if close:
                            msg += "; did you mean " + ", ".join(repr(c) for c in close) + "?"
                    self.issue(line, col, msg, path)
            self._cycles({t: v[0] for t, v in table.items() if v[0]},
                         {t: v[1:] for t, v in table.items() if v[0]}, f"{label} hierarchy")
        for edges, label in ((self.part_of, "part_of chain"), (self.source_parents, "sources' part_of chain")):
            self._cycles({k: v[0] for k, v in edges.items()}, {k: v[1:] for k, v in edges.items()}, label)

    def _cycles(self, edges: dict[str, str], where: dict[str, tuple], label: str) -> None:
        done: set[str] = set()
        for start in edges:
            if start in done:
                continue
            trail: list[str] = []
            node = start
            while node in edges and node not in done and node not in trail:
                trail.append(node)
                node = edges[node]
            if node in trail:
                cycle = trail[trail.index(node):]
                first = min(cycle)
                path, line, col = where[first]
                loop = " -> ".join(cycle[cycle.index(first):] + cycle[: cycle.index(first)] + [first])
                self.issue(line, col, f"cycle in the {label}: {loop}", path)
            done.update(trail)
