"""The output contract: every format on every command that prints records; text prints literally."""

from __future__ import annotations

import io
import json
import re

import pytest
from conftest import check_format

from kbcli.render.output import Column, emit

COMMANDS = [
    ("query", "--mechanism", "poc-centre"),
    ("search", "概念验证"),
    ("show", "hefei-poc-centre-award"),
    ("list",),
    ("list", "regions"),
    ("list", "sources"),
    ("list", "practices"),
    ("figures", "--region", "合肥"),
    ("crosstab", "region", "kind"),
    ("export", "evidence"),
    ("sql", "SELECT id, kind FROM records ORDER BY id LIMIT 5"),
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv", "tsv", "md"])
def test_every_format(kb, args, fmt):
    result = kb(*args, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    check_format(result.stdout, fmt)


def test_query_and_search_json_are_arrays_of_records(kb):
    for args in (("query", "-m", "poc-centre"), ("search", "中试")):
        data = json.loads(kb(*args, "-f", "json").stdout)
        assert isinstance(data, list) and data
        for rec in data:
            for key in ("regions", "mechanisms", "instruments", "addresses"):
                assert all(set(t) == {"id", "name_zh", "name_en"} for t in rec[key])
            for f in rec["figures"]:
                assert {"metric", "value", "unit", "qualifier", "as_of", "original"} <= set(f)
            assert all({"source", "quote", "locator"} <= set(e) for e in rec["evidence"])


def test_csv_header_is_stable(kb):
    header = kb("query", "-f", "csv").stdout.splitlines()[0]
    assert header == ("id,kind,date,date_start,date_end,status,name_zh,name_en,short_names,summary_en,regions,"
                      "mechanisms,instruments,addresses,actors,level,doc_number,issuers,issued,effective,amended,"
                      "published_in,category,part_of,legal_basis,implements,related,articles,components,figures,"
                      "evidence,notes,sources,restricted")


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


ROWS = [{"id": "x", "quote": "见[N]和[EB/OL]，[bold]不是标记[/bold] [red]", "n": 3}]
COLS = [Column("id"), Column("quote"), Column("n", numeric=True)]


@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv", "tsv", "md"])
def test_brackets_print_literally(fmt):
    out = io.StringIO()
    emit(ROWS, COLS, fmt, out=out)
    assert "[N]" in out.getvalue() and "[EB/OL]" in out.getvalue() and "[bold]不是标记[/bold]" in out.getvalue()


def test_brackets_print_literally_in_a_rich_terminal_table(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    out = FakeTerminal()
    emit(ROWS, COLS, "table", out=out)
    text = out.getvalue()
    assert "[bold]不是标记[/bold]" in text and "[EB/OL]" in text and "[red]" in text
    assert "─" in text and "\x1b[1m" in text, "a Rich table on a terminal: a bold header over a rule"
    assert not re.search(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|9[0-7]|38;)", text), "NO_COLOR: no colour codes"


def test_control_characters_never_reach_the_terminal(kb):
    result = kb("sql", "SELECT 'a' || char(27) || '[31mred' || char(7) || char(155) AS x")
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\x9b" not in result.stdout
    assert "\\x1b[31mred" in result.stdout
    js = kb("sql", "SELECT 'a' || char(27) || char(155) AS x", "-f", "json").stdout
    assert "\x1b" not in js and "\x9b" not in js and json.loads(js)[0]["x"] == "a\x1b\x9b"
    for fmt in ("csv", "tsv", "md"):
        out = kb("sql", "SELECT 'a' || char(27) || 'b' AS x", "-f", fmt).stdout
        assert "\x1b" not in out and "\\x1b" in out


def test_show_detail_on_a_terminal_is_literal(monkeypatch):
    from kbcli.render.views import emit_detail

    monkeypatch.setenv("NO_COLOR", "1")
    out = FakeTerminal()
    emit_detail({"id": "x", "kind": "practice", "name_zh": "[bold]名[/bold]", "name_en": "[N]", "summary_en": "s",
                 "evidence": [{"source": "s", "quote": "[EB/OL] 引文", "locator": "[1]"}]}, "table", out=out)
    text = out.getvalue()
    assert "[bold]名[/bold]" in text and "[EB/OL] 引文" in text and "[1]" in text
    assert not re.search(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|9[0-7]|38;)", text)


def test_empty_results_print_headers_or_empty_array(kb):
    assert kb("query", "-r", "合肥", "-k", "model", "-f", "json").stdout.strip() == "[]"
    csv_out = kb("query", "-r", "合肥", "-k", "model", "-f", "csv").stdout
    assert csv_out.splitlines() == [csv_out.splitlines()[0]]


def test_sources_and_restricted_columns_count_article_and_component_evidence():
    from kbcli.render.views import record_rows

    law = {"id": "l", "kind": "law", "evidence": [{"source": "open", "quote": "q", "locator": "x"}],
           "figures": [{"metric": "m", "evidence": [{"source": "fig-src", "quote": "q", "locator": "x"}]}],
           "articles": [{"number": 9, "evidence": [{"source": "brief", "quote": "q", "locator": "x",
                                                    "restricted": True}]}]}
    model = {"id": "m", "kind": "model", "evidence": [], "figures": [],
             "components": [{"name_zh": "甲", "evidence": [{"source": "open", "quote": "q", "locator": "x"}]}]}
    rows = record_rows([law, model])
    assert rows[0]["sources"] == ["open", "fig-src", "brief"] and rows[0]["restricted"] is True
    assert rows[1]["sources"] == ["open"] and rows[1]["restricted"] is False
