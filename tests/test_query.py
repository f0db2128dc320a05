"""kb query: faceted filters over the words a researcher types."""

from __future__ import annotations

import json

import pytest
from conftest import result_ids as ids


def test_done_when_poc_centres_with_funding(kb):
    result = kb("query", "--mechanism", "概念验证中心", "--instrument", "funding", "--format", "json")
    records = {r["id"]: r for r in json.loads(result.stdout)}
    assert {"hefei-poc-centre-award", "hangzhou-transfer-fund"} <= set(records)
    hefei = records["hefei-poc-centre-award"]
    assert hefei["regions"] == [{"id": "hefei", "name_zh": "合肥", "name_en": "Hefei"}]
    cap = next(f for f in hefei["figures"] if f["metric"] == "award-cap")
    assert (cap["value"], cap["unit"], cap["qualifier"]) == (1000000, "yuan", "max")
    assert cap["evidence"][0]["quote"].endswith("给予最高 100 万元奖补。")
    fund = next(f for f in records["hangzhou-transfer-fund"]["figures"] if f["metric"] == "fund-size")
    assert fund["value"] == 5_000_000_000
    for r in records.values():
        assert r["evidence"] and all({"source", "quote", "locator"} <= set(e) for e in r["evidence"])
        assert {"id", "kind", "name_zh", "name_en", "summary_en", "date", "regions", "mechanisms", "instruments",
                "addresses", "figures", "evidence"} <= set(r)


def test_bare_support_is_not_funding(kb):
    funded = ids(kb("query", "--instrument", "funding", "-f", "json"))
    assert "chongqing-poc-platform" not in funded  # 支持建设… with no money named
    assert "chongqing-poc-platform" in ids(kb("query", "--instrument", "encouragement", "-f", "json"))


def test_region_includes_places_within_it(kb, mini_db):
    assert ids(kb("query", "--region", "陕西", "-f", "json", db=mini_db)) == ["xian-poc"]
    assert ids(kb("query", "--region", "cn", "-f", "json", db=mini_db)) == ["xian-poc"]
    real = ids(kb("query", "--region", "陕西", "-f", "json"))
    assert "shaanxi-three-reforms" in real


def test_funding_includes_its_forms(kb, mini_db):
    assert ids(kb("query", "--instrument", "funding", "-f", "json", db=mini_db)) == ["xian-poc"]


@pytest.mark.parametrize("value", ["poc-centre", "概念验证中心", "概念驗證中心", "Proof-of-concept centre",
                                   "proof of concept center", "POC CENTRE", "概念验证"])
def test_values_in_any_form(kb, value):
    assert "hefei-poc-centre-award" in ids(kb("query", "--mechanism", value, "-f", "json"))


@pytest.mark.parametrize("value", ["shaanxi", "陕西", "陝西", "Shaanxi", "陕西省", "SHAANXI PROVINCE"])
def test_region_values_in_any_form(kb, value):
    assert "shaanxi-three-reforms" in ids(kb("query", "--region", value, "-f", "json"))


def test_repeated_option_is_or_and_different_options_are_and(kb):
    hefei = set(ids(kb("query", "-r", "合肥", "-f", "json")))
    hangzhou = set(ids(kb("query", "-r", "杭州", "-f", "json")))
    both = set(ids(kb("query", "-r", "合肥", "-r", "杭州", "-f", "json")))
    assert both == hefei | hangzhou
    poc = set(ids(kb("query", "-m", "poc-centre", "-f", "json")))
    assert set(ids(kb("query", "-r", "合肥", "-m", "poc-centre", "-f", "json"))) == hefei & poc


def test_blockage_framing(kb):
    result = ids(kb("query", "--blockage", "不敢转", "-f", "json"))
    assert "shaanxi-three-reforms" in result and "pilot-empowerment" in result
    framing = set(ids(kb("query", "--blockage", "five-zhuan", "-f", "json")))
    assert set(result) <= framing


def test_unknown_value_exits_2_with_closest_terms(kb):
    result = kb("query", "--mechanism", "概念验正中心")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "unknown mechanism" in result.stderr and "poc-centre" in result.stderr
    assert "Traceback" not in result.stderr
    result = kb("query", "--region", "Hefie")
    assert result.exit_code == 2 and "hefei" in result.stderr


def test_kind_dates_and_text(kb):
    laws = kb("query", "--kind", "law", "-f", "json")
    assert {r["kind"] for r in json.loads(laws.stdout)} == {"law"}
    assert set(ids(kb("query", "-k", "laws", "-f", "json"))) == set(ids(laws))
    since = json.loads(kb("query", "--since", "2022-11", "--until", "2022-11-30", "-f", "json").stdout)
    # a partial date covers its whole period: 2022 overlaps November 2022
    assert since and all(r["date"][:7] == "2022-11" or r["date"] == "2022" for r in since)
    assert "hangzhou-transfer-fund" in [r["id"] for r in since]
    text = ids(kb("query", "--text", "中试", "--region", "合肥", "-f", "json"))
    assert "hefei-pilot-bases" in text and "hefei-poc-centre-award" not in text
    assert kb("query", "--since", "2022-13").exit_code == 2
    assert kb("query", "--kind", "statute").exit_code == 2


def test_no_filter_lists_every_record_and_empty_result_is_success(kb, mini_db):
    every = ids(kb("query", "-f", "json", db=mini_db))
    assert sorted(every) == ["law-a", "xian-poc"]
    empty = kb("query", "--region", "cn", "--kind", "law", "-f", "json", db=mini_db)
    assert empty.exit_code == 0 and json.loads(empty.stdout) == []


def test_sort_and_limit(kb):
    by_date = json.loads(kb("query", "--sort", "date", "-f", "json").stdout)
    from kbcli.dates import date_range

    starts = [date_range(r["date"])[0] for r in by_date if r["date"]]
    assert starts == sorted(starts)
    assert len(json.loads(kb("query", "--limit", "3", "-f", "json").stdout)) == 3
    assert kb("query", "--sort", "colour").exit_code == 2
