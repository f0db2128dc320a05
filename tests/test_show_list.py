"""kb show (both directions of every relation, disagreements) and kb list."""

from __future__ import annotations

import json


def test_show_law_lists_records_resting_on_it(kb):
    obj = json.loads(kb("show", "law-sttl", "-f", "json").stdout)
    basis_of = {(i["id"], tuple(i["articles"])) for i in obj["incoming"] if i["rel"] == "basis_of"}
    assert ("model-self-transfer", (9,)) in basis_of and ("model-protocol", (14,)) in basis_of
    assert {a["number"] for a in obj["articles"]} >= {9, 10, 12, 13, 14, 17, 18, 19}
    assert all(a["version"] == "1996" for a in obj["articles"])
    text = kb("show", "law-sttl").stdout
    assert "← basis of art. 9: model-self-transfer [model]" in text
    assert "numbering of the 1996 text" in text


def test_show_record_shows_outgoing_links(kb):
    obj = json.loads(kb("show", "model-intermediary", "-f", "json").stdout)
    assert obj["legal_basis"] == [{"id": "law-sttl", "kind": "law", "name_zh": "中华人民共和国促进科技成果转化法",
                                   "name_en": obj["legal_basis"][0]["name_en"], "articles": [10, 18]}]


def test_show_puts_each_sources_value_side_by_side(kb):
    """3000多项 (over 3000) and 3449项 are both kept and agree: a comparison, not a disagreement."""
    obj = json.loads(kb("show", "shaanxi-three-reforms", "-f", "json").stdout)
    c = next(x for x in obj["comparisons"] if x["metric"] == "results-under-transfer")
    assert c["status"] == "corroborated" and obj["disagreements"] == []
    values = {(f["value"], tuple(f["sources"])) for f in c["figures"]}
    assert values == {(3000, ("zgc-transfer-progress",)), (3449, ("qinchuangyuan-brief-2023-01",))}
    text = kb("show", "shaanxi-three-reforms").stdout
    assert "results-under-transfer: sources agree" in text and "SOURCES DISAGREE" not in text
    assert "3000多项" in text and "3449项" in text


def test_show_term_and_source(kb):
    term = json.loads(kb("show", "shaanxi", "-f", "json").stdout)
    assert term["kind"] == "region" and term["parents"][0]["id"] == "cn"
    assert {"xian", "shangluo"} <= {c["id"] for c in term["children"]}
    src = json.loads(kb("show", "qinchuangyuan-brief-2023-01", "-f", "json").stdout)
    assert src["restricted"] is True and src["citation_note"] == "内部研究资料 请勿引用外传"
    assert src["quotes"] > 10


def test_show_marks_restricted_evidence_every_time(kb):
    result = kb("show", "hefei-poc-centre-award")
    assert "[restricted: 内部研究资料 请勿引用外传]" in result.stdout
    assert "asks not to be cited" in result.stderr


def test_show_unknown_id(kb):
    result = kb("show", "hefei-poc-award")
    assert result.exit_code == 2
    assert "hefei-poc-centre-award" in result.stderr


def test_list_kinds_with_counts(kb):
    rows = {r["kind"]: r for r in json.loads(kb("list", "-f", "json").stdout)}
    assert set(rows) == {"regions", "mechanisms", "instruments", "blockages", "sources", "laws", "pilots", "models",
                         "practices"}
    assert rows["models"]["count"] >= 6 and rows["sources"]["count"] >= 5


def test_list_terms_count_records_with_descendants(kb, mini_db):
    rows = {r["id"]: r for r in json.loads(kb("list", "regions", "-f", "json", db=mini_db).stdout)}
    assert rows["xian"]["records"] == 1 and rows["xian"]["total"] == 1
    assert rows["shaanxi"]["records"] == 0 and rows["shaanxi"]["total"] == 1
    assert rows["cn"]["total"] == 1 and rows["cn"]["depth"] == 0 and rows["xian"]["depth"] == 2


def test_list_records_and_sources(kb):
    laws = json.loads(kb("list", "laws", "-f", "json").stdout)
    assert laws and {r["kind"] for r in laws} == {"law"}
    sources = {r["id"]: r for r in json.loads(kb("list", "sources", "-f", "json").stdout)}
    assert sources["qinchuangyuan-brief-2023-01"]["restricted"] is True
    assert kb("list", "widgets").exit_code == 2


def test_figures_sort_and_sum(kb):
    rows = json.loads(kb("figures", "--unit", "yuan", "--sort", "-value", "-f", "json").stdout)
    values = [r["value"] for r in rows]
    assert values == sorted(values, reverse=True) and rows[0]["unit"] == "yuan"
    hefei = json.loads(kb("figures", "--region", "合肥", "--metric", "subsidy-cap", "--sum", "-f", "json").stdout)
    assert hefei == [{"metric": "subsidy-cap", "unit": "yuan", "n": 2, "sum": 6000000, "min": 1000000,
                      "max": 5000000}]
    assert "read it with care" not in kb("figures", "--region", "合肥", "--metric", "subsidy-cap", "--sum").stderr


def test_a_sum_says_what_it_should_not_have_added(kb):
    """National annual values, Beijing's ten-year total and Hangzhou's year, exact and lower bounds: the sum is
    printed, and stderr says why it is not a total."""
    result = kb("figures", "--metric", "technology contract turnover", "--sum", "-f", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)[0]["n"] == 6
    [line] = [x for x in result.stderr.splitlines() if "technology-contract-turnover" in x]
    assert "periods (2012/2021, 2018, 2021, 2022, 2023)" in line and "exact and over values" in line
    assert "Hangzhou within China" in line and "Beijing within China" in line
    shares = kb("figures", "--unit", "percent", "--sum").stderr
    assert "percent values, which do not add up to a total" in shares


def test_crosstab(kb):
    rows = json.loads(kb("crosstab", "region", "kind", "--mechanism", "poc-centre", "-f", "json").stdout)
    by_region = {r["region"]: r for r in rows}
    assert by_region["hefei"]["practice"] >= 3
    rolled = json.loads(kb("crosstab", "region", "kind", "--depth", "2", "-f", "json").stdout)
    assert "anhui" in {r["region"] for r in rolled} and "hefei" not in {r["region"] for r in rolled}
    assert kb("crosstab", "colour", "kind").exit_code == 2


def test_crosstab_names_its_first_column_the_same_with_or_without_results(kb):
    hit = kb("crosstab", "regions", "kind", "--kind", "law", "-f", "csv").stdout.splitlines()[0]
    empty = kb("crosstab", "regions", "kind", "--since", "2090", "-f", "csv").stdout.splitlines()[0]
    assert hit.startswith("region,") and empty == "region,total"
