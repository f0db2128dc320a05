"""Questions about what is wrong (why researchers dare not transfer, what holds back pilot platforms, 堵点):
the blockages (堵点) of the vocabulary are the answer, ranked by how much of the question their names,
aliases, description and quotes hold; the records that address them answer questions about remedies."""

from __future__ import annotations

from ...text import fold
from ..kb import KB
from .figures import overlap
from .interpret import Interpretation

NATIONAL = frozenset(("cn",))


def asks_blockages(it: Interpretation) -> bool:
    """Whether the question asks for blockages themselves, not for what is done about them."""
    asks = it.why or it.problem or it.group_by == "blockage" or bool(it.blockages)
    kinds = it.kinds and not (it.blockages and (it.why or it.problem))  # 科研模式有什么问题: the mode's problem
    return asks and not (it.remedy or kinds or it.amount or it.count or it.money or it.records or it.metrics
                         or it.levels or set(it.regions) - NATIONAL or it.entities)


def _texts(kb: KB) -> dict[str, tuple[str, str]]:
    """Every blockage's names and aliases, and its description and quotes, folded (cached)."""
    cache = kb.__dict__.get("_ask_blockage_texts")
    if cache is None:
        quotes: dict[str, list[str]] = {}
        for term, quote in kb.conn.execute(
                "SELECT e.term, e.quote FROM evidence e JOIN terms t ON t.id = e.term WHERE t.vocab = 'blockages'"):
            quotes.setdefault(term, []).append(quote)
        cache = {}
        for tid, desc in kb.conn.execute("SELECT id, description_en FROM terms WHERE vocab = 'blockages'"):
            t = kb.terms[tid]
            names = fold(" ".join([t["name_zh"], t["name_en"], *t["aliases"]]))
            cache[tid] = (names, fold(" ".join([desc or "", *quotes.get(tid, ())])))
        kb.__dict__["_ask_blockage_texts"] = cache
    return cache


def needles(kb: KB, it: Interpretation) -> list[str]:
    """What the question names besides its question words: free words, and every name of the terms and
    records it names."""
    out = [*it.unused, *it.text, *it.soft]
    for d in it.recognised:
        tid = d.get("id")
        if d.get("as") in ("mechanism", "instrument", "blockage") and tid in kb.terms:
            t = kb.terms[tid]
            out += [d["text"], t["name_zh"], t["name_en"], *t["aliases"]]
        elif d.get("as") == "record":
            out.append(d["text"])
    return [n for n in dict.fromkeys(fold(x) for x in out) if len(n.strip()) > 1]


def _scores(kb: KB, it: Interpretation) -> list[tuple[float, int, str]]:
    texts = _texts(kb)
    named = set(it.blockages)
    within = {d for b in it.blockages for d in kb.descendants.get(b, [b])} - named
    ns = needles(kb, it)
    scored = []
    for tid, (names, body) in texts.items():
        s = 6.0 if tid in named else 3.0 if tid in within else 0.0
        s += sum(2 * overlap(n, names) + overlap(n, body) for n in ns)
        if s > 0.9:
            scored.append((-s, kb.terms[tid]["ord"], tid))
    scored.sort()
    return scored


def inferred(kb: KB, it: Interpretation) -> str | None:
    """The blockage a question about remedies describes without naming it (技術交易機構大多只服務本地: the
    exchanges serving their own locality), when one matches clearly better than any other."""
    if not it.remedy or it.blockages:
        return None
    scored = _scores(kb, it)
    if not scored:
        return None
    best = -scored[0][0]
    second = -scored[1][0] if len(scored) > 1 else 0.0
    return scored[0][2] if best >= 2.0 and best >= 1.5 * second else None


def blockage_answer(kb: KB, it: Interpretation, limit: int | None) -> list[str]:
    """The blockages the question asks about, best first: the ones it names and those within them, then
    those whose names or texts hold its words."""
    scored = _scores(kb, it)
    named = set(it.blockages)
    if not named and not scored and it.group_by == "blockage":  # 堵点有哪些: the broadest ones
        return [tid for tid, t in kb.terms.items() if t["vocab"] == "blockages" and not t["parent"]][:limit]
    return [tid for _, _, tid in scored[:limit or 20]]
