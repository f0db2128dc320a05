"""The output record: a stored record as kb prints it, one shape for every command and format.

A record is stored as the seed wrote it (``record_docs.doc``, defaults left out); ``record``
turns it into the output record, with the names of the terms it is tagged with, whether each
quote's source asks not to be cited, and the names of the records it links to; ``row`` adds
the derived columns of the output contract (``date_start``, ``date_end``, ``sources``,
``restricted``). The build makes each record's ``row`` once, as the JSON line ``kb query
--format json`` prints (``record_docs.json``), and the query layer makes the same from the
stored record when it needs the record itself: one function, so the two cannot differ.

This module sits beside ``text`` and ``dates``: the store, query and render layers use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .dates import date_range

TERM_FIELDS = ("regions", "mechanisms", "instruments", "addresses")  # a record's term lists; addresses: blockages
# stored records leave out default values (see store.build); these are the defaults of `status`
STATUS_DEFAULT = {"law": "not-stated", "pilot": "not-stated", "practice": "implemented"}
# Bump when ``record`` or ``row`` changes what they make: a database whose stored JSON lines were made
# by another version is read the slow way (``record_docs.json`` is then not used).
SHAPE_VERSION = "2"


def mini(terms: Mapping[str, Mapping], tid: str) -> dict:
    """A term as a record names it: its id and both names (None when the base does not know it)."""
    t = terms.get(tid)
    if t is None:
        return {"id": tid, "name_zh": None, "name_en": None}
    return {"id": tid, "name_zh": t["name_zh"], "name_en": t["name_en"]}


def evidence(sources: Mapping[str, Mapping], items: Iterable[dict]) -> list[dict]:
    """Quotes as printed: a quote of a source that asks not to be cited carries the source's words."""
    out = []
    for e in items:
        d = {"source": e["source"], "quote": e["quote"], "locator": e["locator"]}
        if e.get("note"):
            d["note"] = e["note"]
        src = sources.get(e["source"])
        if src and src["restricted"]:
            d["restricted"] = True
            d["citation_note"] = src["citation_note"]
        out.append(d)
    return out


def figure(sources: Mapping[str, Mapping], f: dict) -> dict:
    d = {"metric": f["metric"], "label_en": f.get("label_en"), "value": f["value"],
         "value_max": f.get("value_max"), "unit": f["unit"], "qualifier": f.get("qualifier", "exact"),
         "as_of": f.get("as_of"), "original": f["original"]}
    if f.get("note"):
        d["note"] = f["note"]
    d["evidence"] = evidence(sources, f.get("evidence", ()))
    return d


def link(tid: str, names: Mapping[str, Mapping]) -> dict:
    n = names.get(tid, {})
    return {"id": tid, "kind": n.get("kind"), "name_zh": n.get("name_zh"), "name_en": n.get("name_en")}


def linked_ids(raw: dict) -> list[str]:
    """The records a stored record links to."""
    ids = [lb["law"] for lb in raw.get("legal_basis", ())]
    ids.extend(raw.get("implements", ()))
    ids.extend(raw.get("related", ()))
    if raw.get("part_of"):
        ids.append(raw["part_of"])
    return ids


def record(kind: str, raw: dict, terms: Mapping[str, Mapping], sources: Mapping[str, Mapping],
           names: Mapping[str, Mapping]) -> dict:
    """One stored record (its parsed doc) as an output record. ``terms`` maps term ids to their names,
    ``sources`` source ids to ``restricted`` and ``citation_note`` (a document's restriction holds for
    its articles), ``names`` linked record ids to their ``kind`` and names."""
    r: dict[str, Any] = {"id": raw["id"], "kind": kind, "name_zh": raw["name_zh"], "name_en": raw["name_en"],
                         "short_names": raw.get("short_names", []), "summary_en": raw["summary_en"],
                         "date": raw.get("date") or raw.get("issued")}
    if kind != "model":
        r["status"] = raw.get("status", STATUS_DEFAULT[kind])
    for field in TERM_FIELDS:
        r[field] = [mini(terms, t) for t in raw.get(field, ())]
    r["actors"] = raw.get("actors", [])
    r["figures"] = [figure(sources, f) for f in raw.get("figures", ())]
    r["evidence"] = evidence(sources, raw.get("evidence", ()))
    r["legal_basis"] = [dict(link(lb["law"], names), articles=lb.get("articles", []))
                        for lb in raw.get("legal_basis", ())]
    r["implements"] = [link(t, names) for t in raw.get("implements", ())]
    r["part_of"] = link(raw["part_of"], names) if raw.get("part_of") else None
    r["related"] = [link(t, names) for t in raw.get("related", ())]
    if kind == "law":
        for k in ("level", "issuers", "doc_number", "issued", "effective", "amended", "published_in"):
            r[k] = raw.get(k, [] if k in ("issuers", "amended") else None)
        r["articles"] = [{"number": a["number"], "version": a.get("version"), "items": a.get("items", []),
                          "gist_en": a["gist_en"], "evidence": evidence(sources, a.get("evidence", ()))}
                         for a in raw.get("articles", ())]
    if kind == "model":
        r["category"] = raw.get("category")
        r["components"] = [{"name_zh": c["name_zh"], "name_en": c["name_en"], "summary_en": c.get("summary_en"),
                            "evidence": evidence(sources, c.get("evidence", ()))} for c in raw.get("components", ())]
    if kind == "pilot":  # pilots name their issuing bodies too (the database's records.issuers)
        r["issuers"] = raw.get("issuers", [])
    r["notes"] = raw.get("notes")
    return r


def record_evidence(rec: dict) -> Iterator[dict]:
    """Every evidence item of an output record: its own, then its figures', its articles'
    (laws) and its components' (models)."""
    yield from rec.get("evidence", ())
    for part in ("figures", "articles", "components", "versions"):
        for x in rec.get(part) or ():
            yield from x.get("evidence", ())


def row(rec: dict) -> dict:
    """An output record with the derived columns of the output contract: the first and last day of its
    date, the sources of every quote (a list) and whether any of them asks not to be cited."""
    ev = list(record_evidence(rec))
    d = dict(rec)
    d["date_start"], d["date_end"] = date_range(rec["date"]) if rec.get("date") else (None, None)
    d["sources"] = list(dict.fromkeys(e["source"] for e in ev))
    d["restricted"] = any(e.get("restricted") for e in ev)
    return d
