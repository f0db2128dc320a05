"""Running an interpretation, and leaving parts of it out when nothing matches them all.

What a question is about is never left out: its places, the records and organisations it names, the
metric it names. Its framing is left out first (kinds, levels, the money that added ``funding``,
dates, a narrower term widened to its broader one, instruments, the rarest of its other words last),
then its topic terms while another remains. When only the subject would be left, nothing answers: the
answer is "none", never another question's."""

from __future__ import annotations

import copy
import json

from ..facets import query_rowids
from ..kb import KB, VOCAB_KIND
from ..listing import figure_owners
from .basetext import frequency
from .interpret import Interpretation

# the framing first; topic terms last, and only while another part says what the question is about
RELAX_ORDER = ("kinds", "levels", "added_funding", "dates", "text", "instruments", "widen", "blockages",
               "mechanisms")
_STEP_AS = {"kinds": "kind", "levels": "level", "dates": "date", **VOCAB_KIND}


CONTEXT = ("kinds", "levels", "added_funding", "widen", "text")


def relaxed(kb: KB, original: Interpretation, mode: str | None = None,
            steps: tuple[str, ...] = RELAX_ORDER) -> tuple[Interpretation, list[dict]]:
    """Run the interpretation; when nothing matches, leave parts out in ``steps`` until something
    does (on a copy, so a second mode can start again from the question)."""
    it = copy.deepcopy(original)
    it.mode = mode or it.mode
    start = copy.deepcopy(it)
    records = run(kb, it)
    dropped: list[tuple[str, str]] = []
    for step in steps:
        while not records:
            what = _relax(kb, it, step)
            if not what:
                break
            dropped.append((step, what))
            records = run(kb, it)
        if records:
            break
    if records:  # put back what need not have been left out (only the last step had to go)
        for step, what in dropped[:-1]:
            trial = copy.deepcopy(it)
            if not _restore(trial, start, step, what):
                continue
            found = run(kb, trial)
            if found:
                it, records = trial, found
                dropped.remove((step, what))
    for step, what in dropped:
        if step == "widen":
            for d in it.recognised:
                parent = (kb.terms.get(d.get("id") or "") or {}).get("parent")
                if d.get("as") in ("mechanism", "blockage") and parent and parent in it.mechanisms + it.blockages:
                    d["widened"] = parent
            it.dropped.append(what)
            continue
        for d in it.recognised:
            if d.get("as") == _STEP_AS.get(step) or (step == "added_funding" and d.get("as") == "money") or (
                    step == "text" and d.get("text") == what):
                d["dropped"] = True
                if d["text"] not in it.soft:
                    it.soft.append(d["text"])
        it.dropped.append(what if step != "text" else f"the words {what}")
    if dropped:
        it.notes.append("no record matches every part of the question; left out or widened: "
                        + "; ".join(w for _, w in dropped))
    return it, records


def _anchors_left(it: Interpretation, step: str) -> bool:
    """Whether leaving out ``step`` leaves something that says what the question is about besides its
    places: another topic term, a metric, a named record or organisation, words of the base's text."""
    others = {"instruments": it.instruments, "blockages": it.blockages, "mechanisms": it.mechanisms}
    others.pop(step, None)
    return any([*others.values(), it.metrics, it.records, it.entities, it.text if step != "text" else []])


def _relax(kb: KB, it: Interpretation, step: str) -> str | None:
    if step == "added_funding" and it.added_funding:
        it.instruments.remove("funding")
        it.added_funding = False
        return "--instrument funding (money in the question)"
    if step == "widen":  # a narrower term to its broader one (incubator -> incubation)
        done = []
        for vocab in ("mechanisms", "blockages"):
            values = getattr(it, vocab)
            wider = [(kb.terms[t]["parent"] if t in kb.terms else None) or t for t in values]
            if wider != values:
                done += [f"--{VOCAB_KIND[vocab]} {a} widened to {b}" for a, b in zip(values, wider) if a != b]
                setattr(it, vocab, list(dict.fromkeys(wider)))
        return "; ".join(done) or None
    if step == "dates" and (it.since or it.until):
        it.since = it.until = None
        return "the dates"
    if step == "text" and it.text:  # the most common of the question's other words first
        word = max(it.text, key=lambda t: (frequency(kb, t, 1000), -len(t)))
        it.text.remove(word)
        return word
    if step in ("kinds", "levels"):
        values = getattr(it, step)
        if values:
            setattr(it, step, [])
            return " ".join(f"--{step[:-1]} {v}" for v in values)
    if step in ("instruments", "blockages", "mechanisms"):
        values = getattr(it, step)
        if values and (step == "instruments" and it.added_funding is False and _anchors_left(it, step)
                       or _anchors_left(it, step)):
            setattr(it, step, [])
            return " ".join(f"--{VOCAB_KIND[step]} {v}" for v in values)
    return None


