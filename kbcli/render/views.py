"""Column sets for each kind of row, and detail views for ``kb show``.

Columns with ``table=False`` are left out of the terminal/plain table only;
csv, tsv and md always carry every column, so scripts see a stable layout.
"""

from __future__ import annotations

import re
from typing import TextIO

from ..shape import row
from ..text import clean
from .output import (
    Column,
    emit,
    evidence_text,
    figures_text,
    fmt_number,
    is_terminal,
    join_list,
    join_terms,
    json_dumps,
    md_text,
    stdout,
)


class TColumn(Column):
    """A column that the terminal table leaves out."""


RECORD_COLUMNS = [
    Column("id"), Column("kind"), Column("date"), TColumn("status"), Column("name_zh"), Column("name_en"),
    TColumn("summary_en"),
    Column("regions", flatten=join_terms), TColumn("mechanisms", flatten=join_terms),
    TColumn("instruments", flatten=join_terms), TColumn("addresses", flatten=join_terms),
    TColumn("figures", flatten=figures_text), TColumn("evidence", flatten=evidence_text),
]

LIST_SEPARATOR = "; "  # every list in csv, tsv and md (README, "Output contract")
EVIDENCE_SEPARATOR = " | "  # quotes: a quote may hold a semicolon


def _link(v) -> str:
    return v["id"] if isinstance(v, dict) else (v or "")


def _legal_basis(v) -> str:
    return join_list(f"{lb['id']} (art. {', '.join(map(str, lb['articles']))})" if lb.get("articles") else lb["id"]
                     for lb in v or ())


def _articles(v) -> str:
    return join_list(f"art. {a['number']}" + (f" ({a['version']} text)" if a.get("version") else "") + f": {a['gist_en']}"
                     for a in v or ())


def _components(v) -> str:
    return join_list(f"{c['name_zh']} ({c['name_en']})" for c in v or ())


def record_rows(records: list[dict]) -> list[dict]:
    """Add the derived columns used by the tabular formats and exports: the first and last day of the
    date, the sources of every quote (a list) and whether any restricts citation (``shape.row``)."""
    return [row(r) for r in records]


# The record contract of csv, tsv and md, and of kb export records in every format: every record has every
# column (empty where its kind has no such field); the terminal table shows the Column ones.
RECORD_COLUMNS_ALL = [
    Column("id"), Column("kind"), Column("date"), TColumn("date_start"), TColumn("date_end"), TColumn("status"),
    Column("name_zh"), Column("name_en"), TColumn("short_names"), TColumn("summary_en"),
    Column("regions", flatten=join_terms), TColumn("mechanisms", flatten=join_terms),
    TColumn("instruments", flatten=join_terms), TColumn("addresses", flatten=join_terms), TColumn("actors"),
    TColumn("level"), TColumn("doc_number"), TColumn("issuers"), TColumn("issued"), TColumn("effective"),
    TColumn("amended"), TColumn("published_in"), TColumn("category"), TColumn("part_of", flatten=_link),
    TColumn("legal_basis", flatten=_legal_basis), TColumn("implements", flatten=join_terms),
    TColumn("related", flatten=join_terms), TColumn("articles", flatten=_articles),
    TColumn("components", flatten=_components), TColumn("figures", flatten=figures_text),
    TColumn("evidence", flatten=evidence_text), TColumn("notes"), TColumn("sources"), Column("restricted"),
]

SEARCH_COLUMNS = [Column("score", numeric=True), Column("id"), Column("kind"), Column("name_zh"), Column("name_en"),
                  Column("match", flatten=lambda m: (m or {}).get("text", "") if m else ""),
                  TColumn("match_source", flatten=None), Column("restricted")]


def search_rows(records: list[dict]) -> list[dict]:
    rows = record_rows(records)
    for r in rows:
        m = r.get("match") or {}
        r["match_source"] = m.get("source", m.get("field", ""))
        r["match"] = m or None
    return rows


def term_columns(indent: bool) -> list[Column]:
    name = Column("name_zh", flatten=None)
    if indent:
        name = Column("tree", "name_zh")
    return [Column("id"), name, Column("name_en"), Column("level"), Column("parent"), TColumn("depth", numeric=True),
            Column("records", numeric=True), Column("total", numeric=True), TColumn("aliases"), TColumn("see_also")]


def term_rows(rows: list[dict]) -> list[dict]:
    return [dict(r, tree="  " * r.get("depth", 0) + (r["name_zh"] or "")) for r in rows]


