"""Validate a seed: every problem, each with FILE:LINE:COL and a field path.

``load_seed`` streams the file through the reader, validates each item with
its pydantic model and hands the valid ones to a sink (the database builder)
as it goes. Checks that need the whole seed run at the end (``whole``): ids
unique across all kinds, references that resolve, no cycles in hierarchies;
and the vocabularies' names, within and across vocabularies (``terms``).

Errors make the seed invalid. Warnings (``Validator.warnings``) do not; they
are what a curator should look at, and ``kb validate --strict`` fails on them:

* a record tagged with a term that has ``evidence_cues`` (itself or a broader
  term: ``funding`` lists the words that name money) whose own evidence
  contains none of them, unless the record's notes say why, naming the term.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from ..errors import Issue, SeedError, check_stop
from ..paths import Input
from ..text import fold_quote
from . import models as m
from .reader import Item, Unlocated, evidence_in, format_path, read_file
from .terms import TermChecks
from .whole import REPEATS, VOCAB_LABEL, WANT, Seen, WholeSeedChecks

__all__ = ["REPEATS", "VOCAB_LABEL", "Sink", "Validator", "load_seed"]


class Sink(Protocol):
    def add(self, section: str, obj: Any) -> None: ...


@dataclass
class Validator(WholeSeedChecks, TermChecks):
    file: str
    issues: list[Issue] = field(default_factory=list)
    ids: dict[str, Seen] = field(default_factory=dict)
    # references to check at the end: (target, wanted kind, item path, loc, line, col); tuples, as a
    # large seed holds millions of them, with the field path formatted only when one fails
    refs: list[tuple] = field(default_factory=list)
    article_refs: list[tuple[str, int, str, int, int]] = field(default_factory=list)
    law_articles: dict[str, set[int] | None] = field(default_factory=dict)
    parents: dict[str, dict[str, tuple[str, str, int, int]]] = field(default_factory=dict)
    part_of: dict[str, tuple[str, str, int, int]] = field(default_factory=dict)
    source_parents: dict[str, tuple[str, str, int, int]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    meta: m.Meta | None = None
    meta_item: Item | None = None
    warnings: list[Issue] = field(default_factory=list)
    # per vocabulary: folded name -> (term, name as written), to refuse a name shared by two terms
    term_names: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    # folded name -> vocabulary -> (term, name, path, line, col) of its first holder: names across vocabularies
    names_across: dict[str, dict[str, tuple[str, str, str, int, int]]] = field(default_factory=dict)
    cues: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # vocabulary -> term -> evidence_cues
    sections_done: set[str] = field(default_factory=set)
    _section: str = ""
    _cue_res: dict[tuple[str, str], re.Pattern | None] = field(default_factory=dict)
    # records tagged before their vocabulary was complete: checked at the end
    _pending_tags: list[tuple] = field(default_factory=list)
    meta_seen: bool = False
    more: int = 0  # problems found beyond the SeedError.KEEP kept
    # False: items come without positions (the build's first pass), the first problem raises
    # Unlocated (the caller validates again, located) and no warnings are looked for
    located: bool = True
    _unlocated: dict[str, Seen] = field(default_factory=dict)

    # ------------------------------------------------------------------
    def issue(self, line: int, col: int, message: str, path: str = "") -> None:
        if not self.located:
            raise Unlocated
        if len(self.issues) < SeedError.KEEP:
            self.issues.append(Issue(self.file, line, col, message, path))
        else:
            self.more += 1

    def unknown_section(self, name: str, line: int, col: int) -> None:
        if name == "meta":
            self.meta_seen = True
        elif name not in m.SECTIONS:
            known = ", ".join(["meta", *m.SECTIONS])
            self.issue(line, col, f"unknown section {name!r}; the sections are {known}", name)

    def check(self, item: Item) -> Any:
        """Validate one item; return the model, or None when it is invalid."""
        section = item.section
        if section != self._section:  # sections come whole: the one before is complete
            self.sections_done.add(self._section)
            self._section = section
        if section == "meta":
            model_cls: Any = m.Meta
        elif section in m.SECTIONS:
            model_cls = m.SECTIONS[section]
        else:
            return None  # reported once by unknown_section
        for line, col, msg, path in item.problems:
            self.issue(line, col, msg, format_path(item.where, path))
        self.more += item.more_problems
        if section != "meta" and item.index is None:
            self.issue(item.line, item.col, f"section {section!r} must be a list", section)
            return None
        try:
            obj = model_cls.model_validate(item.data)
        except ValidationError as exc:
            self._pydantic_issues(item, exc)
            if section != "meta":
                self._collect_raw(item, section)
            return None
        self.counts[section] = self.counts.get(section, 0) + 1
        if section == "meta":
            self.meta, self.meta_item = obj, item
            for i, shared in enumerate(obj.shared_names):
                for j, tid in enumerate(shared.terms):
                    self._ref(item, ("shared_names", i, "terms", j), tid, "terms")
            return obj
        # registered before the other checks, so that an item failing them is still known to
        # the references to it, and a repeated id is reported as such whatever else is wrong
        unique = self._register(item, section, obj.id)
        if not self._local_checks(item, section, obj):
            return None
        if not self.located and section in m.RECORDS:
            self._collect_record_unlocated(item, section, obj)
        else:
            self._collect(item, section, obj)
        return obj if unique else None

    def _register(self, item: Item, section: str, ident: str) -> bool:
        """Record where ``ident`` is defined; a repeated id is a problem. True when it is new."""
        if not self.located:
            if ident in self.ids:
                raise Unlocated
            # one record per section, shared: at a million items, a record of its own each cost 100 MB
            seen = self._unlocated.get(section)
            if seen is None:
                seen = self._unlocated[section] = Seen(section, "", 0, 0)
            self.ids[ident] = seen
            return True
        line, col = item.locate(("id",))
        where = format_path(item.where, ("id",))
        prev = self.ids.get(ident)
        if prev is not None:
            self.issue(line, col, f"duplicate id {ident!r}, first used at line {prev.line} ({prev.path})", where)
            return False
        self.ids[ident] = Seen(section, where, line, col)
        return True

    def _collect_raw(self, item: Item, section: str) -> None:
        """For an item that failed validation: register its id and check its
        references anyway, so that one bad field neither hides other problems
        nor makes every reference to the item an error."""
        d = item.data
        if not isinstance(d, dict):
            return
        if isinstance(d.get("id"), str) and self._register(item, section, d["id"]) and section == "laws":
            self.law_articles[d["id"]] = None  # articles unknown: skip article checks
        if section in m.RECORDS:
            for fname, vocab in m.VOCAB_OF_FIELD.items():
                values = d.get(fname)
                if isinstance(values, list):
                    for i, t in enumerate(values):
                        if isinstance(t, str):
                            self._ref(item, (fname, i), t, vocab)
        for path, ev in evidence_in(d):
            if isinstance(ev.get("source"), str):
                self._ref(item, path + ("source",), ev["source"], "sources")

    def _pydantic_issues(self, item: Item, exc: ValidationError) -> None:
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            kind = err["type"]
            msg = err["msg"]
            msg = msg.removeprefix("Value error, ")
            if kind == "string_pattern_mismatch" and err.get("ctx", {}).get("pattern") in m.PATTERN_CHECKS:
                try:  # the pattern's own check says what is wrong
                    m.PATTERN_CHECKS[err["ctx"]["pattern"]](err["input"])
                except ValueError as why:
                    msg = str(why)
            if kind == "extra_forbidden":
                line, col = item.locate(loc, key=True)
                msg = f"unknown field {loc[-1]!r}"
            elif kind == "missing":
                line, col = item.locate(loc[:-1])
                msg = f"missing required field {loc[-1]!r}"
            elif kind == "too_short" and loc and loc[-1] == "evidence":
                line, col = item.locate(loc)
                msg = "needs at least one evidence quote"
            else:
                line, col = item.locate(loc)
                if kind in ("string_type", "int_parsing", "int_type", "list_type", "dict_type", "model_type",
                            "literal_error", "bool_parsing") and "input" in err and not isinstance(
                        err["input"], (dict, list)):
                    msg = f"{msg}, got {err['input']!r}"
            self.issue(line, col, msg, format_path(item.where, loc))

    def _local_checks(self, item: Item, section: str, obj: Any) -> bool:
        """Checks inside one item that pydantic's field rules cannot express."""
        ok = True
        for i, fig in enumerate(getattr(obj, "figures", ())):
            if fig.qualifier == "range" and fig.value_max is None:
                self._at(item, ("figures", i, "value_max"), "a 'range' figure needs value_max")
                ok = False
            if fig.value_max is not None and fig.value_max < fig.value:
                self._at(item, ("figures", i, "value_max"), "value_max is below value")
                ok = False
            if any(fig.original in e.quote for e in fig.evidence):
                continue  # printed exactly so: the usual case, no folding needed
            folded = fold_quote(fig.original)
            if not any(folded in fold_quote(e.quote) for e in fig.evidence):
                self._at(item, ("figures", i, "original"),
                         f"original {fig.original!r} does not appear in the figure's evidence quotes")
                ok = False
        if section in m.RECORDS:
            for name in ("regions", "mechanisms", "instruments", "addresses", "related", "implements"):
                values = getattr(obj, name)
                if len(set(values)) == len(values):
                    continue  # the usual case: nothing listed twice
                seen: set[str] = set()
                for i, v in enumerate(values):
                    if v in seen:
                        self._at(item, (name, i), f"{v!r} is listed twice")
                        ok = False
                    seen.add(v)
            if obj.part_of == obj.id:
                self._at(item, ("part_of",), "a record cannot be part of itself")
                ok = False
        if section == "laws":
            seen_art: set[tuple[int, str | None]] = set()
            for i, art in enumerate(obj.articles):
                key = (art.number, art.version)
                if key in seen_art:
                    self._at(item, ("articles", i, "number"), f"article {art.number} is listed twice")
                    ok = False
                seen_art.add(key)
        if section == "sources":
            if obj.part_of is None and obj.file is None:
                self._at(item, ("file",), "a source needs 'file' (or 'part_of' naming the document it is in)")
                ok = False
            if obj.part_of == obj.id:
                self._at(item, ("part_of",), "a source cannot be part of itself")
                ok = False
        if section in m.VOCABS and obj.parent == obj.id:
            self._at(item, ("parent",), "a term cannot be its own parent")
            ok = False
        if section in m.VOCABS:
            for i, other in enumerate(obj.see_also):
                if other == obj.id:  # reported, but the term stays usable, so references to it resolve
                    self._at(item, ("see_also", i), "a term cannot be 'see also' to itself")
        return ok

    def _at(self, item: Item, loc: tuple, message: str) -> None:
        line, col = item.locate(loc)
        self.issue(line, col, message, format_path(item.where, loc))

    def _ref(self, item: Item, loc: tuple, target: str, want: str) -> None:
        seen = self.ids.get(target)
        if seen is not None and seen.section in WANT[want][0]:
            return  # resolved already (vocabularies come before records in most seeds)
        line, col = (item.pos.get(loc) or item.locate(loc)) if self.located else (0, 0)
        self.refs.append((target, want, item.where, loc, line, col))

    def _evidence_refs(self, item: Item, prefix: tuple, evidence: list) -> None:
        for i, e in enumerate(evidence):
            self._ref(item, prefix + ("evidence", i, "source"), e.source, "sources")

    def _collect(self, item: Item, section: str, obj: Any) -> None:
        self._evidence_refs(item, (), obj.evidence)
        for i, fig in enumerate(getattr(obj, "figures", ())):
            self._evidence_refs(item, ("figures", i), fig.evidence)
        if section == "sources" and obj.part_of:
            self._ref(item, ("part_of",), obj.part_of, "sources")
            line, col = item.locate(("part_of",))
            self.source_parents[obj.id] = (obj.part_of, format_path(item.where, ("part_of",)), line, col)
        if section in m.VOCABS:
            line, col = item.locate(("parent",))
            self.parents.setdefault(section, {})[obj.id] = (
                obj.parent or "", format_path(item.where, ("parent",)), line, col)
            self._term_names(item, section, obj)
            for i, other in enumerate(obj.see_also):
                if other != obj.id:
                    self._ref(item, ("see_also", i), other, section)
            if obj.evidence_cues:
                self.cues.setdefault(section, {})[obj.id] = obj.evidence_cues
            return
        if section not in m.RECORDS:
            return
        for fname, vocab in m.VOCAB_OF_FIELD.items():
            for i, term in enumerate(getattr(obj, fname)):
                self._ref(item, (fname, i), term, vocab)
        self._tag_evidence(item, obj)
        for i, lb in enumerate(obj.legal_basis):
            self._ref(item, ("legal_basis", i, "law"), lb.law, "laws")
            for j, n in enumerate(lb.articles):
                line, col = item.locate(("legal_basis", i, "articles", j))
                self.article_refs.append(
                    (lb.law, n, format_path(item.where, ("legal_basis", i, "articles", j)), line, col))
        for i, t in enumerate(obj.implements):
            self._ref(item, ("implements", i), t, "implementable")
        for i, t in enumerate(obj.related):
            self._ref(item, ("related", i), t, "records")
        if obj.part_of:
            self._ref(item, ("part_of",), obj.part_of, "records")
            line, col = item.locate(("part_of",))
            self.part_of[obj.id] = (obj.part_of, format_path(item.where, ("part_of",)), line, col)
        if section == "laws":
            self.law_articles[obj.id] = {a.number for a in obj.articles}
            for i, art in enumerate(obj.articles):
                self._evidence_refs(item, ("articles", i), art.evidence)
        if section == "models":
            for i, c in enumerate(obj.components):
                self._evidence_refs(item, ("components", i), c.evidence)

    def _collect_record_unlocated(self, item: Item, section: str, obj: Any) -> None:
        """``_collect`` for a record, without positions (the build's first pass): what ``finish``
        checks, as plain tuples, and only the references not resolved yet."""
        ids, refs, where = self.ids, self.refs, item.where
        wanted = [(obj.quote_sources(), "sources"), (obj.regions, "regions"), (obj.mechanisms, "mechanisms"),
                  (obj.instruments, "instruments"), (obj.addresses, "blockages"), (obj.implements, "implementable"),
                  (obj.related, "records"), ([lb.law for lb in obj.legal_basis], "laws")]
        if obj.part_of:
            wanted.append(([obj.part_of], "records"))
            self.part_of[obj.id] = (obj.part_of, where, 0, 0)
        for targets, want in wanted:
            sections = WANT[want][0]
            for target in targets:
                seen = ids.get(target)
                if seen is None or seen.section not in sections:
                    refs.append((target, want, where, (), 0, 0))
        for lb in obj.legal_basis:
            for n in lb.articles:
                self.article_refs.append((lb.law, n, where, 0, 0))
        if section == "laws":
            self.law_articles[obj.id] = {a.number for a in obj.articles}

    # ------------------------------------------------------------------
    def finish(self) -> list[Issue]:
        """Whole-seed checks; returns every issue found so far."""
        self.check_references()
        self.check_articles()
        self.check_hierarchies()
        self.check_shared_names()
        self.check_pending_tags()
        self.warnings.sort()
        return self.issues


