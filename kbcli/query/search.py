"""Full-text search over names, term names, summaries and quotes, ranked.

Chinese text is indexed as character pairs (see ``kbcli.text.pair_text``):
runs of Chinese characters become overlapping bigrams plus single characters
at their ends, folded to simplified script, so a simplified query finds
traditional quotes and the reverse, and English words go through the Porter
stemmer (subsidies ~ subsidy).

A query is first cut into pieces against the names the base knows
(``resolve.segment``): 合肥中试 is 合肥 + 中试 although it has no space. Each
piece is one *part* of the query:

* a piece that names a vocabulary term matches the records tagged with the term
  (or a narrower one) and the records whose text holds the piece or the term's
  name, so an alias (中梗阻) finds what its term finds;
* a piece that names a record matches that record and text holding the piece;
* free text matches as a phrase: Chinese as its character pairs (one character
  as a prefix of the pairs it starts), English words one by one (common words
  such as "of" or "the" are not parts).

Records are ranked by how many parts they match, then by whether the whole
query stands in them as a phrase, then by BM25. The score shows it: each part
matched counts 1 (a part naming a term counts 1/2 for a record that mentions
the term without being tagged with it), the whole phrase 1 more, and the text
relevance adds a fraction (BM25 b as b / (1 + b)). ``--text`` filters (in
``kb query``) require every part.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from ..errors import UsageError
from ..store.schema import EN_COLUMNS, FTS_TABLE, SEARCH_WEIGHTS, ZH_COLUMNS
from ..text import HAN, fold, fold_quote, has_han, pair_text, query_parts
from .kb import KB, record_evidence
from .resolve import Piece, parse_kinds, segment

# For a first page (a limit), a part matching more records than this (转, 技) is not ranked whole: the
# candidates are the first CAP records of the query's rarest part, every part is read among them, and
# the results say so. Asked for every match (no limit), every match is read.
CAP = 1000
RANKED = 300  # records whose text relevance (BM25) is computed, the best by parts matched
STOPWORDS = frozenset(
    ["a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "by", "with", "from", "as", "is", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these", "those", "which", "what", "who", "whom", "whose", "where", "when", "how", "why", "do", "does", "did", "has", "have", "had", "there", "their", "they", "any"])


@dataclass
class Part:
    """One part of a query: any of its FTS expressions, tags or named records matches."""

    text: str
    fts: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)  # term ids, narrower terms included
    records: list[str] = field(default_factory=list)
    needles: list[str] = field(default_factory=list)  # what to point at in a matching record

# A query of thousands of words took SQLite minutes (3000 words: 12 s): queries are bounded.
MAX_PARTS = 100
MAX_CHARS = 2000


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _zh_expr(text: str) -> str | None:
    """The Chinese columns' expression for a text: its pairs as a phrase (one character: a prefix)."""
    folded = re.sub(r"\s+", "", fold(text))
    if not query_parts(folded):
        return None
    cols = f"{{{' '.join(ZH_COLUMNS)}}}"
    if len(folded) == 1:
        return f"{cols} : ({_phrase(folded)} *)"
    return f"{cols} : ({_phrase(' '.join(map(str.__add__, folded, folded[1:])))})"


def _en_expr(text: str) -> str | None:
    if has_han(text) or not re.search(r"[^\W_]", text):
        return None
    return f"{{{' '.join(EN_COLUMNS)}}} : ({_phrase(text)})"


def _exprs(text: str) -> list[str]:
    return [e for e in (_zh_expr(text), _en_expr(text)) if e]


def parts(kb: KB, text: str) -> list[Part]:
    """The parts of a query (see the module's docstring); at most MAX_PARTS of them."""
    if len(text) > MAX_CHARS:
        raise UsageError(f"a search takes at most {MAX_CHARS} characters, got {len(text)}")
    out: list[Part] = []
    for piece in segment(kb, text):
        if piece.terms or piece.records:
            out.append(_known_part(kb, piece))
            continue
        words = [piece.text] if piece.han else [w for w in re.findall(r"[^\W_]+", piece.text)]
        for w in words:
            if not has_han(w) and w.casefold() in STOPWORDS:
                continue
            exprs = _exprs(w)
            if exprs:
                out.append(Part(w, fts=exprs, needles=[w]))
    if len(out) > MAX_PARTS:
        raise UsageError(f"a search takes at most {MAX_PARTS} words or terms, got {len(out)}")
    return out


