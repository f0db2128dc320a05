"""Checks on vocabulary terms, for ``validate``: one meaning per word, and tags backed by evidence.

* Within one vocabulary a name or alias (folded as matching folds it, ``kbcli.text.loose``) may
  name only one term: an error, since a filter value would silently pick up the other term's
  records. Related terms are linked with ``see_also`` (or a broader term) instead.
* Across vocabularies a name may name terms of two or more vocabularies only where
  ``meta.shared_names`` declares it, with the terms and a reason: otherwise a question using the
  word would be read as one vocabulary's term and miss the other's records. A declaration must
  list every term the name names, each of which must hold the name.
* A record tagged with a term that has ``evidence_cues`` (itself or a broader term: ``funding``
  lists the words that name money) whose own evidence contains none of them is a warning, unless
  the record's notes say why, naming the term.

``TermChecks`` is a part of ``validate.Validator``.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import Issue
from ..text import fold, loose
from . import models as m
from .reader import Item, evidence_in, format_path
from .whole import VOCAB_LABEL

# "{n}" in an evidence cue: a number in digits or Chinese numerals, with its multipliers (50亿多, 百万, 2.4亿)
_NUMBER = r"(?:\d[\d.,]*|[〇零一二两三四五六七八九十百千万亿几数]+)[十百千万亿]*[多余]?"


def _fold_cue(s: str) -> str:
    """Evidence and cues compared as names are matched: folded (either script), no whitespace."""
    return re.sub(r"\s+", "", fold(s))


class TermChecks:
    """Names of terms within and across vocabularies, and tags against evidence cues (mixed into
    ``Validator``)."""

    file: str
    located: bool
    meta: m.Meta | None
    meta_item: Item | None
    warnings: list[Issue]
    parents: dict[str, dict[str, tuple[str, str, int, int]]]
    # per vocabulary: folded name -> (term, name as written), to refuse a name shared by two terms
    term_names: dict[str, dict[str, tuple[str, str]]]
    # folded name -> vocabulary -> (term, name as written, path, line, col) of its first holder there
    names_across: dict[str, dict[str, tuple[str, str, str, int, int]]]
    cues: dict[str, dict[str, list[str]]]  # vocabulary -> term -> evidence_cues
    sections_done: set[str]
    _cue_res: dict[tuple[str, str], re.Pattern | None]
    _pending_tags: list[tuple]

    def issue(self, line: int, col: int, message: str, path: str = "") -> None:
        raise NotImplementedError  # Validator.issue

    def _at(self, item: Item, loc: tuple, message: str) -> None:
        raise NotImplementedError  # Validator._at

    # ------------------------------------------------------------------ names
    def _term_names(self, item: Item, section: str, obj: Any) -> None:
        """Refuse a name or alias that, folded as matching folds it, already names another term of the
        vocabulary; note the names other vocabularies may hold too (checked in ``check_shared_names``)."""
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
                if self.located:
                    line, col = item.locate(loc)
                    self.names_across.setdefault(key, {})[section] = (
                        obj.id, name, format_path(item.where, loc), line, col)
                else:
                    self.names_across.setdefault(key, {})[section] = (obj.id, name, item.where, 0, 0)
            elif owner[0] != obj.id:
                what = "alias" if loc[0] == "aliases" else loc[0]
                self._at(item, loc, f"{what} {name!r} also names {label} {owner[0]!r} (as {owner[1]!r}); a name "
                                    f"may name only one term of a vocabulary: keep it on one and link the terms "
                                    f"with see_also or a broader term")

    def check_shared_names(self) -> None:
        """A name held by terms of several vocabularies must be declared in ``meta.shared_names``, listing
        exactly those terms; each declaration must name two or more terms (of two vocabularies or more)
        that all hold it, once."""
        declared: dict[str, int] = {}
        decls = self.meta.shared_names if self.meta is not None else []
        for i, d in enumerate(decls):
            key = loose(d.name)
            if key in declared:
                self._meta_issue(("shared_names", i, "name"),
                                 f"{d.name!r} is declared again (first at shared_names[{declared[key]}])")
                continue
            declared[key] = i
            holders = self.names_across.get(key, {})
            held = {tid for tid, *_ in holders.values()}
            for j, tid in enumerate(d.terms):
                if tid in held:
                    continue
                label = self._vocab_label(tid)
                if label is not None:  # an unknown id is reported by the reference check
                    self._meta_issue(("shared_names", i, "terms", j),
                                     f"{label} {tid!r} has no name or alias {d.name!r}: list only the terms it names")
            if len({self._vocab_label(t) for t in d.terms} - {None}) == 1:
                self._meta_issue(("shared_names", i, "terms"),
                                 f"{d.name!r} is declared shared by terms of one vocabulary; within a vocabulary a "
                                 f"name names one term")
        for key, holders in self.names_across.items():
            if len(holders) < 2:
                continue
            at = declared.get(key)
            listed = set(decls[at].terms) if at is not None else set()
            (first_vocab, (first_tid, first_name, *_)), *rest = holders.items()
            for vocab, (tid, name, path, line, col) in rest:
                if at is None:
                    why = ("terms of different vocabularies may share a name only where meta.shared_names declares "
                           "it (name, terms, reason)")
                elif tid not in listed or first_tid not in listed:
                    missing = ", ".join(repr(t) for t in (first_tid, tid) if t not in listed)
                    why = (f"meta.shared_names[{at}] declares {decls[at].name!r} for {', '.join(decls[at].terms)}, "
                           f"not {missing}")
                else:
                    continue
                what = "alias" if ".aliases[" in path else path.rsplit(".", 1)[-1]
                self.issue(line, col, f"{what} {name!r} also names {VOCAB_LABEL[first_vocab]} {first_tid!r} "
                                      f"(as {first_name!r}); {why}: keep the name on one term, or declare it shared "
                                      f"(a filter or question using it then means every term listed)", path)

    def _vocab_label(self, tid: str) -> str | None:
        for section, table in self.parents.items():
            if tid in table:
                return VOCAB_LABEL[section]
        return None

    def _meta_issue(self, loc: tuple, message: str) -> None:
        if self.meta_item is not None:
            self._at(self.meta_item, loc, message)
        else:  # pragma: no cover - a meta model always comes from an item
            self.issue(1, 1, message, format_path("meta", loc))

    # ------------------------------------------------------------------ evidence cues
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

    def check_pending_tags(self) -> None:
        for entry in self._pending_tags:
            self._check_tag(*entry)
        self._pending_tags.clear()

    def _chain(self, vocab: str, tid: str) -> list[str]:
        out: list[str] = []
        parents = self.parents.get(vocab, {})
        while tid and tid not in out:
            out.append(tid)
            tid = parents[tid][0] if tid in parents else ""
        return out