def _restore(it: Interpretation, start: Interpretation, step: str, what: str) -> bool:
    if step == "widen":
        it.mechanisms, it.blockages = list(start.mechanisms), list(start.blockages)
    elif step == "added_funding":
        it.instruments.append("funding")
        it.added_funding = True
    elif step == "dates":
        it.since, it.until = start.since, start.until
    elif step == "text":
        it.text.append(what)
    else:
        setattr(it, step, list(getattr(start, step)))
    return True


# ---------------------------------------------------------------- running

def has_filters(it: Interpretation) -> bool:
    return any([it.regions, it.mechanisms, it.instruments, it.blockages, it.kinds, it.levels, it.since, it.until,
                it.text])


def run(kb: KB, it: Interpretation) -> list[dict]:
    """The records the interpretation's command finds (figures mode: the figures' owners, records and
    terms), light: their ids, names, date, tags and figures without evidence (see ``light``); ranked,
    the best are made whole. Organisations named narrow to the records about them (their names, actors
    or tags hold the name) where there are such records, else to those whose text holds it; several
    organisations, when no record holds them all, each on its own."""
    if len(it.entities) > 1 and not it.records:
        together = _run(kb, it)
        if together:
            return together
        each = []
        for e in it.entities:
            one = copy.deepcopy(it)
            one.entities = [e]
            each.append(_run(kb, one))
        out: list[dict] = []
        for n in range(max(map(len, each))):  # in turn, so that each organisation's records come early
            out += [recs[n] for recs in each if n < len(recs) and recs[n]["id"] not in {x["id"] for x in out}]
        return out
    return _run(kb, it)


def _run(kb: KB, it: Interpretation) -> list[dict]:
    if it.mode == "figures":
        if it.records:  # a named record's figures; failing them, its parts' (千校万企: its platform's)
            f = it.filters()  # the record is the subject: the question's other words and terms rank its figures
            f.text, f.mechanisms, f.instruments, f.blockages, f.kinds, f.levels = [], [], [], [], [], []
            owners = figure_owners(kb, f, metrics=it.metrics or None, as_of=it.as_of, owners=list(it.records), ids=True)
            if not owners:
                owners = figure_owners(kb, f, metrics=it.metrics or None, as_of=it.as_of,
                                       owners=linked(kb, it.records), ids=True)
        elif it.entities:  # the figures of the records holding the organisations named; else their parts'
            held = _holding(kb, it)
            owners = figure_owners(kb, it.filters(), metrics=it.metrics or None, as_of=it.as_of, owners=held,
                                   ids=True) if held else []
            if not owners and held:
                f = it.filters()
                f.text, f.mechanisms, f.instruments, f.blockages, f.kinds = [], [], [], [], []
                about = [r["id"] for r in _about_entities(kb, it, light(kb, ids=held))]
                owners = figure_owners(kb, f, metrics=it.metrics or None, as_of=it.as_of,
                                       owners=linked(kb, about[:20]), ids=True)
        else:
            # a share asked: the shares first (a count or an amount does not answer it), else every figure
            owners = figure_owners(kb, it.filters(), metrics=it.metrics or None, as_of=it.as_of,
                                   units=["percent"]) if it.share and not it.metrics else []
            owners = owners or figure_owners(kb, it.filters(), metrics=it.metrics or None, as_of=it.as_of)
        recs = light(kb, ids=owners, figures=True)
        if it.entities and not it.records:  # the records about them first (not their parts: they were asked for)
            about = _about_entities(kb, it, recs)
            recs = about or recs
        return recs + term_owners(kb, it, {r["id"] for r in recs})
    named = light(kb, ids=it.records)
    if named:
        return named  # the question names its records: they are the answer (its other parts rank them)
    if it.entities and not has_filters(it):  # only organisations named: the records holding them
        from .basetext import phrase_rowids

        rowids = sorted(set.intersection(*(phrase_rowids(kb, e) for e in it.entities)))
    else:
        rowids = query_rowids(kb, it.filters()) if has_filters(it) or it.group_by == "blockage" else []
    found = _about_entities(kb, it, light(kb, rowids=rowids, figures=it.money))
    if it.group_by == "blockage":  # 堵点: the records that address one, grouped by it
        found = [r for r in found if r["tags"]["addresses"]]
    return found


