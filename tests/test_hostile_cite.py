"""Hostile input, citations: what a seed holds can never break the citation formats open it.

Each payload (a spreadsheet formula, HTML, a javascript: link, a newline and a RIS tag, a brace and a
BibTeX entry) goes into every field a citation prints (a source's title, publisher, author and
request not to be cited, a quote and its locator, a law's name, issuing body, document number and
English title), and every style must stay what it is: RIS one record per item, each value on its own
line; BibTeX one entry per item, as bibtexparser, biber and pandoc read it; CSL-JSON valid JSON; the
Markdown, rendered by pandoc, no HTML element of the data's and no link that is not http(s). A source
whose address is not http(s) is never a link. The formats' own functions are checked directly too.
A seed that validation refuses instead (a later check may reject such values) is refused with
located messages: that holds the guarantee as well.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import bibtexparser
import pytest
from conftest import GOOD
from hostile import expect, kb_inprocess

CAT = "outputs"  # payloads that arrive through the seed, checked in what each citation format writes
GOOD_TEXT = GOOD.read_text(encoding="utf-8")

PAYLOADS = {
    "formula": '=HYPERLINK("http://evil.example/","click")',
    "dde": "=cmd|' /C calc'!A0",
    "script": "<script>alert(1)</script>",
    "img": '<img src=x onerror="alert(1)">',
    "md-link": "[x](javascript:alert(1))",
    "ris-record": "标题\nTY  - JOUR\nTI  - pwned\nER  - ",
    "bibtex-entry": "标题} @misc{pwned, title={pwned}}",
    "bibtex-open": "标题 { @misc{pwned,",
    "backslash": "标题 \\} \\end{document} %",
    "unicode-breaks": "标题\u2028TY  - JOUR\u2029\x85ER  - ",
}
STYLES = ["gbt7714", "apa", "bibtex", "csl-json", "ris", "markdown"]
IDS = ["src", "law-a", "xian-poc"]


def yaml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def hostile_seed(tmp_path, payload: str, url: str | None = None):
    v = yaml_str(payload)
    text = GOOD_TEXT.replace("    title: 测试报告\n", f"    title: {v}\n    publisher: {v}\n"
                             f"    authors: [{{name: {v}}}]\n" + (f"    url: {yaml_str(url)}\n" if url else ""), 1)
    text = text.replace("    citation_note: 内部资料 请勿引用\n", f"    citation_note: {v}\n", 1)
    text = text.replace("    name_zh: 某法\n", f"    name_zh: {v}\n    title_en: {v}\n    issuers: [{v}]\n"
                        f"    doc_number: {v}\n", 1)
    text = text.replace("        quote: 西安支持概念验证中心\n        locator: 二\n",
                        f"        quote: {yaml_str('西安支持' + payload)}\n        locator: {v}\n", 1)
    assert text.count(v) == 9, "every field took the payload"
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


class _Html(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def pandoc() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def check_style(style: str, out: str, payload: str, keys: list[str]) -> None:
    flat = " ".join(re.split(r"[\n\u2028\u2029\x85]+", payload)).strip()
    lines = out.splitlines()
    assert "TY  - JOUR" not in lines and "TI  - pwned" not in lines and "ER  - " not in lines[:1]
    if style == "ris":
        assert all(re.match(r"^[A-Z][A-Z0-9]  - ", line) for line in lines if line), out
        assert [line[6:] for line in lines if line.startswith("ID  - ")] == keys
        assert out.count("\nER  - ") + out.startswith("ER  - ") == len(keys) == sum(l.startswith("TY  - ") for l in lines)
    elif style == "bibtex":
        library = bibtexparser.parse_string(out)
        assert library.failed_blocks == [] and [e.key for e in library.entries] == keys, out
        body = "\n".join(line for line in lines if not re.match(r"^@\w+\{[\w:.-]+,$", line))
        assert not re.search(r"^@", body, re.MULTILINE), "no line of a value starts an entry"
        read = subprocess.run([pandoc(), "-f", "biblatex", "-t", "csljson"], input=out, capture_output=True,
                              text=True)
        assert read.returncode == 0 and [c["id"] for c in json.loads(read.stdout)] == keys, read.stderr
        if shutil.which("biber"):
            check_biber(out, keys)
    elif style == "csl-json":
        items = json.loads(out)
        assert [c["id"] for c in items] == keys
        src = next(c for c in items if c["id"] == "src")
        assert src["title"] == flat and "\n" not in json.dumps(src["title"])
    elif style == "markdown":
        html = subprocess.run([pandoc(), "-f", "markdown", "-t", "html"], input=out, capture_output=True, text=True)
        assert html.returncode == 0
        parser = _Html()
        parser.feed(html.stdout)
        assert not [t for t, _ in parser.tags if t in ("script", "img", "iframe", "object", "style")], html.stdout
        for tag, attrs in parser.tags:
            assert not [a for a, _ in attrs if a.startswith("on")], (tag, attrs)
            for a, value in attrs:
                if a in ("href", "src"):
                    assert value.startswith(("http://", "https://")), (tag, a, value)
    else:  # gbt7714, apa: the payload as text, on the entry's one line
        assert any(flat in line for line in lines), out


def check_biber(text: str, keys: list[str]) -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "h.bib").write_text(text, encoding="utf-8")
        run = subprocess.run(["biber", "--tool", "--output-file=o.bib", "h.bib"], capture_output=True, text=True,
                             cwd=tmp)
        log = run.stdout + run.stderr
        assert run.returncode == 0 and "ERROR" not in log, log
        entries = re.findall(r"^@\w+\{([^,]+),", (Path(tmp) / "o.bib").read_text(encoding="utf-8"), re.MULTILINE)
        assert entries == keys, entries


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_a_payload_in_every_cited_field_breaks_no_format(tmp_path, name):
    payload = PAYLOADS[name]
    seed = hostile_seed(tmp_path, payload)
    keys: list[str] | None = None
    for style in STYLES:
        run = kb_inprocess("cite", *IDS, "--quote", "--style", style, "--seed", str(seed), "--quiet")
        if run.code == 1:  # validation refuses the seed: located messages, nothing printed
            expect(run, 1, "hostile.yaml:", category=CAT, case=f"cite {name} {style} (refused)", lines=None, out="")
            continue
        expect(run, 0, "asks not to be cited", category=CAT, case=f"cite {name} {style}", lines=None)
        if keys is None:
            keys = [c["id"] for c in json.loads(kb_inprocess("cite", *IDS, "--style", "csl-json", "--seed",
                                                             str(seed), "--quiet").out)]
        check_style(style, run.out, payload, keys)


@pytest.mark.parametrize("url", ["javascript:alert(document.domain)", "data:text/html,<script>alert(1)</script>",
                                 "file:///etc/passwd", "JaVaScRiPt:alert(1)", "https://example.org/a}b>c{d\\e"])
def test_only_http_addresses_become_links(tmp_path, url):
    seed = hostile_seed(tmp_path, "标题", url=url)
    safe = url.startswith("https://")
    for style in STYLES:
        run = kb_inprocess("cite", "src", "--style", style, "--seed", str(seed), "--quiet")
        if run.code == 1:
            expect(run, 1, "hostile.yaml:", category=CAT, case=f"cite url {url[:12]} {style} (refused)", lines=None,
                   out="")
            continue
        expect(run, 0, category=CAT, case=f"cite url {url[:12]} {style}", lines=None)
        if not safe:
            assert url.split(":")[0].lower() + ":" not in run.out.lower(), (style, run.out)
            assert "not an http(s) address and is left out" in run.err
            continue
        if style == "bibtex":
            assert "url = {https://example.org/a%7Db>c%7Bd%5Ce}" in run.out
            assert bibtexparser.parse_string(run.out).failed_blocks == []
        if style == "markdown":
            assert "<https://example.org/a}b%3Ec{d\\e>" in run.out
        check_style(style, run.out, "标题", ["src"])


def test_the_formats_themselves_never_start_a_record_or_entry():
    """ris() and bibtex() on items no seed could give: every text field a payload."""
    from kbcli.cite.cite import _md_item
    from kbcli.cite.formats import bibtex, ris, tex
    from kbcli.cite.safe import md

    for name, payload in PAYLOADS.items():
        c = {"id": "k", "type": "report", "title": payload, "author": [{"literal": payload}], "publisher": payload,
             "number": payload, "container-title": payload, "issued": {"date-parts": [[2023]]}, "language": "zh-CN"}
        out = ris(c, [payload], payload, payload)
        assert all(re.match(r"^[A-Z][A-Z0-9]  - ", line) for line in out.splitlines()), (name, out)
        starts = [line[:6] for line in out.splitlines()]
        assert starts.count("TY  - ") == 1 and starts.count("ER  - ") == 1 and starts[-1] == "ER  - ", name
        for t in ("report", "legislation", "article-newspaper", "webpage", "periodical", "book"):
            entry = bibtex(dict(c, type=t), [payload], payload, payload)
            library = bibtexparser.parse_string(entry)
            assert library.failed_blocks == [] and [e.key for e in library.entries] == ["k"], (name, t, entry)
            assert entry.count("\n@") == 0 and entry.count("{") == entry.count("}"), (name, t)
        value = tex(payload)
        depth = 0
        for ch in value.replace("\\{", "{").replace("\\}", "}"):
            depth += {"{": 1, "}": -1}.get(ch, 0)
            assert depth >= 0, (name, value)
        assert depth == 0 and "\n" not in value
        shown = md(payload)
        assert "<" not in shown and "](" not in shown.replace("\\](", ""), (name, shown)
        assert _md_item({"id": "k", "type": "webpage", "title": payload, "URL": "https://x.example/<a>"})["URL"] \
            == "<https://x.example/%3Ca%3E>"
