"""kb search: bigram full text that works for short Chinese terms, both scripts and English."""

from __future__ import annotations

import json

import pytest
from conftest import result_ids as hits


@pytest.mark.parametrize("term", ["中试", "赋权", "揭榜", "试点"])
def test_two_character_terms(kb, term):
    assert hits(kb("search", term, "-f", "json")), term


def test_one_character_term(kb):
    assert hits(kb("search", "肥", "-f", "json"))  # 合肥: the last character of a run


def test_four_character_phrase(kb):
    found = hits(kb("search", "概念验证", "-f", "json"))
    assert "hefei-poc-centre-award" in found


def test_simplified_query_finds_traditional_quotes(kb):
    result = json.loads(kb("search", "中试平台", "-f", "json", "--limit", "50").stdout)
    traditional = [r for r in result if r["match"] and r["match"].get("field") == "quote"
                   and "中試平臺" in r["match"]["text"]]
    assert traditional, "a traditional-script quote (中試平臺) matched a simplified query"


def test_traditional_query_finds_simplified_text(kb):
    found = hits(kb("search", "概念驗證中心", "-f", "json"))
    assert "hefei-poc-centres" in found


def test_english_words_find_records(kb):
    assert "hefei-pilot-base-construction-subsidy" in hits(kb("search", "subsidies", "-f", "json"))
    assert "hefei-poc-centre-award" in hits(kb("search", "proof-of-concept Hefei", "-f", "json"))
    assert "model-protocol" in hits(kb("search", "agreement", "-f", "json"))


def test_all_words_must_match_and_ranking_prefers_names(kb):
    result = json.loads(kb("search", "合肥 中试", "-f", "json").stdout)
    assert result and all("合肥" in json.dumps(r, ensure_ascii=False) for r in result)
    scores = [r["score"] for r in result]
    assert scores == sorted(scores, reverse=True)
    assert result[0]["match"]["field"] in ("name_zh", "name_en")


def test_kind_filter_and_limit(kb):
    result = json.loads(kb("search", "转化", "--kind", "model", "--limit", "3", "-f", "json").stdout)
    assert 0 < len(result) <= 3 and {r["kind"] for r in result} == {"model"}


def test_no_match_is_success_and_empty_query_is_usage_error(kb):
    none = kb("search", "量子纠缠", "-f", "json")
    assert none.exit_code == 0 and json.loads(none.stdout) == []
    assert kb("search", "！？").exit_code == 2


def test_restricted_evidence_is_marked(kb):
    result = kb("search", "概念验证中心", "-f", "json")
    records = json.loads(result.stdout)
    restricted = [e for r in records for e in r["evidence"] if e.get("restricted")]
    assert restricted and all(e["citation_note"] == "内部研究资料 请勿引用外传" for e in restricted)
    assert "asks not to be cited" in result.stderr
    table = kb("search", "概念验证中心")
    assert "asks not to be cited" in table.stderr and "true" in table.stdout


def test_spaces_from_the_pdf_extraction_do_not_break_matches(kb):
    # the brief prints 最高 100 万元 with spaces around the number
    assert "hefei-poc-centre-award" in hits(kb("search", "最高100万元", "-f", "json"))
    assert "hefei-poc-centre-award" in hits(kb("search", "100万元", "-f", "json"))


def test_latin_and_chinese_in_one_word(kb):
    assert "hangzhou-transfer-statistics" in hits(kb("search", "R&D投入", "-f", "json"))