def _holding(kb: KB, it: Interpretation, cap: int = 500) -> list[str]:
    """The ids of the records holding every organisation named (at most ``cap``)."""
    from .basetext import phrase_rowids

    rowids = sorted(set.intersection(*(phrase_rowids(kb, e) for e in it.entities)))[:cap]
    return [r["id"] for r in light(kb, rowids=rowids)]


def _about_entities(kb: KB, it: Interpretation, recs: list[dict]) -> list[dict]:
    """The records holding every organisation named, as a phrase; of them, those about it (names, actors,
    tags), when any."""
    if not it.entities or not recs:
        return recs
    from .basetext import about_rowids, phrase_rowids

    keep = recs
    for e in it.entities:
        held = phrase_rowids(kb, e)
        keep = [r for r in keep if r["rowid"] in held]
    for e in it.entities:
        about = about_rowids(kb, e)
        tier = [r for r in keep if r["rowid"] in about]
        if tier:
            keep = tier
    return keep


def linked(kb: KB, ids: list[str]) -> list[str]:
    """Records and the records linked to them (parts, what they are part of, related records): a
    programme's figures are often held by its parts (千校万企: its platform's 500 universities)."""
    out = list(ids)
    marks = ",".join("?" * len(ids))
    for (other,) in kb.conn.execute(
            f"SELECT dst FROM links WHERE src IN ({marks}) AND rel IN ('part_of', 'related') UNION "
            f"SELECT src FROM links WHERE dst IN ({marks}) AND rel IN ('part_of', 'related', 'implements')",
            [*ids, *ids]):
        if other not in out:
            out.append(other)
    return out


def term_owners(kb: KB, it: Interpretation, have: set[str]) -> list[dict]:
    """Vocabulary terms whose own figures answer a question for numbers: the terms it names (and their
    narrower ones), or any term holding the metric it names, or whose text holds its words."""
    if it.kinds or it.records:
        return []  # a record named is the subject: no term's figures
    from ...text import fold
    from .basetext import term_texts

    wanted: set[str] = set(it.regions)  # a place's own figures (not those of the places within it)
    for vocab in ("mechanisms", "instruments", "blockages"):
        for t in getattr(it, vocab):
            wanted.update(kb.descendants.get(t, [t]))
    national = not set(it.regions) - {"cn"}
    if national and not (it.records or it.entities):
        named = it.metrics + it.suggested
        if named:
            wanted.update(r[0] for r in kb.conn.execute(
                f"SELECT DISTINCT owner FROM figures WHERE owner_kind = 'term' AND metric IN "
                f"({','.join('?' * len(named))})", named))
        words = [w for w in (*it.text, *it.unused) if len(w) > 1]
        if words:
            wanted.update(tid for tid, text in term_texts(kb) if all(fold(w) in text for w in words))
    if it.entities:  # an organisation or a name named: only the terms whose texts name it
        texts = dict(term_texts(kb))
        wanted = {t for t in wanted if all(fold(e) in texts.get(t, "") for e in it.entities)}
    if not wanted:
        return []
    sql = f"SELECT DISTINCT owner FROM figures WHERE owner_kind = 'term' AND owner IN ({','.join('?' * len(wanted))})"
    params: list = sorted(wanted)
    if it.metrics:
        sql += f" AND metric IN ({','.join('?' * len(it.metrics))})"
        params += it.metrics
    if it.as_of:
        from ..listing import period

        a, b = period(it.as_of, "--as-of")
        sql += " AND as_of_start <= ? AND as_of_end >= ?"
        params += [b, a]
    owners = [r[0] for r in kb.conn.execute(sql, params) if r[0] not in have]
    if not national:  # a place's question: the place's own figures, and those whose label names it
        from ..figure_match import term_figures

        named = [kb.terms[r]["name_en"].casefold() for r in it.regions]
        labelled = {f[0] for f in term_figures(kb) if f[2] and any(n in f[2].casefold() for n in named)}
        owners = [o for o in owners if o in it.regions or o in labelled]
    return [term_light(kb, t) for t in owners]