def load_seed(path: str | Path | Input, sink: Sink | None = None, label: str | None = None,
              on_validator: Callable[[Validator], None] | None = None, located: bool = True,
              progress: Callable[[int], None] | None = None) -> Validator:
    """Validate the seed at ``path``, feeding valid items to ``sink``.

    Raises ``SeedError`` carrying every issue when anything is wrong;
    ``on_validator`` receives the validator first, so that a caller can
    still read its warnings then. Without ``located`` (the build's first pass:
    faster, for a seed that is valid) the first problem raises ``Unlocated``,
    or ``SeedError`` for one the YAML parser found, and no warnings are looked
    for: validate again, located, to report them. ``progress`` is called with
    the bytes read so far.
    """
    if not isinstance(path, Input):
        path = Path(path)
    label = label or (path.name if isinstance(path, Input) else str(path))
    v = Validator(label, located=located)
    if on_validator is not None:
        on_validator(v)
    try:
        for item in read_file(path, label, on_section=v.unknown_section, located=located, progress=progress):
            check_stop()  # a stop signal whose exception pydantic-core swallowed stops the reading here
            obj = v.check(item)
            if obj is not None and sink is not None and item.section != "meta":
                sink.add(item.section, obj)
    except SeedError as exc:  # unreadable or a syntax error: with what was found before it
        raise SeedError(v.issues + exc.issues, v.more) from None
    if not v.meta_seen:
        v.issue(1, 1, "missing section 'meta' (title and description of the base)", "meta")
    issues = v.finish()
    if issues or v.more:
        raise SeedError(issues, v.more)
    return v
