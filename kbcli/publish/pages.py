"""What a record, term or source page shows, read through kb's own query layer (``kb show``,
``kb cite``), so that the web page and the command say the same thing.

Each function takes a ``KB`` and an id and returns plain data for the plugin's templates: no HTML here
(the templates escape everything), and no Datasette.
"""

from __future__ import annotations

from typing import Any

from ..query.kb import KB, VOCAB_KIND, record_evidence
from ..text import fmt_number
from .metadata import safe_url

LIST_CAP = 100  # records listed on a term or source page (the rest through the filtered table)
VOCAB_OF_FIELD = {"regions": "regions", "mechanisms": "mechanisms", "instruments": "instruments",
                  "addresses": "blockages"}
FIELD_NAMES = {"regions": ("Regions", "地区"), "mechanisms": ("Mechanisms", "机制"),
               "instruments": ("Instruments", "政策工具"), "addresses": ("Blockages addressed", "针对的堵点")}
KIND_NAMES = {"law": ("Law or policy document", "法律法规"), "pilot": ("Pilot programme", "试点"),
              "model": ("Transfer model", "转化模式"), "practice": ("Practice", "地方做法"),
              "region": ("Region", "地区"), "mechanism": ("Mechanism", "机制"),
              "instrument": ("Instrument", "政策工具"), "blockage": ("Blockage", "堵点"),
              "source": ("Source", "来源文献")}


def _number(v) -> str:
    if isinstance(v, (int, float)) and float(v).is_integer() and abs(v) >= 10_000:
        return f"{int(v):,}"
    return fmt_number(v)


def value_text(f: dict) -> str:
    """A figure's value as a reader writes it: 1,000,000 yuan, 3–5 percent."""
    val = _number(f.get("value"))
    if f.get("value_max") is not None:
        val += "–" + _number(f["value_max"])
    return f"{val} {f.get('unit') or ''}".rstrip()


def _notices(items) -> list[dict]:
    """Each restricted source once: {source, note}."""
    seen: dict[str, str] = {}
    for e in items:
        if e.get("restricted") and e["source"] not in seen:
            seen[e["source"]] = e.get("citation_note") or "not to be cited"
    return [{"source": s, "note": n} for s, n in seen.items()]


def _quotes(kb: KB, rec: dict) -> list[dict]:
    """Every quote of a record with what it backs in words (the record, figure 2: metric, article 9)."""
    out = []

    def add(items, part: str) -> None:
        for e in items or ():
            src = kb.sources.get(e["source"], {})
            out.append({**e, "part": part, "title": src.get("title"), "lang": _lang(kb, e["source"])})

    add(rec.get("evidence"), "")
    for i, f in enumerate(rec.get("figures") or (), 1):
        add(f.get("evidence"), f"figure {i}: {f.get('label_en') or f['metric']}")
    for a in rec.get("articles") or ():
        add(a.get("evidence"), f"article {a['number']}" + (f" ({a['version']} text)" if a.get("version") else ""))
    for i, c in enumerate(rec.get("components") or (), 1):
        add(c.get("evidence"), f"component {i}" + (f": {c['name_en']}" if c.get("name_en") else ""))
    return out


def _lang(kb: KB, sid: str) -> str:
    """The lang attribute of a quote from ``sid``: zh-Hant for a traditional-script source."""
    import json

    doc = kb.sources.get(sid, {}).get("doc")
    language = (json.loads(doc).get("language") if doc else None) or "zh-CN"
    return {"zh-CN": "zh-Hans", "zh-Hant": "zh-Hant", "en": "en"}.get(language, language)


def citation(kb: KB, ident: str) -> dict | None:
    """``kb cite ID`` in GB/T 7714 and BibTeX, with the sources that ask not to be cited; None when kb
    cannot cite it."""
    from ..cite.cite import collect, render
    from ..errors import KbError

    try:
        cit = collect(kb, [ident])
        return {"gbt": render(cit, "gbt7714").strip(), "bibtex": render(cit, "bibtex").strip(),
                "restricted": [{"source": i.key, "note": i.restriction} for i in cit.restricted]}
    except KbError:
        return None


def record_page(kb: KB, rid: str) -> dict[str, Any]:
    from ..query.show import show

    rec = show(kb, rid)
    tags = [{"field": k, "vocab": VOCAB_OF_FIELD[k], "names": FIELD_NAMES[k], "terms": rec.get(k) or []}
            for k in VOCAB_OF_FIELD]
    figures = [{**f, "n": i, "value_text": value_text(f)} for i, f in enumerate(rec.get("figures") or (), 1)]
    facts = []
    for key, label in (("date", "Date 日期"), ("status", "Status 状态"), ("level", "Level 层级"),
                       ("doc_number", "Document number 文号"), ("issued", "Issued 发布"),
                       ("effective", "In force 施行"), ("category", "Category 类别")):
        if rec.get(key):
            facts.append((label, rec[key]))
    for key, label in (("amended", "Amended 修订"), ("issuers", "Issued by 发布机关"), ("actors", "Actors 主体"),
                       ("short_names", "Also called 简称")):
        if rec.get(key):
            facts.append((label, "; ".join(str(x) for x in rec[key])))
    relations = [{**n, "label": "; ".join(r["text"] for r in n["rels"])} for n in rec.get("relations") or ()]
    parts = [n for n in rec.get("incoming") or () if n["rel"] == "has_part"]
    return {"kind": "record", "rec": rec, "kind_names": KIND_NAMES.get(rec["kind"], (rec["kind"], "")),
            "facts": facts, "tags": tags, "figures": figures, "quotes": _quotes(kb, rec),
            "notices": _notices(record_evidence(rec)), "relations": relations, "parts": parts,
            "part_of": rec.get("part_of"), "cite": citation(kb, rid),
            "disagreements": rec.get("disagreements") or []}


