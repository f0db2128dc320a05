"""Items as CSL-JSON (https://citationstyles.org/), for Zotero, pandoc and any CSL processor.

Only properties of the CSL data schema are used. Chinese names are
``literal`` (never split into family and given), ``language`` is a BCP 47
tag (``zh-CN``; ``zh-Hant`` for the traditional-script article), dates are
``date-parts``. A law is ``legislation`` (or ``regulation``) with its issuing
bodies as authors, the amendment cited in its title (《…（2015年修订）》,
since styles print ``edition`` as "2015年修订 版") and the version's year as
``issued``.
"""

from __future__ import annotations

from .items import Item


def date_parts(value: str | None) -> dict | None:
    if not value:
        return None
    parts = [int(p) for p in value[:10].split("-")]
    return {"date-parts": [parts]}


def names(people: list[dict], roles: tuple[str, ...]) -> list[dict]:
    return [{"literal": p["name"]} for p in people if p.get("role", "author") in roles]


LEGISLATION = {"national-law", "local-regulation", "foreign-law"}


def law_title(item: Item) -> str:
    """A law's title, with the amendment cited: 《…法（2015年修订）》 as Chinese practice writes it."""
    d = item.data
    if item.version and item.version in (d.get("amended") or []):
        return f"{d['name_zh']}（{item.version}年修订）"
    return d["name_zh"]


def law_csl(item: Item) -> dict:
    """Laws are ``legislation``; regulations and government documents ``regulation``
    (both [A] in GB/T 7714); a signed article is an ``article-magazine`` in its periodical."""
    d = item.data
    out: dict = {"id": item.key}
    if d.get("level") == "policy-statement" and d.get("published_in"):
        out.update({"type": "article-magazine", "title": d["name_zh"], "container-title": d["published_in"]})
    else:
        out.update({"type": "legislation" if d.get("level") in LEGISLATION else "regulation",
                    "title": law_title(item)})
        if d.get("doc_number"):
            out["number"] = d["doc_number"]
    issuers = d.get("issuers") or []
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
    out = {"id": item.key, "type": d["type"], "title": d["title"]}  # the seed's source types are CSL types
    authors = names(d.get("authors", []), ("author", "reporter"))
    if authors:
        out["author"] = authors
    editors = names(d.get("editors", []), ("editor",))
    if editors:
        out["editor"] = editors
    if d.get("container_title"):
        out["container-title"] = d["container_title"]
    if d.get("publisher"):
        out["publisher"] = d["publisher"]
    if d.get("publisher_place"):
        out["publisher-place"] = d["publisher_place"]
    issued = date_parts(d.get("issued"))
    if issued:
        out["issued"] = issued
    if d.get("issue"):
        out["number" if d["type"] == "report" else "issue"] = d["issue"]
    if d.get("medium"):
        out["medium"] = d["medium"]
    if d.get("url"):
        out["URL"] = d["url"]
        if accessed:
            out["accessed"] = date_parts(accessed)
    out["language"] = d.get("language") or "zh-CN"
    return out