SOURCE_COLUMNS = [Column("id"), Column("part_of"), Column("type"), Column("title"), Column("issued"),
                  Column("restricted"), Column("quotes", numeric=True), TColumn("citation_note")]
FIGURE_COLUMNS = [Column("owner"), TColumn("owner_kind"), Column("metric"), TColumn("label_en"),
                  Column("value", numeric=True), Column("value_max", numeric=True), Column("unit"),
                  Column("qualifier"), Column("as_of"), Column("original"), TColumn("note"),
                  Column("sources", flatten=join_list), Column("restricted"), Column("handle")]
COMPARISON_LABEL = {"corroborated": "sources agree", "conflicting": "SOURCES DISAGREE",
                    "different-periods": "different periods", "target-and-outcome": "a target and an outcome"}


def comparison_values(c: dict) -> str:
    """Each figure of a comparison: value, unit, qualifier, date, wording as printed, sources, handle."""
    def one(f: dict) -> str:
        val = fmt_number(f["value"]) + (f"–{fmt_number(f['value_max'])}" if f.get("value_max") is not None else "")
        q = "" if f.get("qualifier") in (None, "exact") else f" ({f['qualifier']})"
        when = f", as of {f['as_of']}" if f.get("as_of") else ""
        by = f.get("reported_by") or f["sources"]
        return f"{val} {f['unit']}{q}{when} [{f['original']}] per {', '.join(by)} ({f['handle']})"
    return "; ".join(one(f) for f in c["figures"])


# text columns wrap on a terminal (render.terminal): a comparison row is long, and no value is cut
COMPARISON_COLUMNS = [Column("owner"), TColumn("owner_kind"), Column("metric"), TColumn("label_en"), TColumn("unit"),
                      Column("status"), TColumn("as_of", flatten=lambda v: "; ".join(x or "n.d." for x in v or [])),
                      Column("figures", "values", flatten=lambda v: comparison_values({"figures": v or []})),
                      TColumn("basis"), TColumn("sources", flatten=join_list), Column("restricted")]


SUM_COLUMNS = [Column("metric"), Column("unit"), Column("n", numeric=True), Column("sum", numeric=True),
               Column("min", numeric=True), Column("max", numeric=True)]
KINDS_COLUMNS = [Column("kind"), Column("count", numeric=True), Column("in_use", numeric=True)]


def columns_for(rows: list[dict]) -> list[Column]:
    """Generic columns in the rows' key order (for export tables and SQL)."""
    if not rows:
        return []
    first = rows[0]
    return [Column(k, numeric=isinstance(v, (int, float)) and not isinstance(v, bool)) for k, v in first.items()]


def project(rows: list[dict], columns: list[Column]) -> list[dict]:
    """Rows with exactly the columns' keys, in their order, values unflattened (json and jsonl of exports,
    so that every format has the same columns)."""
    return [{c.title: r.get(c.key) for c in columns} for r in rows]


def emit_rows(rows: list[dict], columns: list[Column], fmt: str, out: TextIO | None = None) -> None:
    if fmt == "table":
        columns = [c for c in columns if not isinstance(c, TColumn)]
    emit(rows, columns, fmt, out=out)


# ---------------------------------------------------------------- show
def _terms_line(items: list[dict]) -> str:
    return ", ".join(f"{t['id']} ({t['name_zh']})" for t in items) if items else "-"


def _ev_lines(evidence: list[dict], indent: str) -> list[str]:
    out = []
    for e in evidence:
        mark = f"  [restricted: {e['citation_note']}]" if e.get("restricted") else ""
        q = e["quote"]  # in quotation marks, unless the quote itself opens with one
        out.append(f"{indent}{q}" if q.startswith(("“", "「", "『", '"')) else f"{indent}“{q}”")
        out.append(f"{indent}  — {e['source']}, {e['locator']}{mark}")
    return out


def _fig_line(f: dict) -> str:
    val = fmt_number(f["value"])
    if f.get("value_max") is not None:
        val += "–" + fmt_number(f["value_max"])
    q = "" if f.get("qualifier") in (None, "exact") else f" ({f['qualifier']})"
    when = f", as of {f['as_of']}" if f.get("as_of") else ""
    label = f" — {f['label_en']}" if f.get("label_en") else ""
    return f"{f['metric']}: {val} {f['unit']}{q}{when}; printed {f['original']}{label}"