def _known_part(kb: KB, piece: Piece) -> Part:
    """A piece that names terms or records. Chinese text is searched as typed and as the terms' names;
    an English piece as the terms' English names and aliases (so 'tech broker' and 'technology brokers',
    one term, search alike)."""
    p = Part(piece.text, fts=_exprs(piece.text) if piece.han or not piece.terms else [],
             records=list(piece.records), needles=[piece.text])
    for tid in piece.terms:
        p.terms.extend(kb.descendants.get(tid, [tid]))
        t = kb.terms[tid]
        names = [t["name_zh"], t["name_en"]]
        if not piece.han:
            names += [a for a in t["aliases"] if not has_han(a)]
        for name in names:
            if name and name not in p.needles:
                expr = _zh_expr(name) if has_han(name) else _en_expr(name)  # a name is in one script
                if expr and expr not in p.fts:
                    p.fts.append(expr)
                p.needles.append(name)
    p.terms = list(dict.fromkeys(p.terms))
    p.fts = _prune(p.fts)
    return p


_EXPR = re.compile(r'^(\{[^}]*\}) : \("((?:[^"]|"")*)"\)$')


def _tokens(expr: str) -> tuple[str, tuple[str, ...]] | None:
    """An expression's columns and the tokens of its phrase as the index's tokenizer cuts them (case
    folded, split at whatever is not a letter or digit); None for a prefix search."""
    m = _EXPR.match(expr)
    return (m.group(1), tuple(re.findall(r"[^\W_]+", m.group(2).replace('""', '"').casefold()))) if m else None


def _prune(exprs: list[str]) -> list[str]:
    """The expressions without those another one implies: a record that matches the phrase "proof of
    concept centre" matches "proof of concept" in the same columns, so the longer adds nothing to the
    match and each phrase costs the index a pass (a term of nine names: 20 ms at 100k records, 12 of
    them computing BM25 over its phrases)."""
    cut = [_tokens(e) for e in exprs]

    def within(a: tuple[str, tuple[str, ...]], b: tuple[str, tuple[str, ...]]) -> bool:
        n = len(a[1])
        return a[0] == b[0] and any(b[1][i:i + n] == a[1] for i in range(len(b[1]) - n + 1))

    keep = []
    for i, e in enumerate(exprs):
        t = cut[i]
        if t is not None and t[1] and any(
                j != i and u is not None and u[1] and within(u, t) and (u != t or j < i) for j, u in enumerate(cut)):
            continue
        keep.append(e)
    return keep


# a filter on rows the index returns, never a constraint handed to it: `+rowid` keeps SQLite from
# running the index's MATCH once per listed rowid (measured: thousands of times slower)
_WITHIN = " IN (SELECT value FROM json_each(?))"


def _branches(part: Part, tagged_only: bool = False, within: list[int] | None = None) -> list[tuple[str, list]]:
    """The SQL statements (with their parameters) whose rowids together are those a part matches: its text
    in the index, the records tagged with its terms, the records it names (only those tagged or named, with
    ``tagged_only``; only among the rowids ``within``, when given)."""
    out: list[tuple[str, list]] = []
    only = json.dumps(within) if within is not None else None
    span = [min(within), max(within)] if within else [0, -1]
    if part.fts and not tagged_only:
        # the rowid range is handed to the index, which stops past it; the list is a filter on what it returns
        sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?"
        params: list = [" OR ".join(f"({e})" for e in part.fts)]
        if only:
            sql += f" AND rowid >= ? AND rowid <= ? AND +rowid{_WITHIN}"
            params += [*span, only]
        out.append((sql, params))
    if part.terms:
        sql = (f"SELECT r.rowid FROM record_terms rt JOIN records r ON r.id = rt.record WHERE rt.term IN "
               f"({','.join('?' * len(part.terms))})")
        params = list(part.terms)
        if only:
            sql += f" AND r.rowid{_WITHIN}"
            params.append(only)
        out.append((sql, params))
    if part.records:
        sql = f"SELECT rowid FROM records WHERE id IN ({','.join('?' * len(part.records))})"
        params = list(part.records)
        if only:
            sql += f" AND rowid{_WITHIN}"
            params.append(only)
        out.append((sql, params))
    return out


