"""Full-text search over names, term names, summaries and quotes, ranked.

Chinese text is indexed as character pairs (see ``kbcli.text.pair_text``):
runs of Chinese characters become overlapping bigrams plus single characters
at their ends, folded to simplified script, so

* a simplified query finds traditional quotes and the reverse;
* a two-character term (中试, 赋权) is one token;
* a longer Chinese phrase is a phrase of bigrams;
* a single character is a prefix query that matches the bigrams it starts
  and a run's final character;
* English words go through the Porter stemmer (subsidies ~ subsidy).

Whitespace-separated parts of the query must all match (AND).
"""

from __future__ import annotations

from ..errors import UsageError
from ..store.schema import EN_COLUMNS, SEARCH_WEIGHTS, ZH_COLUMNS
from ..text import fold, fold_quote, query_parts
from .kb import KB, record_evidence


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def match_expression(text: str) -> str:
    """An FTS5 MATCH expression for a user's query: every whitespace-separated part
    must match, as character pairs in the Chinese columns or as words in the English ones."""
    parts: list[str] = []
    for chunk in text.split():
        if not query_parts(chunk):
            continue  # punctuation only
        folded = fold(chunk)
        zh = f"{{{' '.join(ZH_COLUMNS)}}} : "
        if len(folded) == 1:
            zh += "(" + _phrase(folded) + " *)"  # the pairs it starts, and a run's last character
        else:
            zh += "(" + _phrase(" ".join(map(str.__add__, folded, folded[1:]))) + ")"
        en = f"{{{' '.join(EN_COLUMNS)}}} : (" + _phrase(chunk) + ")"
        parts.append(f"({zh} OR {en})")
    if not parts:
        raise UsageError(f"nothing to search for in {text!r}")
    return " AND ".join(parts)


def search(kb: KB, text: str, kinds: list[str] | None = None, limit: int | None = 20) -> list[dict]:
    """Records matching ``text``, best first, each with ``score`` and ``match``."""
    from .facets import parse_kind

    expr = match_expression(text)
    w = ", ".join(str(x) for x in SEARCH_WEIGHTS)
    sql = f"SELECT rowid, bm25(search, {w}) AS score FROM search WHERE search MATCH ?"
    params: list = [expr]
    if kinds:
        ks = sorted({parse_kind(k) for k in kinds})
        sql += f" AND rowid IN (SELECT rowid FROM records WHERE kind IN ({','.join('?' * len(ks))}))"
        params.extend(ks)
    sql += " ORDER BY score"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    hits = kb.conn.execute(sql, params).fetchall()
    if not hits:
        return []
    scores = dict(hits)
    ids = [rowid for rowid, _ in hits]
    kind_of = dict(kb.conn.execute(f"SELECT rowid, kind FROM records WHERE rowid IN ({','.join('?' * len(ids))})",
                                   ids))
    rows = [(rowid, kind_of[rowid]) for rowid in ids]
    records = kb.records_from_rows(kb.docs(rows))
    needles = _needles(text)
    for rec, (rowid, _) in zip(records, rows):
        rec["score"] = round(-scores[rowid], 4)
        rec["match"] = best_match(rec, needles)
    return records


def _needles(text: str) -> list[str]:
    """What to look for when pointing at the match: each query part, Latin words cut to a rough stem."""
    out = []
    for chunk in fold(text).split():
        if chunk.isascii() and chunk.isalpha() and len(chunk) > 4:
            chunk = chunk[: max(4, len(chunk) - 3)]
        out.append(fold_quote(chunk))
    return out


def best_match(rec: dict, needles: list[str]) -> dict | None:
    """Where the query shows in a record: the first field or quote containing it."""
    def has(s: str | None) -> bool:
        if not s:
            return False
        f = fold(fold_quote(s))
        return any(n and n in f for n in needles)

    for field in ("name_zh", "name_en", "summary_en"):
        if has(rec.get(field)):
            return {"field": field, "text": rec[field]}
    for e in record_evidence(rec):
        if has(e["quote"]):
            m = {"field": "quote", "text": e["quote"], "source": e["source"], "locator": e["locator"]}
            if e.get("restricted"):
                m["restricted"] = True
                m["citation_note"] = e.get("citation_note")
            return m
    for t in rec["regions"] + rec["mechanisms"] + rec["instruments"] + rec["addresses"]:
        if has(t.get("name_zh")) or has(t.get("name_en")):
            return {"field": "terms", "text": f"{t['id']} ({t['name_zh']}, {t['name_en']})"}
    return None
