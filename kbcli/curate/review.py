"""The vocabulary review: every term's Chinese and English names (and aliases), read once by hand to
mean the same thing, recorded as data (``data/vocab-review.yaml``) so that they stay reviewed.

Each entry copies a term's ``vocab``, ``name_zh``, ``name_en`` and ``aliases`` as they stood when
a reviewer read them in both languages, with the reviewer's one-line ``gloss`` of what they all
mean. ``problems`` lists every term added, renamed (or given another alias) or removed since: the
test of the review fails on any, and ``entry`` writes the lines to paste once the new names are
read. Run ``python -m kbcli.curate.review [SEED] [REVIEW]`` to see them.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from ..seed.reader import read_file

VOCABS = ("regions", "mechanisms", "instruments", "blockages")
FIELDS = ("vocab", "name_zh", "name_en", "aliases")
UNREVIEWED = "TODO"  # the gloss of an entry written by ``entry``, before anyone has read the names


@dataclass
class Names:
    id: str
    vocab: str
    name_zh: str
    name_en: str
    aliases: list[str]
    line: int = 0
    gloss: str = ""

    def fields(self) -> dict:
        return {"vocab": self.vocab, "name_zh": self.name_zh, "name_en": self.name_en, "aliases": self.aliases}


def seed_terms(seed: str | Path) -> list[Names]:
    """The terms of a seed's vocabularies, in seed order."""
    out = []
    for item in read_file(seed, str(seed)):
        d = item.data
        if item.section in VOCABS and isinstance(d, dict) and isinstance(d.get("id"), str):
            out.append(Names(d["id"], item.section, str(d.get("name_zh", "")), str(d.get("name_en", "")),
                             [str(a) for a in d.get("aliases") or []], item.line))
    return out


def reviewed_terms(review: str | Path) -> list[Names]:
    """The entries of a review file (``terms:``, a list of {id, vocab, name_zh, name_en, aliases, gloss})."""
    out = []
    for item in read_file(review, str(review), what="the vocabulary review"):
        d = item.data
        if item.section == "terms" and isinstance(d, dict):
            out.append(Names(str(d.get("id", "")), str(d.get("vocab", "")), str(d.get("name_zh", "")),
                             str(d.get("name_en", "")), [str(a) for a in d.get("aliases") or []], item.line,
                             str(d.get("gloss") or "").strip()))
    return out


def problems(seed: str | Path, review: str | Path) -> list[str]:
    """Every term whose names are not reviewed as they stand, located in the seed or the review file."""
    terms = seed_terms(seed)
    entries = reviewed_terms(review)
    by_id: dict[str, Names] = {}
    out: list[str] = []
    for r in entries:
        if r.id in by_id:
            out.append(f"{review}:{r.line}: {r.id!r} is reviewed twice (first at line {by_id[r.id].line})")
        by_id.setdefault(r.id, r)
    seen = set()
    for t in terms:
        seen.add(t.id)
        e = by_id.get(t.id)
        if e is None:
            out.append(f"{seed}:{t.line}: {t.vocab[:-1]} {t.id!r} is not reviewed: read its names in both languages "
                       f"and add to {review}:\n{entry(t)}")
            continue
        changed = [f for f in FIELDS if getattr(t, f) != getattr(e, f)]
        if changed:
            was = "; ".join(f"{f} was {json.dumps(getattr(e, f), ensure_ascii=False)}" for f in changed)
            out.append(f"{seed}:{t.line}: {t.vocab[:-1]} {t.id!r} changed since its review ({was}): read its names "
                       f"again and replace its entry at {review}:{e.line} with:\n{entry(t, e.gloss)}")
        elif not e.gloss or e.gloss.startswith(UNREVIEWED):
            out.append(f"{review}:{e.line}: {t.id!r} has no gloss: say in one line what its names mean")
    for r in entries:
        if r.id not in seen:
            out.append(f"{review}:{r.line}: {r.id!r} is no term of the seed: remove its entry")
    return out


def entry(t: Names, gloss: str = "") -> str:
    """The review file's lines for a term, its strings JSON-quoted (valid YAML)."""
    def q(v: object) -> str:
        return json.dumps(v, ensure_ascii=False)

    return (f"  - id: {t.id}\n    vocab: {t.vocab}\n    name_zh: {q(t.name_zh)}\n    name_en: {q(t.name_en)}\n"
            f"    aliases: {q(t.aliases)}\n    gloss: {q(gloss or UNREVIEWED + ': what the names mean, in one line')}\n")


def main(argv: list[str]) -> int:
    seed = argv[0] if argv else "data/seed.yaml"
    review = argv[1] if len(argv) > 1 else "data/vocab-review.yaml"
    found = problems(seed, review)
    for p in found:
        print(p)
    print(f"{len(found)} term(s) to review" if found else "every term is reviewed as it stands")
    return 1 if found else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
