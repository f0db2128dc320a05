"""The question box: ``kb ask`` in the browser.

A question is text only, at most ``MAX_CHARS`` characters (control characters refused), and is answered
within ``SECONDS`` (the statements stop at the deadline; the page then says so). The answer is what
``kb ask --format json`` prints, ``{question, interpretation, records}`` (with ``interpretation.match``
when the ask layer provides it), and the link to the equivalent filtered table on this site.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from ..query.kb import KB

MAX_CHARS = 300
SECONDS = 5.0
LIMIT = 20
KIND_PARAM = {"regions": "_region", "mechanisms": "_mechanism", "instruments": "_instrument", "blockages": "_blockage"}


class BadQuestion(ValueError):
    """A question the box refuses (too long, control characters): its message says why."""


def check(question: str | None) -> str:
    """The question, stripped; raises BadQuestion for what the box does not take."""
    text = (question or "").strip()
    if len(text) > MAX_CHARS:
        raise BadQuestion(f"a question has at most {MAX_CHARS} characters (this one has {len(text)})")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co") and c not in "\t\n" for c in text):
        raise BadQuestion("a question is plain text: no control or formatting characters")
    return " ".join(text.split())


def answer(kb: KB, question: str, limit: int = LIMIT) -> dict:
    """``kb ask``'s answer as JSON, plus ``table``: the equivalent filtered table (path, query string)."""
    from ..query.ask import ask
    from .pages import value_text

    a = ask(kb, question, limit)
    out: dict[str, Any] = (a.to_json() if hasattr(a, "to_json") else
                           {"interpretation": a.interpretation.to_json(), "records": a.records})
    it: dict[str, Any] = out["interpretation"]
    notices: dict[str, str] = {}
    for rec in out["records"]:
        ans = rec.get("answer") or {}
        for f in ans.get("figures") or ():
            f["value_text"] = value_text(f)
        for e in [ans.get("quote") or {}, *(e for f in ans.get("figures") or () for e in f.get("evidence") or ())]:
            if e.get("restricted"):
                notices.setdefault(e["source"], e.get("citation_note") or "not to be cited")
    return {**out, "question": question, "table": equivalent({**it, "question": question}),
            "notices": [{"source": s, "note": n} for s, n in notices.items()]}


def equivalent(it: dict) -> dict | None:
    """The table and filters of this site that show what the reading finds (None when nothing runs)."""
    mode = it.get("mode")
    if mode == "search":
        text = " ".join(it.get("unused") or []) or it.get("question") or ""
        return {"table": "records", "query": urlencode({"_search": text})} if text.strip() else None
    if mode == "article" and it.get("records"):
        return {"row": it["records"][0]}
    if mode == "figures":
        args: list[tuple[str, str]] = []
        if it.get("metrics"):
            args.append(("metric__in", ",".join(it["metrics"])))
        if it.get("records"):
            args.append(("record__in", ",".join(it["records"])))
        if it.get("regions") and not it.get("records"):
            args.append(("owner__in", ",".join(it["regions"])))
        return {"table": "figures", "query": urlencode(args)} if args else {"table": "figures", "query": ""}
    if mode != "query":
        return None
    args = []
    for vocab, param in KIND_PARAM.items():
        args += [(param, t) for t in it.get(vocab) or ()]
    kinds = it.get("kinds") or []
    if len(kinds) == 1:
        args.append(("kind", kinds[0]))
    elif kinds:
        args.append(("kind__in", ",".join(kinds)))
    args += [("_level", v) for v in it.get("levels") or ()]
    if it.get("exact") and it.get("regions"):
        args.append(("_exact", "1"))
    for key in ("since", "until"):
        if it.get(key):
            args.append((f"_{key}", it[key]))
    if it.get("text"):  # kb query --text: every part, as the table's search
        args.append(("_search", " ".join(it["text"])))
    if it.get("entities"):
        return None  # names found in the base's text: no filter of the table says the same
    if it.get("records") and len(args) == 0:
        return {"row": it["records"][0]}
    return {"table": "records", "query": urlencode(args)}