def detail_lines(obj: dict) -> list[str]:
    kind = obj.get("kind")
    lines = [f"{obj['id']}  [{kind}]"]
    if obj.get("name_zh") or obj.get("name_en"):
        lines.append(f"{obj.get('name_zh') or ''}")
        lines.append(f"{obj.get('name_en') or ''}")
    if kind == "source":
        for k in ("type", "title", "title_en", "subtitle", "container_title", "original_source", "publisher",
                  "issued", "issue", "site", "url", "language", "part_of"):
            if obj.get(k):
                lines.append(f"{k}: {obj[k]}")
        for k in ("authors", "editors"):
            if obj.get(k):
                lines.append(f"{k}: " + ", ".join(f"{p['name']} ({p.get('role', 'author')})" for p in obj[k]))
        if obj.get("restricted"):
            lines.append(f"RESTRICTED: {obj.get('citation_note')}")
        if obj.get("parts"):
            lines.append("parts: " + ", ".join(obj["parts"]))
        lines.append(f"quotes: {obj.get('quotes', 0)} from {obj.get('items_citing', 0)} items")
        for k in ("description_en", "notes"):
            if obj.get(k):
                lines.append(f"{k}: {obj[k]}")
        if obj.get("evidence"):
            lines.append("evidence:")
            lines.extend(_ev_lines(obj["evidence"], "  "))
        return lines
    if kind == "article":
        law = obj["law"]
        lines[1:] = [f"art. {obj['number']} of {law['id']} ({law['name_zh']})", law.get("name_en") or ""]
        for v in obj.get("versions", []):
            ver = f" (numbering of the {v['version']} text)" if v.get("version") else ""
            items = (" items " + "、".join(v["items"])) if v.get("items") else ""
            lines.append(f"gist{ver}{items}: {v['gist_en']}")
            lines.append("evidence:")
            lines.extend(_ev_lines(v["evidence"], "  "))
        n = len(obj.get("cited_by", []))
        lines.append(f"cited as legal basis by {n} record{'' if n == 1 else 's'}:")
        lines.extend(f"  {r['id']} [{r['kind']}] {r['name_zh']}" for r in obj.get("cited_by", []))
        return lines
    if kind == "figure":
        owner = obj["owner"]
        lines[1:] = [f"figure of {owner['id']} [{owner['kind']}] ({owner['name_zh']})", _fig_line(obj)]
        if obj.get("note"):
            lines.append(f"note: {obj['note']}")
        lines.append("evidence:")
        lines.extend(_ev_lines(obj["evidence"], "  "))
        return lines
    if kind in ("region", "mechanism", "instrument", "blockage"):
        if obj.get("level"):
            lines.append(f"level: {obj['level']}")
        if obj.get("parents"):
            lines.append("within: " + " < ".join(f"{p['id']} ({p['name_zh']})" for p in obj["parents"]))
        if obj.get("children"):
            lines.append("contains: " + _terms_line(obj["children"]))
        if obj.get("see_also"):
            lines.append("see also: " + _terms_line(obj["see_also"]) + " (related, not included in its queries)")
        if obj.get("aliases"):
            lines.append("aliases: " + ", ".join(obj["aliases"]))
        if obj.get("description_en"):
            lines.append(f"about: {obj['description_en']}")
        if obj.get("evidence_cues"):
            lines.append("tag needs evidence naming one of: " + ", ".join(obj["evidence_cues"]))
        lines.append(f"records: {len(obj.get('records', []))} tagged directly, "
                     f"{obj.get('records_with_descendants', 0)} with narrower terms")
        for r in obj.get("records", []):
            lines.append(f"  {r['id']} [{r['kind']}] {r['name_zh']}")
    else:
        lines.append(f"summary: {obj.get('summary_en') or ''}")
        for k in ("date", "status", "level", "doc_number", "issued", "effective", "category"):
            if obj.get(k):
                lines.append(f"{k}: {obj[k]}")
        for k in ("issuers", "amended", "short_names", "actors"):
            if obj.get(k):
                lines.append(f"{k}: " + ", ".join(obj[k]))
        for k, label in (("regions", "regions"), ("mechanisms", "mechanisms"), ("instruments", "instruments"),
                         ("addresses", "addresses")):
            lines.append(f"{label}: {_terms_line(obj.get(k) or [])}")
        links = []
        arrow = {"out": "→", "in": "←", "both": "↔"}
        for t in obj.get("relations", []):  # each linked record once (kbcli.query.relations)
            rels = ", ".join(r["text"] for r in t["rels"])
            links.append(f"  {arrow[t['direction']]} {rels}: {t['id']} [{t.get('kind') or '?'}] ({t.get('name_zh') or ''})")
        if links:
            lines.append("relations:")
            lines.extend(links)
        if obj.get("articles"):
            lines.append("articles cited:")
            for a in obj["articles"]:
                ver = f" (numbering of the {a['version']} text)" if a.get("version") else ""
                items = (" items " + "、".join(a["items"])) if a.get("items") else ""
                lines.append(f"  art. {a['number']}{ver}{items}: {a['gist_en']}")
                lines.extend(_ev_lines(a["evidence"], "    "))
        if obj.get("components"):
            lines.append("components:")
            for c in obj["components"]:
                lines.append(f"  {c['name_zh']} — {c['name_en']}" + (f": {c['summary_en']}" if c.get("summary_en") else ""))
                lines.extend(_ev_lines(c["evidence"], "    "))
    if obj.get("figures"):
        lines.append("figures:")
        for f in obj["figures"]:
            lines.append("  " + _fig_line(f))
            if f.get("note"):
                lines.append(f"    note: {f['note']}")
            lines.extend(_ev_lines(f["evidence"], "    "))
    if obj.get("comparisons"):
        lines.append("figures across sources:")
        for c in obj["comparisons"]:
            lines.append(f"  {c['metric']}: {COMPARISON_LABEL.get(c['status'], c['status'])} — {comparison_values(c)}")
            lines.append(f"    {c['basis']}")
    if kind not in ("region", "mechanism", "instrument", "blockage"):
        lines.append("evidence:")
        lines.extend(_ev_lines(obj.get("evidence", []), "  "))
    if obj.get("notes"):
        lines.append(f"notes: {obj['notes']}")
    return lines


