"""kb compare, kb timeline, kb graph, kb chart (issue 11), kb query --sort -date, and kb show's relations."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import xml.etree.ElementTree as ET

import pytest
from conftest import check_format, result_ids

FORMATS = ["table", "json", "jsonl", "csv", "tsv", "md"]
NATIONAL = ("chart", "technology-contract-turnover", "--owner", "中国")


def png_size(path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is no PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def assert_real_picture(path, size: tuple[int, int]) -> None:
    """A PNG of exactly ``size`` that decodes and holds a drawing (many colours, not one flat fill)."""
    from PIL import Image

    assert png_size(path) == size
    with Image.open(path) as im:
        im.load()
        assert im.size == size
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50, "the picture has content"


# ------------------------------------------------------------------ compare
@pytest.mark.parametrize("fmt", FORMATS)
def test_compare_hefei_hangzhou_in_every_format(kb, fmt):
    result = kb("compare", "合肥", "杭州", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    check_format(result.stdout, fmt)
    assert "hefei" in result.stdout and "hangzhou" in result.stdout


def test_compare_counts_shared_and_missing_terms_and_figures(kb):
    data = json.loads(kb("compare", "合肥", "杭州", "-f", "json").stdout)
    assert [i["id"] for i in data["items"]] == ["hefei", "hangzhou"]
    rows = {(r["section"], r["id"], r["as_of"]): r for r in data["rows"]}
    total = rows[("kind", "total", None)]
    assert total["hefei"] == data["items"][0]["records"] and total["hangzhou"] == data["items"][1]["records"]
    poc = rows[("mechanism", "poc-centre", None)]
    assert poc["hefei"] > 0 and poc["hangzhou"] > 0 and poc["only"] == []
    pilot = rows[("mechanism", "pilot-plant-base", None)]
    assert pilot["hangzhou"] == 0 and pilot["only"] == ["hefei"]
    fund = next(r for r in data["rows"] if r["section"] == "figure" and r["id"] == "fund-size")
    assert fund["hangzhou"] == 5000000000 and fund["unit"] == "yuan" and fund["hefei"] is None
    # every figure of every item is in a row: none lost where two share metric, date and qualifier
    for item in ("hefei", "hangzhou"):
        in_rows = sorted(r[item] for r in data["rows"] if r["section"] == "figure" and r[item] is not None)
        assert in_rows == sorted(f["value"] for f in data["figures"][item])


def test_compare_takes_any_term_kind_and_filters(kb):
    data = json.loads(kb("compare", "概念验证中心", "中试基地", "-r", "浙江", "-f", "json").stdout)
    assert [(i["id"], i["kind"]) for i in data["items"]] == [("poc-centre", "mechanism"), ("pilot-plant-base",
                                                                                          "mechanism")]
    zhejiang = set(result_ids(kb("query", "-r", "浙江", "-m", "poc-centre", "-f", "json")))
    assert data["items"][0]["records"] == len(zhejiang)


def test_compare_names_what_it_cannot_compare(kb):
    for args, needle in ((("合肥",), "at least two"), (("合肥", "hefei"), "named twice"),
                         (("合肥", "hefie-x"), "no record, term or source is called 'hefie-x'")):
        result = kb("compare", *args)
        assert result.exit_code == 2 and needle in result.stderr and "Traceback" not in result.stderr


def test_compare_warns_of_restricted_sources(kb):
    assert "asks not to be cited" in kb("compare", "合肥", "杭州").stderr


# ------------------------------------------------------------------ timeline and --sort -date
@pytest.mark.parametrize("fmt", FORMATS)
def test_timeline_shaanxi_in_every_format(kb, fmt):
    result = kb("timeline", "--region", "陕西", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    check_format(result.stdout, fmt)
    assert "undated" in result.stderr or "without a date" in result.stderr


def test_timeline_orders_partial_dates_and_lists_undated_apart(kb):
    from kbcli.query.timeline import date_key

    data = json.loads(kb("timeline", "--region", "陕西", "-f", "json").stdout)
    entries = [e for y in data["years"] for e in y["entries"]]
    assert [date_key(e["date"]) for e in entries] == sorted(date_key(e["date"]) for e in entries)
    assert [y["year"] for y in data["years"]] == sorted(y["year"] for y in data["years"])
    assert all(e["year"] == y["year"] for y in data["years"] for e in y["entries"])
    dates = [e["date"] for e in entries]
    assert dates.index("2022") < dates.index("2022-03"), "a year-only date comes first in its year"
    assert dates.index("2023-01") < dates.index("2023-05-27") < dates.index("2021/2023"), "a period at its end"
    assert data["undated"] and all(u["date"] is None for u in data["undated"])
    assert data["counts"]["undated_records"] == len(data["undated"])
    shaanxi = set(result_ids(kb("query", "-r", "陕西", "-f", "json")))
    placed = {e["id"] for e in entries if e["kind"] != "figure"} | {u["id"] for u in data["undated"]}
    assert placed == shaanxi, "every record once, dated or apart"
    figs = [e for e in entries if e["kind"] == "figure"]
    assert figs and all(e["value"] is not None and e["unit"] for e in figs)
    table = kb("timeline", "--region", "陕西")
    assert f"undated ({len(data['undated'])} records)" in table.stdout
    assert f"{len(data['undated'])} without a date listed apart" in table.stderr


def test_query_sorts_by_date_both_ways_undated_last(kb):
    up = json.loads(kb("query", "-r", "陕西", "--sort", "date", "-f", "json").stdout)
    down = json.loads(kb("query", "-r", "陕西", "--sort", "-date", "-f", "json").stdout)
    dated_up = [r["id"] for r in up if r["date"]]
    assert [r["id"] for r in down if r["date"]] == dated_up[::-1]
    assert all(r["date"] is None for r in down[len(dated_up):]) and all(r["date"] for r in down[:len(dated_up)])
    assert kb("query", "--sort", "newest").exit_code == 2


# ------------------------------------------------------------------ graph
def test_graph_mermaid_law_sttl_depth_2(kb):
    result = kb("graph", "law-sttl", "--depth", "2", "--format", "mermaid")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "flowchart LR"
    node = re.compile(r'^  n\d+(\["[^"\n]*"\]|\(\["[^"\n]*"\]\))$')
    edge = re.compile(r'^  n\d+ (-->|---|-\.->)\|"[^"\n]*"\| n\d+$')
    style = re.compile(r"^  (classDef \w+ [\w:#,.-]+|class (n\d+,)*n\d+ \w+)$")
    for line in lines[1:]:
        assert node.match(line) or edge.match(line) or style.match(line), line
    text = result.stdout
    assert "中华人民共和国促进科技成果转化法" in text and "legal basis art. 9" in text
    data = json.loads(kb("graph", "law-sttl", "--depth", "2", "-f", "json").stdout)
    assert sum(1 for line in lines if node.match(line)) == len(data["nodes"])
    assert sum(1 for line in lines if edge.match(line)) == len(data["links"])
    depth2 = {n["id"] for n in data["nodes"] if n["depth"] == 2}
    assert "law-contract" in depth2, "depth 2 reaches the laws a neighbour rests on"


def test_graph_json_is_node_link_that_networkx_reads(kb):
    nx = pytest.importorskip("networkx")
    data = json.loads(kb("graph", "law-sttl", "--depth", "2", "-f", "json").stdout)
    g = nx.node_link_graph(data, edges="links")
    assert g.number_of_nodes() == len(data["nodes"]) and g.number_of_edges() == len(data["links"])
    assert g.has_edge("model-self-transfer", "law-sttl")
    assert g.edges["model-self-transfer", "law-sttl"]["label"] == "legal basis art. 9"
    assert nx.shortest_path_length(g.to_undirected(), "law-sttl", "law-contract") == 2


def test_graph_lists_each_pair_once(kb):
    data = json.loads(kb("graph", "hangzhou-transfer-fund", "--depth", "2", "-f", "json").stdout)
    pairs = [frozenset((e["source"], e["target"])) for e in data["links"]]
    assert len(pairs) == len(set(pairs))
    law = next(e for e in data["links"] if {e["source"], e["target"]} == {"hangzhou-transfer-fund",
                                                                            "hangzhou-first-choice-measures"})
    assert law["label"] == "legal basis, part of" and law["directed"]


def test_graph_from_a_term_and_by_relation(kb):
    data = json.loads(kb("graph", "概念验证中心", "-f", "json").stdout)
    ids = {n["id"] for n in data["nodes"]}
    assert "validation-platform" in ids and "hefei-poc-centre-award" in ids
    assert {e["rel"] for e in data["links"]} <= {"broader", "tagged", "legal_basis", "implements", "part_of",
                                                 "related"}
    only = json.loads(kb("graph", "law-sttl", "--rel", "legal_basis", "-f", "json").stdout)
    assert {e["rel"] for e in only["links"]} == {"legal_basis"}
    assert kb("graph", "law-sttl", "--rel", "cites").exit_code == 2


@pytest.mark.parametrize("fmt", ["table", "jsonl", "csv", "tsv", "md", "dot"])
def test_graph_other_formats(kb, fmt):
    result = kb("graph", "law-sttl", "--depth", "2", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    if fmt == "dot":
        assert result.stdout.startswith("digraph kb {") and result.stdout.rstrip().endswith("}")
        assert '"model-self-transfer" -> "law-sttl" [label="legal basis art. 9"' in result.stdout
    else:
        check_format(result.stdout, fmt)


def _need_dot():
    if shutil.which("dot") is None:
        if os.environ.get("CI"):
            pytest.fail("CI installs Graphviz (.ci/run); dot is missing")
        pytest.skip("Graphviz is not installed")


def test_graph_dot_is_valid_graphviz_and_draws_svg_and_png(kb, tmp_path):
    import subprocess

    _need_dot()
    dot = kb("graph", "law-sttl", "--depth", "2", "-f", "dot").stdout
    checked = subprocess.run(["dot", "-Tsvg"], input=dot.encode(), capture_output=True)
    assert checked.returncode == 0 and not checked.stderr, checked.stderr
    svg, png = tmp_path / "g.svg", tmp_path / "g.png"
    assert kb("graph", "law-sttl", "--depth", "2", "-o", str(svg)).exit_code == 0
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg") and "促进科技成果转化法" in svg.read_text(encoding="utf-8")
    result = kb("graph", "law-sttl", "--depth", "2", "-o", str(png))
    assert result.exit_code == 0 and "23 nodes" in result.stderr
    w, h = png_size(png)
    assert 1000 < w < 4000 and 600 < h < 4000
    assert_real_picture(png, (w, h))


def test_graph_without_graphviz_says_how_to_install(kb, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on it
    target = tmp_path / "g.png"
    result = kb("graph", "law-sttl", "-o", str(target))
    assert result.exit_code == 1 and "apt-get install graphviz" in result.stderr and "Traceback" not in result.stderr
    assert not target.exists()
    assert kb("graph", "law-sttl", "-o", str(tmp_path / "g.mmd")).exit_code == 0, "text formats need no Graphviz"
    assert (tmp_path / "g.mmd").read_text(encoding="utf-8").startswith("flowchart LR")
    bad = kb("graph", "law-sttl", "-o", str(tmp_path / "g.gif"))
    assert bad.exit_code == 2 and ".svg" in bad.stderr


def test_graph_escapes_names(kb):
    from kbcli.render.graphs import to_dot, to_mermaid

    g = {"graph": {"seeds": ["a"]}, "nodes": [
        {"id": "a", "type": "record", "kind": "law", "name_zh": 'x"]\\n<b>#1\x1b', "depth": 0},
        {"id": "b", "type": "record", "kind": "law", "name_zh": "y", "depth": 1}],
        "links": [{"source": "a", "target": "b", "rel": "related", "label": 'r"|x', "directed": False}]}
    dot = to_dot(g)
    assert '\\"]\\\\n<b>#1\\\\x1b' in dot and "\x1b" not in dot
    mm = to_mermaid(g)
    assert "#34;" in mm and "#60;b#62;" in mm and "#124;" in mm and "\x1b" not in mm
    assert '"' not in mm.split("\n")[1].split('["', 1)[1].rsplit('"]', 1)[0]


# ------------------------------------------------------------------ chart
def test_chart_national_turnover_in_the_terminal(kb):
    result = kb(*NATIONAL)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "万亿元 (trillion yuan)" in out
    for value, printed in (("1.77", "2018年的1.77万亿元"), ("4.78", "4.78万亿元"), ("6.15", "成交金额6.15万亿")):
        assert f": {value} 万亿元 (trillion yuan); printed {printed}" in out
    assert "Sources: zgc-transfer-progress" in out and "news-2024-11-14" in out
    assert "Do not cite" not in out, "these sources do not restrict citation"
    assert "2018" in out and "2023" in out and "\x1b" not in out


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "tsv", "md"])
def test_chart_data_formats(kb, fmt):
    result = kb(*NATIONAL, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    check_format(result.stdout, fmt)
    if fmt == "json":
        data = json.loads(result.stdout)
        assert [(p["as_of"], p["value"]) for p in data["series"][0]["points"]] == [
            ("2018", 1770000000000), ("2022", 4780000000000), ("2023", 6150000000000)]
    if fmt == "csv":
        assert len(result.stdout.splitlines()) == 4


def test_chart_by_region_shows_qualifiers_and_the_do_not_cite_note(kb):
    result = kb("chart", "technology-contract-turnover", "--by", "region")
    assert result.exit_code == 0, result.stderr
    assert "over 0.1 万亿元" in result.stdout and "over 4 万亿元" in result.stdout
    assert "Do not cite: qinchuangyuan-brief-2023-01" in result.stdout and "内部研究资料 请勿引用外传" in result.stdout
    assert "asks not to be cited" in result.stderr
    year = kb("chart", "technology-contract-turnover")
    assert "Left out: beijing-tech-contract-registration 2012/2021" in year.stdout


def test_chart_heatmap_in_the_terminal(kb):
    result = kb("chart", "--crosstab", "region", "mechanism", "--depth", "2", "--col-depth", "0")
    assert result.exit_code == 0, result.stderr
    assert "Records by region and mechanism" in result.stdout and "mechanisms (columns):" in result.stdout
    rows = json.loads(kb("crosstab", "region", "mechanism", "--depth", "2", "-f", "json").stdout)
    assert all(r["region"] in result.stdout for r in rows)


def test_chart_usage_errors(kb):
    cases = [(("chart",), "name a METRIC"),
             (("chart", "technology-contract-turnovr"), "closest: technology-contract-turnover"),
             (("chart", "technology-contract-turnover", "--by", "month"), "--by"),
             (("chart", "fund-size", "--crosstab", "region", "kind"), "not both"),
             (("chart", "fund-size", "--owner", "nowhere-x"), "no record, term or source is called")]
    for args, needle in cases:
        result = kb(*args)
        assert result.exit_code == 2 and needle in result.stderr and "Traceback" not in result.stderr, args


CHARTS = {
    "national": NATIONAL,
    "regions": ("chart", "technology-contract-turnover", "--by", "region"),
    "heatmap": ("chart", "--crosstab", "region", "mechanism", "--depth", "2", "--col-depth", "0"),
}


@pytest.mark.parametrize("name", CHARTS)
def test_every_chart_renders_to_png_and_svg(kb, tmp_path, name):
    pytest.importorskip("matplotlib")
    png = tmp_path / f"{name}.png"
    result = kb(*CHARTS[name], "--output", str(png))
    assert result.exit_code == 0, result.stderr
    m = re.search(r"wrote .* \((\d+)×(\d+) px, font (.+?) \(", result.stderr)
    assert m, result.stderr
    w, h = int(m.group(1)), int(m.group(2))
    assert w >= 1200 and 400 < h < 3000
    assert_real_picture(png, (w, h))
    assert "CJK" in m.group(3) or "Hei" in m.group(3) or "Han" in m.group(3)
    svg = tmp_path / f"{name}.svg"
    assert kb(*CHARTS[name], "-o", str(svg)).exit_code == 0
    assert ET.parse(svg).getroot().tag.endswith("svg")


def test_chart_file_errors(kb, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    bad = kb(*NATIONAL, "-o", str(tmp_path / "c.jpg"))
    assert bad.exit_code == 2 and ".svg or .png" in bad.stderr
    missing = kb(*NATIONAL, "-o", str(tmp_path / "nowhere" / "c.png"))
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
    monkeypatch.setenv("KB_FONT", "No Such Font")
    font = kb(*NATIONAL, "-o", str(tmp_path / "c.png"))
    assert font.exit_code == 2 and "KB_FONT" in font.stderr and not (tmp_path / "c.png").exists()


def test_chart_without_a_chinese_font_says_what_to_install(kb, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from kbcli.render import charts

    monkeypatch.setattr(charts, "CJK_FONTS", ())
    result = kb(*NATIONAL, "-o", str(tmp_path / "c.png"))
    assert result.exit_code == 0 and "no Chinese font" in result.stderr and "fonts-noto-cjk" in result.stderr


def test_chart_without_matplotlib_names_the_extra(kb, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = kb(*NATIONAL, "-o", str(tmp_path / "c.png"))
    assert result.exit_code == 1 and "kbcli[plot]" in result.stderr and "Traceback" not in result.stderr


# ------------------------------------------------------------------ kb show: each relation once
def test_show_lists_each_relation_once_with_its_direction(kb):
    text = kb("show", "hangzhou-transfer-fund").stdout
    block = text.split("relations:\n", 1)[1].split("figures:", 1)[0].splitlines()
    assert block[0] == ("  → legal basis, part of: hangzhou-first-choice-measures [law] "
                        "(构筑科技成果转化首选地的若干政策措施)")
    ids = [re.search(r": (\S+) \[", line).group(1) for line in block]
    assert len(ids) == len(set(ids))
    law = kb("show", "law-sttl").stdout
    assert "← basis of art. 9: model-self-transfer [model]" in law
    assert law.count("reg-sttl-provisions-2016 [law]") == 1 and "← implemented by: reg-sttl-provisions-2016" in law


def test_no_record_lists_a_relation_twice(real_db):
    from kbcli.query.kb import KB
    from kbcli.query.relations import neighbours
    from kbcli.store.db import open_db

    kb = KB(open_db(str(real_db), None))
    for (rid,) in kb.conn.execute("SELECT id FROM records"):
        ns = neighbours(kb, rid)
        assert len({n["id"] for n in ns}) == len(ns), rid
        for n in ns:
            rels = [r["rel"] for r in n["rels"]]
            assert len(rels) == len(set(rels)), (rid, n)
            assert not ("related" in rels and len(rels) > 1), "related adds nothing to a directed relation"


def test_readme_shows_a_chart_and_a_graph_that_exist():
    from conftest import ROOT

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]+\]\((docs/[^)]+\.png)\)", text)
    assert any("chart" in i for i in images) and any("graph" in i for i in images)
    for rel in images:
        w, h = png_size(ROOT / rel)
        assert w >= 600 and h >= 400, rel