def _part_sql(part: Part, tagged_only: bool = False) -> tuple[str, list]:
    """One statement for the rowids a part matches (see ``_branches``)."""
    branches = _branches(part, tagged_only)
    return " UNION ".join(s for s, _ in branches), [x for _, ps in branches for x in ps]


def part_rowids(kb: KB, part: Part, within: list[int] | None = None) -> set[int]:
    """The rowids of the records a part matches (of those ``within``, when given)."""
    if within is not None:
        return _within(kb, part, within)
    sql, params = _part_sql(part)
    return {r[0] for r in kb.conn.execute(sql, params)}


def text_relevance(kb: KB, ps: list[Part], within: list[int] | None = None) -> dict[int, float]:
    """BM25 relevance (higher is better) of every record matching any part's text (of those ``within``, when
    given: BM25 is computed only for them)."""
    every = " OR ".join(f"({e})" for p in ps for e in p.fts)
    if not every:
        return {}
    w = ", ".join(str(x) for x in SEARCH_WEIGHTS)
    sql = f"SELECT rowid, bm25({FTS_TABLE}, {w}) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?"
    params: list = [every]
    if within:
        sql += f" AND rowid >= ? AND rowid <= ? AND +rowid{_WITHIN}"
        params += [min(within), max(within), json.dumps(within)]
    return {rowid: -b for rowid, b in kb.conn.execute(sql, params)}


def text_condition(kb: KB, text: str) -> tuple[str, list]:
    """A condition on ``records r`` that every part of ``text`` matches (``kb query --text``)."""
    ps = parts(kb, text)
    if not ps:
        raise UsageError(f"nothing to search for in {text!r}")
    conds, params = [], []
    for p in ps:
        sql, ps_params = _part_sql(p)
        conds.append(f"r.rowid IN ({sql})")
        params.extend(ps_params)
    return " AND ".join(conds), params


def match_expression(kb: KB, text: str) -> str | None:
    """One FTS5 expression on the index alone that every part of ``text`` matches (as ``kb query --text``):
    what Datasette's ``?_search=`` and ``sqlite-utils search`` run through kbcli's plugins, so that they
    find what kb finds without reading ``record_terms``. A part naming a term matches the records whose
    tags (the index's tags columns) hold the name of the term or of a narrower one. None when the text
    has nothing to search for."""
    ps = parts(kb, text)
    if not ps:
        return None
    exprs = []
    for p in ps:
        alts = list(p.fts)
        for tid in p.terms:  # the terms it names and their narrower terms, as tags
            name = kb.terms[tid]["name_zh"] if tid in kb.terms else None
            e = _tag_expr(name) if name else None
            if e and e not in alts:
                alts.append(e)
        if alts:
            exprs.append("(" + " OR ".join(f"({e})" for e in alts) + ")")
    return " AND ".join(exprs) or None


def _tag_expr(name: str) -> str | None:
    """A term's whole Chinese name in the tags column: the tokens the index holds for it, its pairs and
    then its last character alone, which the index holds only where a text ends (so 西安 does not match
    the actor 西安电子科技大学). Every term has a Chinese name, so the English one adds nothing here."""
    tokens = re.findall(r"[^\W_]+", pair_text(name))
    return f"{{tags_zh}} : ({_phrase(' '.join(tokens))})" if tokens else None


def _whole_phrase(text: str, ps: list[Part]) -> str | None:
    """The whole query as one phrase, when it has several parts in one script (合肥中试, concept verification
    centre): records holding it exactly rank first."""
    if len(ps) < 2:
        return None
    squeezed = re.sub(r"\s+", "", text)
    if has_han(squeezed) and re.fullmatch(f"[{HAN}]+", squeezed):
        return _zh_expr(squeezed)
    if not has_han(text):
        return _en_expr(" ".join(re.findall(r"[^\W_]+", text)))
    return None