def emit_detail(obj: dict, fmt: str, out: TextIO | None = None) -> None:
    out = out or stdout()
    if fmt == "json":
        out.write(json_dumps(obj) + "\n")
    elif fmt == "jsonl":
        out.write(json_dumps(obj, indent=None) + "\n")
    elif fmt == "md":  # the data's text as text: no HTML, no link (md_text)
        lines = detail_lines(obj)
        out.write(f"## {md_text(clean(lines[0]))}\n\n")
        for line in lines[1:]:
            line = md_text(clean(line))
            if line.startswith("  "):
                out.write(f"    {line}\n" if line.strip().startswith(("“", "—")) else f"- {line.strip()}\n")
            else:
                out.write(f"{line}\n\n" if not line.endswith(":") else f"**{line}**\n\n")
    elif fmt in ("csv", "tsv"):
        if obj.get("kind") in ("law", "pilot", "model", "practice"):
            emit(record_rows([obj]), RECORD_COLUMNS_ALL, fmt, out=out)
        else:
            flat = {k: v for k, v in obj.items() if not isinstance(v, (list, dict))}
            emit([flat], [Column(k) for k in flat], fmt, out=out)
    else:
        emit_lines(detail_lines(obj), out, bold={0})


def emit_lines(lines: list[str], out: TextIO | None = None, bold: set[int] | None = None) -> None:
    """Lines of text, cleaned; on a terminal wrapped to its width (indentation kept, nothing cut) with the
    lines numbered in ``bold`` (and lines starting with '## ') in bold."""
    out = out or stdout()
    lines = [clean(line) for line in lines]
    if not is_terminal(out):
        out.write("\n".join(line.removeprefix("## ") for line in lines) + "\n")
        return
    from rich.text import Text

    from .output import rich_console
    from .terminal import wrap_indented

    console = rich_console(out)
    text = Text()
    for i, line in enumerate(lines):
        heading = i in (bold or ()) or line.startswith("## ")
        if heading:
            line = line.removeprefix("## ")
        numbered = re.match(r"\d+\. ", line)  # a numbered item's lines continue under its text
        for part in wrap_indented(line, console.width, hang=len(numbered.group()) if numbered else 2):
            text.append(part + "\n", style="bold" if heading else "")
    console.print(text, end="")


# ---------------------------------------------------------------- ask

_AS = {"region": "region", "mechanism": "mechanism", "instrument": "instrument", "blockage": "blockage",
       "kind": "kind", "level": "places of level", "grouping": "grouped by", "money": "money named",
       "amount": "an amount asked", "count": "a count asked", "record": "record", "date": "date",
       "out-of-scope": "outside the base", "when": "a date asked", "metric": "metric",
       "comparison": "a comparison", "place not in the base": "a place the base does not hold",
       "name in the base's text": "a name in the base's text", "words in the base's text": "words in the base's text",
       "name not in the base": "a name the base does not hold"}