def term_light(kb: KB, tid: str) -> dict:
    t = kb.terms[tid]
    rec = {"rowid": None, "id": tid, "kind": VOCAB_KIND[t["vocab"]], "term": True, "name_zh": t["name_zh"],
           "name_en": t["name_en"], "date": None, "regions": [], "mechanisms": [], "instruments": [],
           "addresses": [], "figures": []}
    field = {"regions": "regions", "mechanisms": "mechanisms", "instruments": "instruments",
             "blockages": "addresses"}[t["vocab"]]
    rec[field] = [{"id": tid}]
    for metric, label, value, vmax, unit, qual, as_of, original in kb.conn.execute(
            "SELECT metric, label_en, value, value_max, unit, qualifier, as_of, original FROM figures "
            "WHERE owner = ? ORDER BY idx", (tid,)):
        rec["figures"].append({"metric": metric, "label_en": label, "value": value, "value_max": vmax,
                               "unit": unit, "qualifier": qual, "as_of": as_of, "original": original,
                               "evidence": []})
    return rec


def _ids(col: str | None) -> list[str]:
    """A JSON array of ids as the records table stores it: ids hold no quote or backslash, so a split
    does what json.loads does, several times faster."""
    if not col or col == "[]":
        return []
    return col[2:-2].split('", "') if "\\" not in col else json.loads(col)


class _Tags(dict):
    """A light record's tags by field: each a JSON array as stored, made a set of ids when first read."""

    def __getitem__(self, key: str) -> frozenset:
        value = dict.__getitem__(self, key)
        if not isinstance(value, frozenset):
            value = frozenset(_ids(value))
            self[key] = value
        return value


class Light(dict):
    """A record as ranking needs it: its tags as sets of ids (``tags``) and its figures as rows (``rows``,
    without evidence); ``regions`` and the like, as ``[{id}]``, are made when asked for (a grouping)."""

    FIELDS = ("regions", "mechanisms", "instruments", "addresses")

    def __missing__(self, key: str):
        value: object
        if key == "tags":  # parsed when first asked for: most records are scored on one or two of them
            value = _Tags(zip(self.FIELDS, self["raw"]))
        elif key in self.FIELDS:
            value = [{"id": x} for x in self["tags"][key]]
        elif key == "figures":
            value = [figure_dict(r) for r in self["rows"]]
        else:
            raise KeyError(key)
        self[key] = value
        return value

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default


_FIGURE_COLUMNS = ("metric", "label_en", "value", "value_max", "unit", "qualifier", "as_of", "original")


def figure_dict(row: tuple) -> dict:
    return {**dict(zip(_FIGURE_COLUMNS, row)), "evidence": []}


def light(kb: KB, rowids: list[int] | None = None, ids: list[str] | None = None,
          figures: bool = False) -> list[dict]:
    """Records as ranking needs them (``Light``), read from the lean records table in the order given: id,
    kind, names, date, tags and, with ``figures``, their figures without evidence."""
    if not rowids and not ids:
        return []
    key, values = ("rowid", rowids) if rowids else ("id", ids)
    rows = kb.conn.execute(
        f"SELECT rowid, id, kind, name_zh, name_en, date, regions, mechanisms, instruments, addresses, category "
        f"FROM records WHERE {key} IN (SELECT value FROM json_each(?))", (json.dumps(values),)).fetchall()
    by_key = {r[0] if key == "rowid" else r[1]: r for r in rows}
    out: list[dict] = []
    for v in values or ():
        r = by_key.get(v)
        if r is None:
            continue
        out.append(Light(rowid=r[0], id=r[1], kind=r[2], name_zh=r[3], name_en=r[4], date=r[5], category=r[10],
                         raw=r[6:10], rows=()))
    if figures and out:
        where = {r["id"]: r for r in out}
        held: dict[str, list[tuple]] = {}
        for row in kb.conn.execute(
                "SELECT owner, metric, label_en, value, value_max, unit, qualifier, as_of, original FROM figures "
                "WHERE owner IN (SELECT value FROM json_each(?)) ORDER BY owner, idx", (json.dumps(list(where)),)):
            held.setdefault(row[0], []).append(row[1:])
        for owner, figs in held.items():
            where[owner]["rows"] = tuple(figs)
    return out