def search(kb: KB, text: str, kinds: list[str] | None = None, limit: int | None = 20,
           terms: bool = False) -> list[dict]:
    """Records matching any part of ``text``, best first, each with ``score``, ``matched`` (the parts it
    matches) and ``match`` (where the query shows). A value as printed (``26.5%``, ``1100亿元``) finds the
    records holding a figure of that value. With ``terms`` (``kb search``), the figures of vocabulary
    terms (a blockage's 26.5%) are found too, by value, label, wording and quotes, and listed as terms
    (``kind`` blockage, region ..., ``term`` true): the index of records, which Datasette and
    sqlite-utils search, holds no term."""
    from .figure_match import figure_matches, parse_value

    figs = figure_matches(kb, text) if len(text) <= MAX_CHARS else {}
    if not terms:
        figs = {o: f for o, f in figs.items() if o not in kb.terms}
    if parse_value(text) is not None:  # a value: the figures of it, not the digits as words
        return _figure_results(kb, figs, kinds, limit, score=1.0)
    found = _search(kb, text, kinds, limit)
    if not terms:
        return found
    held = _figure_results(kb, {o: f for o, f in figs.items() if o in kb.terms}, kinds, limit,
                           score=max([r["score"] for r in found] + [1.0]))
    out = found + [t for t in held if t["id"] not in {r["id"] for r in found}]
    out.sort(key=lambda r: -r["score"])
    return out[:limit] if limit is not None else out


def _figure_results(kb: KB, figs: dict[str, list[dict]], kinds: list[str] | None, limit: int | None,
                    score: float) -> list[dict]:
    """The owners of figures found, as search results: records, then vocabulary terms."""
    wanted = sorted(parse_kinds(kinds)) if kinds else None
    rows = [(r[0], r[1], r[2]) for r in kb.conn.execute(
        "SELECT rowid, id, kind FROM records WHERE id IN (SELECT value FROM json_each(?)) ORDER BY rowid",
        (json.dumps([o for o in figs if o not in kb.terms]),)) if wanted is None or r[2] in wanted]
    if limit is not None:
        rows = rows[:limit]
    out = kb.records_from_rows(kb.docs([(rowid, kind) for rowid, _, kind in rows]))
    if wanted is None:
        out += [kb.term_record(o) for o in figs if o in kb.terms]
    for rec in out:
        f = figs[rec["id"]][0]
        rec["score"] = round(score, 4)
        rec["matched"] = [f["metric"]]
        rec["match"] = {"field": "figure", "text": f"{f['original']} — {f.get('label_en') or f['metric']}",
                        "metric": f["metric"], "as_of": f.get("as_of")}
    return out[:limit] if limit is not None else out