def match_line(it: dict) -> str:
    """The answer's first line: exact, partial (with what it could not honour) or none (with why)."""
    if it.get("match") == "none":
        why = next((n for n in it.get("notes", []) if n.startswith("the base has nothing")), None)
        return "no answer: " + (why or "; ".join(it.get("dropped", [])) or "nothing in the base answers it")
    if it.get("match") == "partial":
        return "partial answer, not honoured: " + "; ".join(it.get("dropped", []))
    return "exact answer: every part of the question read holds"


def ask_lines(question: str, it: dict, records: list[dict], related: list[dict] | None = None,
              related_heading: str | None = None) -> list[str]:
    """The answer to ``kb ask`` as text: whether it is exact, partial or none; the reading (the equivalent
    command, what each word was taken for, the words not used, notes); then the records best first,
    grouped by place when asked; then, under its own heading, related material that is not the answer."""
    lines = [f"## {match_line(it)}"] + ([it["command"]] if it["command"] != "-" else [])
    read = []
    for d in it["recognised"]:
        what = _AS.get(d["as"], d["as"])
        target = f" {d['id']}" if d.get("id") else ""
        name = f" ({d['name_zh']})" if d.get("name_zh") and d.get("name_zh") != d["text"] else ""
        dropped = " [left out]" if d.get("dropped") else f" [widened to {d['widened']}]" if d.get("widened") else ""
        read.append(f"{d['text']} → {what}{target}{name}{dropped}")
    lines.append("  read: " + ("; ".join(read) if read else "nothing the base knows"))
    lines.append("  not recognised (used to rank): " + (", ".join(it["unused"]) if it["unused"] else "-"))
    said = lines[0]
    lines.extend(f"  note: {n}" for n in it["notes"] if n not in said)  # the first line says it already
    lines.append("")
    if not records:
        lines.append("No record answers the question.")
    lines.extend(_answer_lines(it, records))
    if related:
        lines.append("")
        lines.append(f"## {related_heading or 'not the answer: related records'}")
        lines.extend(_answer_lines({**it, "group_by": None, "compare": False}, related))
    return lines


def _answer_lines(it: dict, records: list[dict]) -> list[str]:
    lines: list[str] = []
    group = object()
    for n, rec in enumerate(records, 1):
        if (it.get("group_by") or it.get("compare")) and rec.get("group") != group:
            group = rec.get("group")
            lines.append(f"## {group['name_zh']} {group['name_en']}" if group else "## (no place)")
        lines.append(f"{n}. {rec['id']} [{rec['kind']}] {rec['name_zh']}")
        lines.append(f"   {rec['name_en']}")
        if rec.get("regions") and not it.get("group_by"):
            lines.append("   in: " + ", ".join(f"{t['name_zh']} {t['name_en']}" for t in rec["regions"]))
        if rec.get("date"):
            amended = f"; amended {', '.join(rec['amended'])}" if rec.get("amended") else ""
            lines.append(f"   date: {rec['date']}{amended}")
        elif it.get("when"):
            lines.append("   date: the sources give none")
        answer = rec.get("answer") or {}
        for f in answer.get("figures", []):
            lines.append("   " + _fig_line(f))
        q = answer.get("quote")
        if q:
            lines.extend(_ev_lines([q], "   "))
    return lines
    group = object()
    for n, rec in enumerate(records, 1):
        if it.get("group_by") and rec.get("group") != group:
            group = rec.get("group")
            lines.append(f"## {group['name_zh']} {group['name_en']}" if group else "## (no place)")
        lines.append(f"{n}. {rec['id']} [{rec['kind']}] {rec['name_zh']}")
        lines.append(f"   {rec['name_en']}")
        if rec.get("regions") and not it.get("group_by"):
            lines.append("   in: " + ", ".join(f"{t['name_zh']} {t['name_en']}" for t in rec["regions"]))
        if rec.get("date"):
            amended = f"; amended {', '.join(rec['amended'])}" if rec.get("amended") else ""
            lines.append(f"   date: {rec['date']}{amended}")
        elif it.get("when"):
            lines.append("   date: the sources give none")
        answer = rec.get("answer") or {}
        for f in answer.get("figures", []):
            lines.append("   " + _fig_line(f))
        q = answer.get("quote")
        if q:
            lines.extend(_ev_lines([q], "   "))
    return lines
