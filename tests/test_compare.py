"""Figures across sources (kb figures --compare, kb show) and figure handles (kb figures, kb cite)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import SEEDS

from kbcli.query.agreement import compare_figures, consistent, precision, same_period
from kbcli.query.handles import figure_handles

FORMATS = ["table", "json", "jsonl", "csv", "tsv", "md"]


@pytest.fixture(scope="session")
def compare_db(tmp_path_factory):
    """tests/seeds/compare.yaml: figures that agree, conflict, differ in period or set a target."""
    from kbcli.store.build import build

    path = tmp_path_factory.mktemp("compare") / "compare.sqlite"
    build(SEEDS / "compare.yaml", path)
    return path


def fig(value, qualifier="exact", as_of=None, original=None, source="a", value_max=None, metric="m", unit="u"):
    original = original if original is not None else str(value)
    return {"metric": metric, "unit": unit, "value": value, "value_max": value_max, "qualifier": qualifier,
            "as_of": as_of, "original": original, "label_en": None,
            "evidence": [{"source": source, "quote": f"……{original}……", "locator": "x"}]}


def status(*figs) -> list[str]:
    return [c["status"] for c in compare_figures("o", list(figs), lambda s: s)]


def test_qualifiers_decide_whether_values_agree():
    assert status(fig(3000, "over", "2023-05-27", "3000多项"), fig(3449, as_of="2023", source="b")) == ["corroborated"]
    assert status(fig(3000, as_of="2023"), fig(3449, as_of="2023", source="b")) == ["conflicting"]
    assert status(fig(3000, "over"), fig(2900, source="b")) == ["conflicting"]
    # exact values agree within the precision printed: 1.77万亿 and 1.8万亿, not 1.77万亿 and 1.79万亿
    a = fig(1770000000000, original="1.77万亿元")
    assert status(a, fig(1800000000000, original="1.8万亿元", source="b")) == ["corroborated"]
    assert status(a, fig(1790000000000, original="1.79万亿元", source="b")) == ["conflicting"]
    assert precision(1770000000000, "2018年的1.77万亿元") == pytest.approx(5e9)
    assert precision(3449, "3449项") == 0.5 and precision(100, "百余所") == 0
    assert status(fig(15, "approx", original="大约15%"), fig(16, source="b")) == ["corroborated"]
    assert status(fig(15, "approx", original="大约15%"), fig(20, source="b")) == ["conflicting"]
    assert status(fig(20, "under"), fig(19.5, source="b")) == ["corroborated"]
    assert status(fig(10, "range", value_max=30), fig(25, source="b")) == ["corroborated"]
    assert status(fig(10, "range", value_max=30), fig(35, source="b")) == ["conflicting"]
    # two caps are two values; a cap and an amount under it agree
    assert status(fig(1000000, "max"), fig(2000000, "max", source="b")) == ["conflicting"]
    assert status(fig(1000000, "max"), fig(500000, source="b")) == ["corroborated"]
    assert status(fig(500, "min"), fig(800, source="b")) == ["corroborated"]
    assert status(fig(500, "target", "2025"), fig(420, as_of="2025", source="b")) == ["target-and-outcome"]
    assert status(fig(500, "target", "2025"), fig(600, "target", "2025", source="b")) == ["conflicting"]
    assert consistent(fig(3000, "over"), fig(3449))


def test_periods():
    assert same_period("2023", "2023-05-27") and same_period("2023-05", "2023-05-27")
    assert same_period(None, "2023") and same_period("2018/2022", "2018/2022")
    assert not same_period("2022", "2023") and not same_period("2018/2022", "2022")
    assert not same_period("2023-05-27", "2023-06-01")
    assert status(fig(1, as_of="2018"), fig(2, as_of="2023", source="b")) == ["different-periods"]
    assert status(fig(1, as_of="2018/2022"), fig(2, as_of="2022", source="b")) == ["different-periods"]
    # two dates linked only through a coarser one from the same source are not compared
    assert status(fig(1, as_of="2023"), fig(2, as_of="2023-05-27", source="b"),
                  fig(3, as_of="2023-06-01", source="c")) == ["conflicting"]


def test_only_different_documents_count():
    roots = {"art": "doc", "doc": "doc", "other": "other"}
    one_doc = [fig(1, source="art"), fig(2, source="doc")]
    assert compare_figures("o", one_doc, roots.__getitem__) == []
    assert [c["status"] for c in compare_figures("o", [fig(1, source="art"), fig(2, source="other")],
                                                 roots.__getitem__)] == ["conflicting"]
    # one figure printed by two documents corroborates itself; a quote that only dates it does not count
    both = fig(75, original="75名")
    both["evidence"] = [{"source": "a", "quote": "共有75名", "locator": "x"},
                        {"source": "b", "quote": "75名参加", "locator": "y"}]
    assert [c["status"] for c in compare_figures("o", [both], lambda s: s)] == ["corroborated"]
    framed = fig(75, original="75名")
    framed["evidence"].append({"source": "b", "quote": "2023年5月", "locator": "y"})
    assert compare_figures("o", [framed], lambda s: s) == []
    assert compare_figures("o", [fig(1, metric="x"), fig(2, metric="y", source="b")], lambda s: s) == []
    assert compare_figures("o", [fig(1, unit="yuan"), fig(2, unit="eur", source="b")], lambda s: s) == []


def test_real_seed_3000_plus_and_3449_agree(kb):
    rows = json.loads(kb("figures", "--compare", "--format", "json").stdout)
    by = {(r["owner"], r["metric"]): r for r in rows}
    r = by[("shaanxi-three-reforms", "results-under-transfer")]
    assert r["status"] == "corroborated"
    assert [f["original"] for f in r["figures"]] == ["3000多项", "3449项"]
    assert [f["handle"] for f in r["figures"]] == ["shaanxi-three-reforms#results-under-transfer@2023-05-27",
                                                   "shaanxi-three-reforms#results-under-transfer@2023"]
    assert all(f["evidence"] and f["evidence"][0]["quote"] for f in r["figures"])
    assert "over 3000 (zgc-transfer-progress) and 3449 (qinchuangyuan-brief-2023-01) are consistent" in r["basis"]
    assert by[("cn-tech-contract-registration", "technology-contracts")]["status"] == "different-periods"
    assert not [x for x in rows if x["status"] == "conflicting"]
    for x in rows:
        assert len({s for f in x["figures"] for s in f["reported_by"]}) >= 2, x


def test_kb_show_uses_the_same_classification(kb):
    shown = json.loads(kb("show", "shaanxi-three-reforms", "--format", "json").stdout)
    assert shown["disagreements"] == []
    listed = json.loads(kb("figures", "--compare", "--record", "shaanxi-three-reforms", "--format", "json").stdout)
    assert shown["comparisons"] == listed
    text = kb("show", "shaanxi-three-reforms").stdout
    assert "SOURCES DISAGREE" not in text
    assert "  results-under-transfer: sources agree — 3000 result (over), as of 2023-05-27 [3000多项] per " \
           "zgc-transfer-progress (shaanxi-three-reforms#results-under-transfer@2023-05-27); 3449 result, as of " \
           "2023 [3449项] per qinchuangyuan-brief-2023-01 (shaanxi-three-reforms#results-under-transfer@2023)" in text


def test_every_status_in_every_format(kb, compare_db):
    rows = json.loads(kb("figures", "--compare", "--format", "json", db=compare_db).stdout)
    assert [(r["metric"], r["status"]) for r in rows] == [
        ("centres", "corroborated"), ("subsidy-cap", "conflicting"), ("turnover", "different-periods"),
        ("transfers", "target-and-outcome"), ("staff", "corroborated")]
    for fmt in FORMATS:
        result = kb("figures", "--compare", "--format", fmt, db=compare_db)
        assert result.exit_code == 0, (fmt, result.stderr)
        assert "xian-poc#subsidy-cap@n.d.~2" in result.stdout, fmt
    table = list(csv.DictReader(io.StringIO(kb("figures", "--compare", "--format", "csv", db=compare_db).stdout)))
    assert list(table[0]) == ["owner", "owner_kind", "metric", "label_en", "unit", "status", "as_of", "values",
                              "basis", "sources", "restricted"]
    assert table[1]["status"] == "conflicting" and "at most 1000000 (brief) and at most 2000000 (paper-art) " \
                                                   "cannot both hold" in table[1]["basis"]
    lines = kb("figures", "--compare", "--format", "jsonl", db=compare_db).stdout.splitlines()
    assert [json.loads(line)["status"] for line in lines] == [r["status"] for r in rows]
    shown = json.loads(kb("show", "xian-poc", "--format", "json", db=compare_db).stdout)
    assert [d["metric"] for d in shown["disagreements"]] == ["subsidy-cap"]
    assert "  subsidy-cap: SOURCES DISAGREE — 1000000 yuan (max) [最高100万元] per brief" in kb(
        "show", "xian-poc", db=compare_db).stdout


def test_compare_follows_the_figure_filters(kb, compare_db):
    only = json.loads(kb("figures", "--compare", "--metric", "centres", "--format", "json", db=compare_db).stdout)
    assert [r["metric"] for r in only] == ["centres"]
    assert kb("figures", "--compare", "--region", "陕西", "--format", "json").exit_code == 0
    none = kb("figures", "--compare", "--metric", "no-such-metric", "--format", "csv")
    assert none.exit_code == 2 and "unknown metric" in none.stderr  # an unknown metric names the closest ones
    both = kb("figures", "--compare", "--sum")
    assert both.exit_code == 2 and "--sum and --compare" in both.stderr


# ------------------------------------------------------------------ handles
def test_handles_are_short_unique_and_name_the_metric_and_year():
    figs = [{"metric": "a", "as_of": "2023-05-27"}, {"metric": "a", "as_of": "2023"},
            {"metric": "b", "as_of": "2013-07-01"}, {"metric": "b", "as_of": "2013-07-01"},
            {"metric": "c", "as_of": None}, {"metric": "d", "as_of": "2018/2022"}, {"metric": "d", "as_of": None},
            {"metric": "e", "as_of": "2021-03"}, {"metric": "e", "as_of": "2022-04"}]
    assert figure_handles("o", figs) == [
        "o#a@2023-05-27", "o#a@2023", "o#b@2013-07-01~1", "o#b@2013-07-01~2", "o#c", "o#d@2018/2022", "o#d@n.d.",
        "o#e@2021", "o#e@2022"]


def test_kb_figures_shows_each_figures_handle_in_every_format(kb):
    rows = json.loads(kb("figures", "--format", "json").stdout)
    handles = [r["handle"] for r in rows]
    assert len(handles) == len(set(handles)) == len(rows)
    assert "cn-tech-contract-registration#technology-contracts@2022" in handles
    assert "low-transfer-rate#transfer-rate@2011" in handles
    header = kb("figures", "--format", "csv").stdout.splitlines()[0]
    assert header == ("owner,owner_kind,metric,label_en,value,value_max,unit,qualifier,as_of,original,note,sources,"
                      "restricted,handle")
    for fmt in FORMATS:
        out = kb("figures", "--record", "shaanxi-three-reforms", "--format", fmt).stdout
        assert "shaanxi-three-reforms#results-under-transfer@2023-05-27" in out, fmt


def test_every_handle_cites_its_own_figure(kb):
    rows = json.loads(kb("figures", "--format", "json").stdout)
    for r in rows[:: max(1, len(rows) // 40)] + [r for r in rows if "~" in r["handle"] or "n.d." in r["handle"]]:
        result = kb("cite", r["handle"], "--quote", "--style", "csl-json")
        assert result.exit_code == 0, (r["handle"], result.stderr)
        notes = " ".join(c.get("note", "") for c in json.loads(result.stdout))
        marks = str.maketrans("“”‘’", "\"\"''")  # a pulled quote nests its own “ ” as ‘ ’ (kb cite --quote)
        assert r["original"].replace(" ", "").translate(marks).replace("'", '"') in \
            notes.replace(" ", "").translate(marks).replace("'", '"'), r["handle"]


def test_figure_references_that_name_none_or_several(kb):
    year = kb("cite", "shaanxi-three-reforms#results-under-transfer@2023", "--quote").stdout
    assert "3449项" in year and "3000多项" not in year
    several = kb("cite", "low-transfer-rate#global-innovation-index-rank")
    assert several.exit_code == 2
    assert ("names 2 figures; cite one of: low-transfer-rate#global-innovation-index-rank@2013-07-01~1, "
            "low-transfer-rate#global-innovation-index-rank@2013-07-01~2") in several.stderr
    assert kb("cite", "low-transfer-rate#global-innovation-index-rank@2013~2", "--quote").exit_code == 0
    missing = kb("cite", "shaanxi-three-reforms#results-under-transfer@2019")
    assert missing.exit_code == 2 and "its figures: shaanxi-three-reforms#" in missing.stderr
    assert kb("cite", "no-such-record#metric").exit_code == 2
    source = kb("cite", "qinchuangyuan-brief-2023-01#x")
    assert source.exit_code == 2 and "is a source; figures belong to records and terms" in source.stderr
    assert kb("cite", "shaanxi#universities", "--quote").exit_code == 0  # a term's figure
    assert kb("cite", "hefei-poc-centre-award#1").exit_code == 0  # the figure's number still works


@pytest.mark.parametrize("width", [60, 100, 200])
def test_compare_table_in_a_real_terminal_folds_and_never_cuts(real_db, width):
    """Through a pseudo-terminal (script): a Rich table whose every cell, read column by column
    with the folding undone, holds the whole value the csv prints."""
    import os
    import re
    import shlex
    import shutil
    import subprocess
    import sys

    if shutil.which("script") is None:
        pytest.skip("script (util-linux) is not installed")
    args = [sys.executable, "-m", "kbcli", "figures", "--compare", "--db", str(real_db)]
    env = {**os.environ, "COLUMNS": str(width), "TERM": "xterm-256color"}
    out = subprocess.run(["script", "-qec", shlex.join(args), "/dev/null"], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.stdout).replace("\r", "")
    lines = text.splitlines()
    from kbcli.render.terminal import width as cells

    assert lines and all(cells(line.rstrip()) <= width for line in lines)
    tokens = set(re.findall(r"[^\s;,()\[\]]+", text))
    plain = subprocess.run(args + ["--format", "csv"], capture_output=True, text=True, env=env, timeout=60).stdout
    table = list(csv.DictReader(io.StringIO(plain)))
    assert table
    for r in table:  # every id, status, number and handle stands whole on one line
        for key in ("owner", "metric", "status", "restricted"):
            assert r[key] in tokens, (width, key, r[key])
        for tok in re.findall(r"[A-Za-z0-9#@./~-]{3,}", r["values"]):
            if len(tok) <= width:  # a handle longer than the terminal is wide can only be wrapped by it
                assert any(tok.strip(".") in line for line in lines), (width, tok)


def test_terms_figures_are_compared_too(kb, tmp_path):
    """A vocabulary term (a blockage, a region) can hold figures from several sources: kb show and
    kb figures --compare classify them as for records."""
    from kbcli.store.build import build

    seed = (SEEDS / "compare.yaml").read_text(encoding="utf-8").replace(
        "    level: city\n", "    level: city\n" + """    figures:
      - metric: population
        value: 13000000
        unit: person
        qualifier: over
        as_of: '2023'
        original: 1300万
        evidence:
          - source: brief
            quote: 常住人口超过1300万
            locator: 一
      - metric: population
        value: 12000000
        unit: person
        qualifier: under
        as_of: '2023'
        original: 1200万
        evidence:
          - source: paper-art
            quote: 人口不足1200万
            locator: 一
""", 1)
    (tmp_path / "seed.yaml").write_text(seed, encoding="utf-8")
    db = tmp_path / "t.sqlite"
    build(tmp_path / "seed.yaml", db)
    shown = json.loads(kb("show", "xian", "--format", "json", db=db).stdout)
    assert [(c["metric"], c["status"]) for c in shown["comparisons"]] == [("population", "conflicting")]
    assert json.loads(kb("figures", "--compare", "--record", "xian", "--format", "json", db=db).stdout) == \
        shown["comparisons"]
    assert "population: SOURCES DISAGREE" in kb("show", "xian", db=db).stdout
