"""Validate a seed: every problem, each with FILE:LINE:COL and a field path.

``load_seed`` streams the file through the reader, validates each item with
its pydantic model and hands the valid ones to a sink (the database builder)
as it goes. Checks that need the whole seed run at the end: ids unique across
all kinds, references that resolve, no cycles in hierarchies.

Errors make the seed invalid. Warnings (``Validator.warnings``) do not; they
are what a curator should look at, and ``kb validate --strict`` fails on them:

* a record tagged with a term that has ``evidence_cues`` (itself or a broader
  term: ``funding`` lists the words that name money) whose own evidence
  contains none of them, unless the record's notes say why, naming the term.

Within one vocabulary, a name or alias (folded as matching folds it,
``kbcli.text.loose``) may name only one term: an error, since a filter value
would silently pick up the other term's records. Related terms are linked
with ``see_also`` (or a broader term) instead.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from ..errors import Issue, SeedError, check_stop
from ..paths import Input
from ..text import fold, fold_quote, loose
from . import models as m
from .reader import Item, Unlocated, evidence_in, format_path, read_file

REPEATS = 3  # references to one unknown target listed one by one; the rest are counted
VOCAB_LABEL = {"regions": "region", "mechanisms": "mechanism", "instruments": "instrument",
               "blockages": "blockage"}

# which sections a reference of each kind may point into, and what the messages call it
_WANT: dict[str, tuple[frozenset, str]] = {
    "records": (frozenset(m.RECORDS), "record"), "implementable": (frozenset(("laws", "pilots")), "law or pilot"),
    "laws": (frozenset(("laws",)), "law"), "sources": (frozenset(("sources",)), "source"),
    **{v: (frozenset((v,)), VOCAB_LABEL[v]) for v in m.VOCABS}}


# "{n}" in an evidence cue: a number in digits or Chinese numerals, with its multipliers (50亿多, 百万, 2.4亿)
_NUMBER = r"(?:\d[\d.,]*|[〇零一二两三四五六七八九十百千万亿几数]+)[十百千万亿]*[多余]?"


def _fold_cue(s: str) -> str:
    """Evidence and cues compared as names are matched: folded (either script), no whitespace."""
    return re.sub(r"\s+", "", fold(s))


class Sink(Protocol):
    def add(self, section: str, obj: Any) -> None: ...


@dataclass
class _Seen:
    section: str
    path: str
    line: int
    col: int


@dataclass
class Validator:
    file: str
    issues: list[Issue] = field(default_factory=list)
    ids: dict[str, _Seen] = field(default_factory=dict)
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
    warnings: list[Issue] = field(default_factory=list)
    # per vocabulary: folded name -> (term, name as written), to refuse a name shared by two terms
    term_names: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
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
    _unlocated: dict[str, _Seen] = field(default_factory=dict)

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
            self.meta = obj
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
                seen = self._unlocated[section] = _Seen(section, "", 0, 0)
            self.ids[ident] = seen
            return True
        line, col = item.locate(("id",))
        where = format_path(item.where, ("id",))
        prev = self.ids.get(ident)
        if prev is not None:
            self.issue(line, col, f"duplicate id {ident!r}, first used at line {prev.line} ({prev.path})", where)
            return False
        self.ids[ident] = _Seen(section, where, line, col)
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
        if seen is not None and seen.section in _WANT[want][0]:
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
            sections = _WANT[want][0]
            for target in targets:
                seen = ids.get(target)
                if seen is None or seen.section not in sections:
                    refs.append((target, want, where, (), 0, 0))
        for lb in obj.legal_basis:
            for n in lb.articles:
                self.article_refs.append((lb.law, n, where, 0, 0))
        if section == "laws":
            self.law_articles[obj.id] = {a.number for a in obj.articles}

    def _term_names(self, item: Item, section: str, obj: Any) -> None:
        """Refuse a name or alias that, folded as matching folds it, already names another term."""
        table = self.term_names.setdefault(section, {})
        label = VOCAB_LABEL[section]
        names: list[tuple[tuple, str]] = [(("id",), obj.id), (("name_zh",), obj.name_zh), (("name_en",), obj.name_en)]
        names += [(("aliases", i), a) for i, a in enumerate(obj.aliases)]
        for loc, name in names:
            key = loose(name)
            if not key:
                continue
            owner = table.get(key)
            if owner is None:
                table[key] = (obj.id, name)
            elif owner[0] != obj.id:
                what = "alias" if loc[0] == "aliases" else loc[0]
                self._at(item, loc, f"{what} {name!r} also names {label} {owner[0]!r} (as {owner[1]!r}); a name "
                                    f"may name only one term of a vocabulary: keep it on one and link the terms "
                                    f"with see_also or a broader term")

    def _cue_re(self, vocab: str, tid: str) -> re.Pattern | None:
        """The evidence cues of a term and its broader terms, as one pattern (None: no cues)."""
        key = (vocab, tid)
        if key not in self._cue_res:
            cues: list[str] = []
            seen: set[str] = set()
            parents = self.parents.get(vocab, {})
            t: str = tid
            while t and t not in seen:
                seen.add(t)
                cues.extend(self.cues.get(vocab, {}).get(t, ()))
                t = parents[t][0] if t in parents else ""
            alts = ["".join(_NUMBER if part == "{n}" else re.escape(part)
                            for part in re.split(r"(\{n\})", _fold_cue(c))) for c in cues]
            self._cue_res[key] = re.compile("|".join(a for a in alts if a)) if alts else None
        return self._cue_res[key]

    def _tag_evidence(self, item: Item, obj: Any) -> None:
        """Warn where a record carries a term whose evidence cues none of its quotes contains."""
        if not self.located:
            return
        todo = [(fname, vocab, i, t) for fname, vocab in m.VOCAB_OF_FIELD.items()
                for i, t in enumerate(getattr(obj, fname))
                if vocab not in self.sections_done or self._cue_re(vocab, t) is not None]
        if not todo:
            return
        text = "\n".join(_fold_cue(ev["quote"]) for _, ev in evidence_in(item.data) if isinstance(ev.get("quote"), str))
        for fname, vocab, i, t in todo:
            line, col = item.pos.get((fname, i)) or item.locate((fname, i))
            entry = (vocab, t, format_path(item.where, (fname, i)), line, col, text, obj.notes or "")
            if vocab in self.sections_done:
                self._check_tag(*entry)
            else:
                self._pending_tags.append(entry)

    def _check_tag(self, vocab: str, tid: str, path: str, line: int, col: int, text: str, notes: str) -> None:
        pattern = self._cue_re(vocab, tid)
        if pattern is None or pattern.search(text):
            return
        if re.search(rf"(?<![\w-]){re.escape(tid)}(?![\w-])", notes):
            return  # the notes say why
        owner = next((t for t in self._chain(vocab, tid) if t in self.cues.get(vocab, {})), tid)
        cues = ", ".join(self.cues[vocab][owner])
        self.warnings.append(Issue(
            self.file, line, col,
            f"warning: {VOCAB_LABEL[vocab]} {tid!r} (under {owner!r}) needs its evidence to name one of: {cues}; "
            f"no quote of this record does. Drop the tag, quote the passage that names it, or say why in "
            f"notes, naming {tid!r}", path))

    def _chain(self, vocab: str, tid: str) -> list[str]:
        out: list[str] = []
        parents = self.parents.get(vocab, {})
        while tid and tid not in out:
            out.append(tid)
            tid = parents[tid][0] if tid in parents else ""
        return out

    # ------------------------------------------------------------------
    def finish(self) -> list[Issue]:
        """Whole-seed checks; returns every issue found so far."""
        candidates: dict[str, list[str]] = {}  # per wanted kind, built at its first failure
        messages: dict[tuple[str, str], str] = {}  # one message (and one search for close ids) per target
        # A target referenced from many places (a renamed source) is listed REPEATS times, then once
        # with the count of the rest: one cause, not a flood of lines.
        repeats: dict[tuple[str, str], list] = {}
        for target, want, where, loc, line, col in self.refs:
            sections, label = _WANT[want]
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
        for law, number, path, line, col in self.article_refs:
            arts = self.law_articles.get(law)
            if arts is not None and number not in arts:
                listed = ", ".join(str(a) for a in sorted(arts)) or "none"
                self.issue(line, col, f"law {law!r} has no article {number} in the seed (articles: {listed})", path)
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
        for entry in self._pending_tags:
            self._check_tag(*entry)
        self._pending_tags.clear()
        self.warnings.sort()
        return self.issues

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
