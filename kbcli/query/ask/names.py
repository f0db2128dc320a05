"""The words of a question the base's names do not cover: real places (the gazetteer), names and
phrases its text holds (南开大学, 科技创新引领产业创新), names it does not hold (清华大学, Tsinghua
University), and the words left to rank with."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from ...text import HAN, fold, loose, word_key
from ..kb import KB
from . import places
from .basetext import about_rowids, frequency, names_hold, occurs, records, split_known
from .metrics import metric_words_re
from .words import (
    FUNCTION_CHARS,
    ORG_NAME_RE,
    ORG_SUFFIX_EN,
    ORG_SUFFIX_ZH,
    QUESTION_WORDS,
    SHORT_ORG_RE,
    SUBJECT_AFTER,
)

if TYPE_CHECKING:
    from ..resolve import Piece
    from .interpret import Interpretation
    from .question import Question

MAX_PLACE_UNITS = 12  # longest place name tried: Chinese characters or English words
MAX_CHUNK = 48  # longest run of Chinese cut into what the base's text holds (each cut costs index look-ups)
_UNIT = re.compile(rf"[{HAN}]|[^\W_{HAN}]+")
_STOP = frozenset(w for w, tag in QUESTION_WORDS.items() if tag == "stop")
# capitalised words that name no one (the start of a title, a kind of place or document)
_GENERIC_CAPS = frozenset(("article", "art", "section", "law", "act", "province", "city", "district", "county",
                           "china", "chinese", "national", "i", "what", "which", "how", "who", "when", "where"))


# ---------------------------------------------------------------- the free words of a question

def _runs(text: str, pieces: list[Piece]) -> list[list[Piece]]:
    """Consecutive pieces the segmenter left free (nothing but spaces between them), as runs."""
    runs: list[list[Piece]] = []
    for p in pieces:
        if runs and not text[runs[-1][-1].end:p.start].strip():
            runs[-1].append(p)
        else:
            runs.append([p])
    return runs


def read_free(kb: KB, q: Question, it: Interpretation, free: list[Piece], pieces: list[Piece]) -> None:
    """Place the free words of a question: real places (in the base under another name, or not in it),
    names and phrases the base's text holds (entities narrow the answer to the records holding them),
    names it does not hold, and the words left to rank with."""
    for quoted in _quoted(q):  # “1+1+M+N”, 「放水養魚」: a phrase quoted is a name, when the text holds it
        if not any(loose(quoted) in loose(p.text) or loose(p.text) in loose(quoted) for p in pieces if p.known) \
                and occurs(kb, quoted):
            it.entities.append(quoted)
            it.recognised.append({"text": quoted, "as": "name in the base's text"})
            free = [p for p in free if p.text not in quoted]
    for run in _runs(q.text, free):
        start, end = run[0].start, run[-1].end
        start = _with_place_before(kb, q, it, pieces, start, end)
        text = q.text[start:end]
        units = [(m.start(), m.end()) for m in _UNIT.finditer(text)]
        i, rest = 0, []
        while i < len(units):
            hit = None
            for j in range(min(len(units), i + MAX_PLACE_UNITS), i, -1):
                key = loose(text[units[i][0]:units[j - 1][1]])
                ids = places.lookup(key) if len(key) > 1 and not key.isdigit() else []
                if ids:
                    hit = (j, ids)
                    break
            if hit is None:
                rest.append(units[i])
                i += 1
                continue
            j, ids = hit
            _place(kb, it, text[units[i][0]:units[j - 1][1]], ids)
            i = j
        _words(kb, q, it, text, start, rest)


_QUOTED = re.compile(r"[“「『\"‘]([^”」』\"’]{2,40})[”」』\"’]")


def _quoted(q: Question) -> list[str]:
    return [m.group(1).strip() for m in _QUOTED.finditer(q.raw) if m.group(1).strip()]


def _with_place_before(kb: KB, q: Question, it: Interpretation, pieces: list[Piece], start: int, end: int) -> int:
    """A region's name that begins a longer name the base's text holds (中关村 + 发展集团, Xi'an + Jiaotong
    University): the longer name is meant, not the region. Returns where the run starts then."""
    before = [p for p in pieces if p.end <= start and p.terms and not q.text[p.end:start].strip()]
    if not before:
        return start
    prev = before[-1]
    regions = [t for t in prev.terms if kb.terms[t]["vocab"] == "regions"]
    if not regions:
        return start
    run = q.text[start:end]
    if re.match(f"[{HAN}]", run):
        m = ORG_NAME_RE.match(fold(run))
        ks = [m.end()] if m and occurs(kb, prev.text + run[:m.end()]) else []
        if not ks and len(run) >= 2 and occurs(kb, prev.text + run[:2]):
            lo, hi = 2, min(len(run), 16)  # the longest stretch after the region that the text holds with it
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if re.fullmatch(f"[{HAN}]+", run[:mid]) and occurs(kb, prev.text + run[:mid]):
                    lo = mid
                else:
                    hi = mid - 1
            ks = [lo] if not re.fullmatch(f"[{''.join(FUNCTION_CHARS)}的]", run[lo - 1]) else []
        candidates = [(run[:k], prev.text + run[:k]) for k in ks]
    else:
        words = re.findall(r"[A-Z][\w'’-]*", run)
        candidates = [(" ".join(words[:n]), prev.text + " " + " ".join(words[:n])) for n in range(len(words), 0, -1)]
        candidates = [(c, name) for c, name in candidates if occurs(kb, name)][:1]
    for c, name in candidates:
        if not c:
            continue
        for t in regions:
            if t in it.regions:
                it.regions.remove(t)
        it.recognised[:] = [d for d in it.recognised if not (d.get("as") == "region" and d["text"] == prev.text)]
        it.exact = False
        _entity(it, name)
        return start + run.index(c) + len(c)
    return start


def _place(kb: KB, it: Interpretation, name: str, ids: list[str]) -> None:
    """A real place named: a region of the base when one of its names is the base's, else missing."""
    from ..resolve import _term_keys

    keys = _term_keys(kb)
    for pid in ids:
        p = places.place(pid)
        if p is None:
            continue
        for n in (*p.names_zh, *p.names_en):
            hits = [t for t in keys.get(loose(n), ()) if kb.terms[t]["vocab"] == "regions"]
            if hits:
                for t in hits:
                    if t not in it.regions:
                        it.regions.append(t)
                    it.recognised.append({"text": name, "as": "region", "id": t, "name_zh": kb.terms[t]["name_zh"],
                                          "name_en": kb.terms[t]["name_en"]})
                return
    def inside_named(pid: str) -> bool:
        return any(loose(n) in {loose(kb.terms[r]["name_zh"]) for r in it.regions}
                   for a in places.chain(pid)[1:] for n in a.names_zh)

    p = places.place(next((pid for pid in ids if inside_named(pid)), ids[0]))
    if p is None:
        return
    within = next((t for a in places.chain(p.id)[1:] for n in (*a.names_zh, *a.names_en)
                   for t in _term_keys(kb).get(loose(n), ()) if kb.terms[t]["vocab"] == "regions"), None)
    it.missing.append({"text": name, "as": "place", "id": p.id, "level": p.level, "name_zh": p.name_zh,
                       "name_en": p.name_en, "within": within})
    it.recognised.append({"text": name, "as": "place not in the base", "id": p.id, "name_zh": p.name_zh,
                          "name_en": p.name_en})


