"""A server that answers a bad request with a 4xx page, never a 500 and a traceback on its terminal.

Two places, both Datasette's own hooks, active only where a kb database is served:

* ``asgi_wrapper``: requests Datasette would mishandle are answered before it sees them: a method other
  than GET or HEAD (the database is read-only: 405), a path that is not ASCII (Datasette decodes the raw
  path as ASCII and fails: 400), a path with ``//``, a backslash or a ``.``/``..`` segment (Datasette
  redirects ``//host/`` to ``//host``, another site: 404).
* ``handle_exception`` (a hook wrapper): Datasette's default handler prints every exception with Rich,
  404s included (and, as a 404 is not raised in an ``except`` block, fails doing it, which makes the 404 a
  500); here an error with a 4xx status is rendered as Datasette renders it, printing nothing, a request
  error Datasette reports as 500 (``Cannot sort table by nonexistent``) becomes the 400 it is, and a real
  server error prints one line, not a traceback.
"""

from __future__ import annotations

import re

from datasette import Response, hookimpl
from datasette.utils.asgi import Base400
from datasette.views.base import DatasetteError
from markupsafe import Markup

from ...text import say
from ..site import site

_SEGMENT = re.compile(r"(^|/)\.{1,2}(/|$)")
# DatasetteErrors that are a request's fault, though Datasette gives them status 500
_REQUEST_ERRORS = ("Cannot sort table by", "Cannot use _sort and _sort_desc")


def _serves_kb(datasette) -> bool:
    return bool(site(datasette).databases)


async def _plain(send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})


def refusal(scope) -> tuple[int, str] | None:
    """The status and message for a request refused before Datasette routes it, else None."""
    method = scope.get("method", "GET")
    if method not in ("GET", "HEAD"):
        return 405, f"405 {method} is not allowed: the base is read-only (GET and HEAD only)\n"
    raw = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogateescape")
    path = raw.partition(b"?")[0]
    if not path.isascii() or any(b < 0x20 or b == 0x7F for b in path):
        return 400, "400 malformed URL: a path is ASCII (percent-encode other characters)\n"
    text = path.decode("ascii")
    if "//" in text or "\\" in text or _SEGMENT.search(text) or not text.startswith("/"):
        return 404, "404 not found\n"
    return None


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def guarded(scope, receive, send):
            if scope.get("type") == "http" and _serves_kb(datasette):
                refused = refusal(scope)
                if refused is not None:
                    status, text = refused
                    return await _plain(send, status, text)
            return await app(scope, receive, send)

        return guarded

    return wrap


@hookimpl(hookwrapper=True)
def handle_exception(datasette, request, exception):
    outcome = yield
    if not _serves_kb(datasette):
        return
    status, title, message = None, None, None
    if isinstance(exception, Base400):
        status, message = exception.status, exception.args[0] if exception.args else str(exception.status)
    elif isinstance(exception, DatasetteError):
        status, title, message = exception.status, exception.title, exception.message
        if exception.message_is_html:
            message = Markup(message)
        if status >= 500 and str(exception.message).startswith(_REQUEST_ERRORS):
            status = 400
    if status is None or status >= 500:
        path = request.path if request is not None else "?"
        say(f"kb serve: error on {request.method if request else ''} {path}: {type(exception).__name__}: "
            f"{str(exception)[:300]}")
        status, title, message = 500, "Server error", "The server met an error it did not expect."

    async def page():
        info = {"ok": False, "error": message, "status": status, "title": title}
        if request.path.split("?")[0].endswith(".json"):
            return Response.json(info, status=status)
        template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
        return Response.html(await template.render_async(dict(info, urls=datasette.urls,
                                                              app_css_hash=datasette.app_css_hash(),
                                                              menu_links=list)), status=status)

    outcome.force_result([page])