def _search(kb: KB, text: str, kinds: list[str] | None = None, limit: int | None = 20) -> list[dict]:
    ps = parts(kb, text)
    if not ps:
        raise UsageError(f"nothing to search for in {text!r}")
    # every match is read when all are asked for (limit None); for a first page, at most CAP + 1 from each
    # way a part matches (read lazily, in C)
    cap = -1 if limit is None else CAP + 1
    sets, bounded = [], False
    for p in ps:
        hits: set[int] = set()
        for sql, params in _branches(p):
            found = {r[0] for r in kb.conn.execute(sql + " LIMIT ?", [*params, cap])}
            bounded = bounded or cap > 0 and len(found) > CAP
            hits |= found
        sets.append(hits)
    if bounded:  # a very common part: the candidates are the rarest part's first CAP, every part read among them
        rarest = min(range(len(ps)), key=lambda i: len(sets[i]))
        candidates = sorted(sets[rarest])[:CAP]
        sets = [set(candidates) if i == rarest else _within(kb, p, candidates) for i, p in enumerate(ps)]
    else:
        candidates = sorted(set().union(*sets))
    if kinds:
        ks = sorted(parse_kinds(kinds))
        allowed = {r[0] for r in kb.conn.execute(
            f"SELECT rowid FROM records WHERE kind IN ({','.join('?' * len(ks))}) AND rowid{_WITHIN}",
            [*ks, json.dumps(candidates)])}
        candidates = [c for c in candidates if c in allowed]
    if not candidates:
        return []
    matched: dict[int, list[int]] = {c: [] for c in candidates}
    weight: dict[int, float] = dict.fromkeys(candidates, 0.0)
    for i, p in enumerate(ps):
        tagged = _within(kb, p, candidates, tagged_only=True) if p.terms else set()
        for rowid in sets[i]:
            if rowid in matched:
                matched[rowid].append(i)
                # a record tagged with the term counts 1; one that only mentions it, 1/2
                weight[rowid] += 1.0 if not p.terms or rowid in tagged else 0.5
    matched = {k: v for k, v in matched.items() if v}
    if not matched:
        return []
    phrase = _whole_phrase(text, ps)
    in_phrase: set[int] = set()
    if phrase:
        in_phrase = {r[0] for r in kb.conn.execute(
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? AND rowid >= ? AND rowid <= ? AND "
            f"+rowid{_WITHIN}", (phrase, min(matched), max(matched), json.dumps(sorted(matched))))}
    # BM25 (the fraction of the score) orders records within the same whole part; it is computed for at
    # most RANKED of them, the best by parts and phrase (then by rowid); the others follow, unranked by text
    first = sorted(matched, key=lambda r: (-(weight[r] + (r in in_phrase)), r))
    ranked = len(first) if limit is None else RANKED
    if len(first) > ranked:
        bounded = True
    relevance = text_relevance(kb, ps, within=sorted(first[:ranked]))
    scored = []
    for rowid in first:
        b = max(relevance.get(rowid, 0.0), 0.0)
        scored.append((weight[rowid] + (rowid in in_phrase) + b / (1 + b), rowid))
    scored.sort(key=lambda x: (-x[0], x[1]))
    if limit is not None:
        scored = scored[:limit]
    ids = [rowid for _, rowid in scored]
    kind_of = dict(kb.conn.execute(f"SELECT rowid, kind FROM records WHERE rowid IN ({','.join('?' * len(ids))})",
                                   ids))
    rows = [(rowid, kind_of[rowid]) for rowid in ids]
    records = kb.records_from_rows(kb.docs(rows))
    needles = [fold_quote(fold(n)) for p in ps for n in p.needles]
    for rec, (score, rowid) in zip(records, scored):
        rec["score"] = round(score, 4)
        rec["matched"] = [ps[i].text for i in matched[rowid]]
        rec["match"] = best_match(rec, needles)
        if bounded:  # the ranking read only the first CAP records of the rarest part
            rec["ranking"] = {"bounded": True, "candidates": len(candidates),
                              "ranked_by_text": min(len(first), ranked)}
    return records


def _within(kb: KB, part: Part, candidates: list[int], tagged_only: bool = False) -> set[int]:
    """The candidates a part matches."""
    return {r[0] for sql, params in _branches(part, tagged_only, candidates) for r in kb.conn.execute(sql, params)}


def best_match(rec: dict, needles: list[str]) -> dict | None:
    """Where the query shows in a record: the first field or quote containing one of its parts."""
    stems = [n[: max(4, len(n) - 3)] if n.isascii() and n.isalpha() and len(n) > 4 else n for n in needles]

    def has(s: str | None) -> bool:
        if not s:
            return False
        f = fold(fold_quote(s))
        return any(n and n in f for n in stems)

    for field_name in ("name_zh", "name_en", "summary_en"):
        if has(rec.get(field_name)):
            return {"field": field_name, "text": rec[field_name]}
    for e in record_evidence(rec):
        if has(e["quote"]):
            m = {"field": "quote", "text": e["quote"], "source": e["source"], "locator": e["locator"]}
            if e.get("restricted"):
                m["restricted"] = True
                m["citation_note"] = e.get("citation_note")
            return m
    for t in rec["regions"] + rec["mechanisms"] + rec["instruments"] + rec["addresses"]:
        if has(t.get("name_zh")) or has(t.get("name_en")) or has(t.get("id")):
            return {"field": "terms", "text": f"{t['id']} ({t['name_zh']}, {t['name_en']})"}
    return None