def _words(kb: KB, q: Question, it: Interpretation, text: str, offset: int, units: list[tuple[int, int]]) -> None:
    """The units of a run that name no place: Chinese runs cut into what the base's text holds; English
    words as names (capitalised, not first) or as words to rank with."""
    groups: list[list[tuple[int, int]]] = []
    for u in units:
        han = re.fullmatch(f"[{HAN}]", text[u[0]:u[1]]) is not None
        if groups and han and groups[-1][-1][1] == u[0] and re.fullmatch(f"[{HAN}]", text[groups[-1][-1][0]]):
            groups[-1].append(u)
        else:
            groups.append([u])
    english: list[tuple[int, str]] = []
    for g in groups:
        s = text[g[0][0]:g[-1][1]]
        if re.fullmatch(f"[{HAN}]+", s):
            _chinese(kb, q, it, s, offset + g[0][0])
        else:
            english.append((offset + g[0][0], s))
    _english(kb, q, it, english)


def _chinese(kb: KB, q: Question, it: Interpretation, chunk: str, at: int) -> None:
    """A run of Chinese no name of the base covers: the names of organisations in it (南开大学, 弗劳恩霍夫协会),
    found, found by their first words (德创未来汽车科技公司: 德创未来汽车科技), or missing; a run that is the
    question's subject (工研院每年的…) likewise; the rest cut into the stretches the base's text holds,
    rare names of the base among them (陈旻, 杨鹏) narrowing like organisations."""
    folded_chunk = fold(chunk)
    if len(folded_chunk) == len(chunk):  # particles are simplified characters: 給 is 给
        chunk = folded_chunk
    whole = chunk.lstrip("".join(FUNCTION_CHARS))  # 华为在…: a name may end in a particle's character
    start = at + len(chunk) - len(whole)
    core = chunk.strip("".join(FUNCTION_CHARS))
    for k in range(len(whole), 1, -1):
        if all(c in FUNCTION_CHARS for c in whole[k:]) and _subject_position(q, it, start, whole[:k]):
            core = whole[:k]
            break
    if len(core) < 2:
        return
    at += chunk.index(core)
    folded = fold(core)
    if len(folded) != len(core):  # folding changed the length (a rare compatibility character): as typed
        folded = core
    if _subject_position(q, it, at, core) and not ORG_NAME_RE.search(folded):
        short = SHORT_ORG_RE.match(folded)
        if short and not occurs(kb, core[:short.end()]):
            _missing_name(it, core[:short.end()])  # 工研院每年…: a name the base never mentions
            core, folded = core[short.end():], folded[short.end():]
            if len(core) < 2:
                return
        elif occurs(kb, core):
            if names_hold(kb, core) and frequency(kb, core, 1000) <= max(3, records(kb) // 20):
                _entity(it, core)
                return
        elif len(core) <= 6 and not any(len(s) >= 2 and _rare_name(kb, s) for s in split_known(kb, core)[0]):
            _missing_name(it, core)  # 华为的…, 宁德时代的…
            return
    rest = []
    last = 0
    for m in ORG_NAME_RE.finditer(folded):
        rest.append(core[last:m.start()])
        last = m.end()
        _organisation(kb, it, core[m.start():m.end()])
    rest.append(core[last:])
    for part in rest:
        part = part.strip("".join(FUNCTION_CHARS))
        if len(part) < 2:
            continue
        if len(part) > MAX_CHUNK:  # a pasted paragraph: its first stretch is read, the rest ranks
            it.unused.append(part[MAX_CHUNK:])
            part = part[:MAX_CHUNK]
        found, lost = split_known(kb, part)
        for s in found:
            if len(s) < 2:
                continue
            if metric_words_re().fullmatch(fold(s)):
                it.unused.append(s)  # 成交额: a metric's word, for the figures, not a filter on records
            elif s == part and _rare_name(kb, s) or len(found) > 1 and len(s) <= 3 and _rare_name(kb, s):
                _entity(it, s)  # a rare name of the base: 杨鹏, 陈旻
            elif frequency(kb, s, 1000) <= max(3, records(kb) // 10):
                it.text.append(s)
                it.recognised.append({"text": s, "as": "words in the base's text"})
            else:
                it.unused.append(s)
        it.unused.extend(lost)


def _entity(it: Interpretation, name: str) -> None:
    it.entities.append(name)
    it.recognised.append({"text": name, "as": "name in the base's text"})


def _missing_name(it: Interpretation, name: str) -> None:
    it.missing.append({"text": name, "as": "name"})
    it.recognised.append({"text": name, "as": "name not in the base"})


def _organisation(kb: KB, it: Interpretation, name: str) -> None:
    """An organisation's name: found whole, or by its first words when the base names it longer or
    shorter (德创未来汽车科技公司: 德创未来汽车科技有限公司), else missing."""
    if occurs(kb, name):
        _entity(it, name)
        return
    stem = ORG_SUFFIX_ZH.sub("", fold(name))
    found, _ = split_known(kb, stem) if len(stem) >= 4 else ([], [])
    if found and found[0] == stem[:len(found[0])] and len(found[0]) >= max(4, (len(stem) * 2 + 2) // 3):
        _entity(it, name[:len(found[0])])
    else:
        _missing_name(it, name)


def _rare_name(kb: KB, s: str) -> bool:
    """A short run the base holds as the name of someone who acts (a person, a team, a firm: the start of
    an actor's name), in few records: 杨鹏, 陈旻 (not 办公室, the end of 合肥市人民政府办公室)."""
    if len(s) > 4 or frequency(kb, s, 100) > max(5, records(kb) // 50):
        return False
    rows = sorted(about_rowids(kb, s, 50))
    if not rows:
        return False
    key = fold(s)
    return any(fold(a).startswith(key) for (actors,) in kb.conn.execute(
        f"SELECT actors FROM records WHERE rowid IN ({','.join('?' * len(rows))})", rows)
        for a in json.loads(actors or "[]"))


def _subject_position(q: Question, it: Interpretation, at: int, chunk: str) -> bool:
    """A name at the start of a Chinese question (after its places), followed by a particle: 南开大学把…,
    华为的…"""
    before = q.text[:at]
    for d in it.recognised:
        if d.get("as") in ("region", "date"):
            before = before.replace(d["text"], "")
    if before.strip(" 在请问"):
        return False
    after = fold(q.text[at + len(chunk):].lstrip()[:4])
    return after.startswith((*SUBJECT_AFTER, *FUNCTION_CHARS))


def _english(kb: KB, q: Question, it: Interpretation, words: list[tuple[int, str]]) -> None:
    """English words left free: runs of capitalised words (not the question's first) are names, looked
    for in the base's text; the others are words to rank with."""
    first = re.search(r"[^\W_]", q.text)
    first_at = first.start() if first else 0
    run: list[str] = []

    def flush() -> None:
        if not run:
            return
        name = " ".join(run)
        if occurs(kb, name):
            if len(run) > 1 or frequency(kb, name, 100) <= max(5, records(kb) // 50):
                _entity(it, name)  # Nankai University, Stanford (a rare word of the base: a name)
            else:
                it.unused.append(name)  # a common word written with a capital
        elif word_key(run[-1].casefold()) in ORG_SUFFIX_EN or not all(occurs(kb, w) for w in run):
            _missing_name(it, name)  # Tsinghua, Huawei, Oxford University
        else:
            it.unused.extend(run)  # words of the base, written with capitals
        run.clear()

    prev_end = None
    for at, w in words:
        acronym = w.isupper() and 2 <= len(w) <= 6 and w.isalpha() and occurs(kb, w)  # MIT, NIST (when held)
        capital = (w[:1].isupper() and not w.isupper() or acronym) and at != first_at \
            and w.casefold() not in _GENERIC_CAPS and w.casefold() not in _STOP
        if capital and (not run or prev_end is not None and q.text[prev_end:at].strip() == ""):
            run.append(w)
        else:
            flush()
            if capital:
                run.append(w)
            elif w.casefold() not in _STOP and not (w.isdigit() and len(w) < 3) and len(w) > 1:
                it.unused.append(w)
        prev_end = at + len(w)
    flush()
