"""Pages the plugin adds to Datasette (``register_routes``): the question box's answers (``/-/ask``,
``/-/ask.json``) and a health check for load balancers (``/-/health``)."""

from __future__ import annotations

import asyncio

from datasette import Response

from ..asking import LIMIT, SECONDS, BadQuestion, answer, check
from ..site import TooLong, bounded, kb_of, site

EXAMPLES = ["Which cities fund proof-of-concept centres?", "陕西有哪些解决不敢转的做法", "2022年全国技术合同成交额",
            "What laws govern job-related results?", "中試基地"]


def _pick(datasette, request):
    dbs = site(datasette).databases
    name = request.args.get("db")
    if name:
        return dbs.get(name)
    return next(iter(dbs.values()), None)


async def ask_view(datasette, request):
    """``kb ask`` in the browser: ``/-/ask?q=QUESTION`` (HTML) or ``/-/ask.json?q=...`` (what
    ``kb ask --format json`` prints, plus the equivalent table)."""
    as_json = request.url_vars.get("format") == "json"
    db = _pick(datasette, request)
    if db is None:
        return Response.text("no kb database is served here\n", status=404)
    status, data, error = 200, None, None
    try:
        question = check(request.args.get("q"))
    except BadQuestion as exc:
        question, status, error = (request.args.get("q") or "")[:300], 400, str(exc)
    if question and error is None:
        path = db.path

        def work(_conn):
            kb = kb_of(path)
            with bounded(kb.conn, SECONDS):
                return answer(kb, question, LIMIT)

        try:
            data = await asyncio.wait_for(datasette.get_database(db.name).execute_fn(work), SECONDS + 1)
        except (TimeoutError, TooLong):
            status, error = 503, f"the question took longer than {SECONDS:g} seconds to answer; try a narrower one"
    if as_json:
        if error:
            return Response.json({"ok": False, "error": error, "status": status}, status=status)
        return Response.json(data or {"question": "", "interpretation": None, "records": []})
    return Response.html(await datasette.render_template(
        "kb_ask.html", {"question": question, "answer": data, "error": error, "database": db.name,
                        "kb": {"database": db.name, "questions": EXAMPLES}}, request=request), status=status)


async def health_view(datasette, request):
    """200 ``ok`` when every kb database answers a query (a load balancer's check)."""
    for db in site(datasette).databases.values():
        try:
            await datasette.get_database(db.name).execute("SELECT COUNT(*) FROM meta")
        except Exception as exc:  # noqa: BLE001 - any failure is "not healthy"
            return Response.text(f"unhealthy: {db.name}: {type(exc).__name__}\n", status=503)
    return Response.text("ok\n", headers={"cache-control": "no-store"})


ROUTES = [
    (r"^/-/ask(\.(?P<format>json))?$", ask_view),
    (r"^/-/health$", health_view),
]
