"""A user's word -> the record or vocabulary term it names, for compare, graph and chart.

``resolve_word`` is the one place these commands turn words into ids. Until
``kbcli.query.resolve`` (issue 7) lands it asks ``facets.resolve``, trying the
vocabularies in the order regions, mechanisms, instruments, blockages (a word
that is both a region and something else is the region); at merge time this
function is switched over to that module.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import NotFoundError, UnknownTermError, UsageError
from .kb import KB, VOCAB_KIND, VOCABS


@dataclass(frozen=True)
class Named:
    """What a word names: a record (``vocab`` None) or a term of ``vocab``."""

    id: str
    vocab: str | None = None

    @property
    def kind(self) -> str:
        return VOCAB_KIND[self.vocab] if self.vocab else "record"


def resolve_word(kb: KB, word: str, records: bool = True) -> Named:
    """The record (by id) or vocabulary term (id, name in either script, English name, alias) ``word`` names."""
    from .facets import TermIndex, resolve

    w = word.strip()
    if records and kb.conn.execute("SELECT 1 FROM records WHERE id = ?", (w,)).fetchone():
        return Named(w)
    for vocab in VOCABS:
        try:
            hit = resolve(kb, vocab, w)
        except UnknownTermError:
            continue
        if len(hit) > 1:
            names = ", ".join(f"{t} ({kb.terms[t]['name_zh']})" for t in sorted(hit))
            raise UsageError(f"{word!r} names several {vocab}: {names}; give one id")
        return Named(next(iter(hit)), vocab)
    close: list[str] = []
    if records:
        import difflib

        ids = [r[0] for r in kb.conn.execute("SELECT id FROM records")]
        close += difflib.get_close_matches(w, ids, n=3, cutoff=0.6)
    for vocab in VOCABS:
        close += [s for s in TermIndex(kb, vocab).suggest(w, 3) if s not in close]
    msg = f"no {'record or term' if records else 'term'} named {word!r}"
    if close:
        msg += "; closest: " + ", ".join(close[:6])
    raise NotFoundError(msg)