def _listed(kb: KB, first: str, params: list) -> list[dict]:
    """The records whose rowids ``first`` selects, in that order, with what a list shows of them."""
    rows = kb.conn.execute(f"SELECT id, kind, name_zh, name_en, date, restricted FROM records WHERE rowid IN ({first}) "
                           "ORDER BY rowid", params).fetchall()
    return [{"id": i, "kind": k, "name_zh": zh, "name_en": en, "date": d, "restricted": bool(rs)}
            for i, k, zh, en, d, rs in rows]


def term_page(kb: KB, tid: str) -> dict[str, Any]:
    from ..query.show import show_term

    t = show_term(kb, tid, limit=0)  # its records: listed below, the first of those within it too
    desc = kb.descendants.get(tid, [tid])
    marks = ",".join("?" * len(desc))
    # the first records in the seed's order, found through the indexes (their rows, large, read for these alone)
    first = f"SELECT r.rowid FROM records r WHERE r.id IN (SELECT record FROM record_terms WHERE term IN ({marks})) " \
            f"ORDER BY r.rowid LIMIT {LIST_CAP}"
    records = _listed(kb, first, desc)
    direct = {r[0] for r in kb.conn.execute(
        f"SELECT record FROM record_terms WHERE term = ? AND record IN ({','.join('?' * len(records))})",
        [tid, *(r["id"] for r in records)])} if records else set()
    for r in records:
        r["direct"] = r["id"] in direct
    vocab = kb.terms[tid]["vocab"]
    figures = [{**f, "n": i, "value_text": value_text(f)} for i, f in enumerate(t.get("figures") or (), 1)]
    quotes = [{**e, "part": "", "title": kb.sources.get(e["source"], {}).get("title"), "lang": _lang(kb, e["source"])}
              for e in t.get("evidence") or ()]
    for f in figures:
        for e in f.get("evidence") or ():
            quotes.append({**e, "part": f"figure {f['n']}: {f.get('label_en') or f['metric']}",
                           "title": kb.sources.get(e["source"], {}).get("title"), "lang": _lang(kb, e["source"])})
    return {"kind": "term", "term": t, "vocab": vocab, "param": "_" + VOCAB_KIND[vocab],
            "kind_names": KIND_NAMES[VOCAB_KIND[vocab]], "records": records, "total": t["records_with_descendants"],
            "figures": figures, "quotes": quotes, "notices": _notices(quotes)}


def source_page(kb: KB, sid: str) -> dict[str, Any]:
    from ..query.show import show_source

    s = show_source(kb, sid)
    first = ("SELECT r.rowid FROM (SELECT DISTINCT record FROM evidence WHERE source = ?) e JOIN records r ON "
             f"r.id = e.record ORDER BY r.rowid LIMIT {LIST_CAP}")
    records = _listed(kb, first, [sid])
    quotes = dict(kb.conn.execute(
        f"SELECT record, COUNT(*) FROM evidence WHERE source = ? AND record IN ({','.join('?' * len(records))}) "
        "GROUP BY record", [sid, *(r["id"] for r in records)])) if records else {}
    for r in records:
        r["quotes"] = quotes.get(r["id"], 0)
    total = kb.conn.execute("SELECT COUNT(DISTINCT record) FROM evidence WHERE source = ? AND record IS NOT NULL",
                            (sid,)).fetchone()[0]
    people = [f"{a.get('name')}" + (f" ({a['role']})" if a.get("role") else "")
              for key in ("authors", "editors") for a in s.get(key) or () if isinstance(a, dict)]
    facts = []
    for key, label in (("title_en", "English title 英文题名"), ("container_title", "In 所载"),
                       ("publisher", "Publisher 出版者"), ("issued", "Issued 发布日期"), ("issue", "Issue 期号"),
                       ("type", "Type 类型"), ("language", "Language 语言"), ("medium", "Medium 载体"),
                       ("file", "File 文件")):
        if s.get(key):
            facts.append((label, str(s[key])))
    if people:
        facts.append(("Authors 作者", "; ".join(people)))
    url = s.get("url")
    return {"kind": "source", "source": s, "kind_names": KIND_NAMES["source"], "facts": facts,
            "url": safe_url(url), "url_text": url, "records": records, "total": total,
            "part_of": kb.sources.get(sid, {}).get("part_of"), "cite": citation(kb, sid),
            "notices": [{"source": sid, "note": s["citation_note"] or "not to be cited"}] if s["restricted"] else []}
