"""Items as CSL-JSON (https://citationstyles.org/), for Zotero, pandoc and any CSL processor.

Only properties of the CSL data schema are used. Chinese names are
``literal`` (never split into family and given), ``language`` is a BCP 47
tag (``zh-CN``; ``zh-Hant`` for the traditional-script article), dates are
``date-parts``. A law is ``legislation`` (or ``regulation``) with its issuing
bodies as authors (a bare 国家, "the state", names no body and is left out),
the amendment cited in its title (《…（2015年修订）》, since styles print
``edition`` as "2015年修订 版") and the version's year as ``issued``.

Every text is one line (a title never carries a line break into a reference
or a RIS record), and only an http or https address becomes ``URL``.
"""

from __future__ import annotations

from .items import Item
from .safe import one_line, web_url

# Issuers that name no issuing body: a law "issued by the state" is cited without an author
NOT_A_BODY = {"国家"}


def date_parts(value: str | None) -> dict | None:
    if not value:
        return None
    parts = [int(p) for p in value[:10].split("-")]
    return {"date-parts": [parts]}


def names(people: list[dict], roles: tuple[str, ...]) -> list[dict]:
    return [{"literal": one_line(p["name"])} for p in people if p.get("role", "author") in roles]


LEGISLATION = {"national-law", "local-regulation", "foreign-law"}


def law_title(item: Item) -> str:
    """A law's title, with the amendment cited: 《…法（2015年修订）》 as Chinese practice writes it."""
    d = item.data
    if item.version and item.version in (d.get("amended") or []):
        return one_line(f"{d['name_zh']}（{item.version}年修订）")
    return one_line(d["name_zh"])


def law_csl(item: Item) -> dict:
    """Laws are ``legislation``; regulations and government documents ``regulation``
    (both [A] in GB/T 7714); a signed article is an ``article-magazine`` in its periodical."""
    d = item.data
    out: dict = {"id": item.key}
    if d.get("level") == "policy-statement" and d.get("published_in"):
        out.update({"type": "article-magazine", "title": one_line(d["name_zh"]),
                    "container-title": one_line(d["published_in"])})
    else:
        out.update({"type": "legislation" if d.get("level") in LEGISLATION else "regulation",
                    "title": law_title(item)})
        if d.get("doc_number"):
            out["number"] = one_line(d["doc_number"])
    issuers = [one_line(i) for i in d.get("issuers") or () if one_line(i) not in NOT_A_BODY]
    if issuers:
        out["author"] = [{"literal": i} for i in issuers]
    issued = date_parts(item.version or d.get("issued") or d.get("date"))
    if issued:
        out["issued"] = issued
    out["language"] = "zh-CN"
    return out


def to_csl(item: Item, accessed: str | None = None) -> dict:
    d = item.data
    if item.kind == "law":
        return law_csl(item)
    out = {"id": item.key, "type": d["type"], "title": one_line(d["title"])}  # the seed's source types are CSL types
    authors = names(d.get("authors", []), ("author", "reporter"))
    if authors:
        out["author"] = authors
    editors = names(d.get("editors", []), ("editor",))
    if editors:
        out["editor"] = editors
    for var, key in (("container-title", "container_title"), ("publisher", "publisher"),
                     ("publisher-place", "publisher_place")):
        if d.get(key):
            out[var] = one_line(d[key])
    issued = date_parts(d.get("issued"))
    if issued:
        out["issued"] = issued
    if d.get("issue"):
        out["number" if d["type"] == "report" else "issue"] = one_line(d["issue"])
    if d.get("medium"):
        out["medium"] = one_line(d["medium"])
    if web_url(d.get("url")):
        out["URL"] = web_url(d.get("url"))
        if accessed:
            out["accessed"] = date_parts(accessed)
    out["language"] = d.get("language") or "zh-CN"
    return out
