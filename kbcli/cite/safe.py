"""Values made safe for the programs that open citations (reference managers, TeX, Markdown renderers).

* ``one_line``: no value carries a line break into a reference, so nothing in a title or a quote can
  start a RIS tag (``TY  - ``), a BibTeX entry (``@misc{``) or a Markdown block.
* ``web_url``: only an http or https address is ever written as a link (never ``javascript:``,
  ``data:`` or ``file:``).
* ``md``: text that Markdown renders as itself: ``<`` and ``&`` as entities (every Markdown flavour
  leaves those as text, so no tag or entity of the data's is ever HTML), and the characters that make
  links, emphasis and code escaped. ``>`` stays (it makes nothing without ``<``, and no value starts a
  line), so a locator reads ``一 > 二`` in the raw text too.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# What breaks a line in some program that reads a reference: CR, LF, tab, VT, FF, the C1 NEL, the
# Unicode line and paragraph separators and the ASCII file, group and record separators
_BREAKS = re.compile(r"[\r\n\t\v\f\x1c-\x1e\x85\u2028\u2029]+")
_MD = re.compile(r"[\\`*_\[\]<&]")
_MD_ESCAPE = {"<": "&lt;", "&": "&amp;"}


def one_line(s: str) -> str:
    """A value with its line breaks made spaces."""
    return _BREAKS.sub(" ", s).strip()


def web_url(url: str | None) -> str | None:
    """An http(s) address, or None: no other scheme is written as a link."""
    if not url:
        return None
    url = one_line(url)
    parts = urlsplit(url)
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc and " " not in url else None


def md(s: str) -> str:
    """Text for Markdown: ``<`` and ``&`` as entities, ``\\ ` * _ [ ]`` backslash-escaped, one line."""
    return _MD.sub(lambda m: _MD_ESCAPE.get(m.group(), "\\" + m.group()), one_line(s))
