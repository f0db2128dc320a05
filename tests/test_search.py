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


def test_records_matching_every_part_rank_first_and_names_before_quotes(kb):
    result = json.loads(kb("search", "合肥 中试", "-f", "json").stdout)
    full = [r for r in result if len(r["matched"]) == 2]
    assert full and result[: len(full)] == full, "records matching both parts come first"
    assert all("合肥" in json.dumps(r, ensure_ascii=False) for r in full)
    scores = [r["score"] for r in result]
    assert scores == sorted(scores, reverse=True)
    assert result[0]["match"]["field"] in ("name_zh", "name_en")


@pytest.mark.parametrize("query,first", [
    ("合肥中试", {"hefei-pilot-base-construction-subsidy", "hefei-pilot-base-operation-subsidy", "hefei-pilot-bases"}),
    ("杭州概念验证中心", {"hangzhou-poc-centres", "hangzhou-poc-support-measure", "hangzhou-transfer-fund"}),
    ("北京技术经纪人", {"beijing-tech-broker-titles", "beijing-tech-manager-association", "beijing-tech-manager-workplan"}),
    ("合肥中試", {"hefei-pilot-base-construction-subsidy", "hefei-pilot-base-operation-subsidy", "hefei-pilot-bases"}),
])
def test_unspaced_chinese_is_split_against_known_names(kb, query, first):
    result = json.loads(kb("search", query, "-f", "json").stdout)
    assert result, query
    top = result[0]
    assert len(top["matched"]) == 2, f"{query}: the best record matches both parts ({top['matched']})"
    place = query[:2]
    for r in result[:3]:  # the first are placed there, not merely mentioning it
        assert any(place in (t["name_zh"] or "") for t in r["regions"]), r["id"]
    assert {r["id"] for r in result[:5]} & first, [r["id"] for r in result[:5]]


def test_exact_phrase_ranks_above_the_same_parts_apart(kb):
    result = json.loads(kb("search", "概念验证中心", "-f", "json", "--limit", "50").stdout)
    with_phrase = [i for i, r in enumerate(result) if "概念验证中心" in json.dumps(r, ensure_ascii=False)]
    assert with_phrase and with_phrase[0] == 0


def test_vocabulary_aliases_are_searchable(kb):
    blockage = {r["id"] for r in json.loads(kb("query", "--blockage", "中梗阻", "-f", "json").stdout)}
    found = hits(kb("search", "中梗阻", "-f", "json"))
    assert blockage and blockage <= set(found[: len(blockage) + 2]), "the alias finds what its term tags"


@pytest.mark.parametrize("query", ["concept-verification centre", "concept verification centres",
                                   "Concept-Verification Center", "proof of concept centres"])
def test_english_phrasings_across_hyphens_spaces_plurals_and_spellings(kb, query):
    found = hits(kb("search", query, "-f", "json"))
    assert {"hefei-poc-centre-award", "hefei-poc-centres"} <= set(found), query


def test_tech_broker_is_technology_broker(kb):
    assert hits(kb("search", "tech broker", "-f", "json"))[:5] == hits(kb("search", "technology brokers",
                                                                              "-f", "json"))[:5]


def test_empty_result_says_why(kb):
    typo = kb("search", "subsidys for pilot plents")
    out_of_scope = kb("search", "绿色金融")
    nothing = kb("search", "量子纠缠")
    assert nothing.exit_code == 0 and "no record matches" in nothing.stderr
    assert "outside the base" in out_of_scope.stderr and "green finance" in out_of_scope.stderr
    assert typo.exit_code == 0


def test_partial_results_say_they_are_partial(kb):
    result = kb("search", "合肥 量子纠缠")
    assert result.exit_code == 0 and "no record matches every part" in result.stderr


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


def test_a_very_common_part_is_ranked_among_a_bounded_set_and_says_so(real_db, monkeypatch):
    """With a cap of 20 candidates and BM25 for 8, a first page of 转 (in most records) still finds records
    holding every part, marked as bounded; asked for every match (no limit), every match comes back."""
    from kbcli.query import search as search_module
    from kbcli.query.kb import KB
    from kbcli.store.db import connect

    kb = KB(connect(real_db))
    everything = search_module.search(kb, "转 化", limit=None)
    monkeypatch.setattr(search_module, "CAP", 20)
    monkeypatch.setattr(search_module, "RANKED", 8)
    page = search_module.search(kb, "转 化", limit=10)
    assert len(everything) > 100
    assert len(page) == 10 and all(r["ranking"]["bounded"] for r in page)
    assert all(r["matched"] == ["转", "化"] for r in page)  # the rarest part's first 20, both parts read among them
    assert {r["id"] for r in page} <= {r["id"] for r in everything}
    assert [r["id"] for r in search_module.search(kb, "转 化", limit=None)] == [r["id"] for r in everything]
    assert "ranking" not in everything[0]


def test_a_terms_phrases_implied_by_another_are_left_out_and_match_the_same_records(real_db):
    """'proof of concept centre' adds nothing to 'proof of concept' in the same columns: the part keeps the
    shorter only, and for every term of the vocabularies the kept phrases match exactly the records that
    all its phrases match."""
    from kbcli.query import search as search_module
    from kbcli.query.kb import KB
    from kbcli.query.resolve import Piece
    from kbcli.store.db import connect

    kb = KB(connect(real_db))
    poc = search_module._known_part(kb, Piece("proof-of-concept", 0, 16, terms=["poc-centre"]))
    phrases = [e.split(" : ", 1)[1] for e in poc.fts]
    assert '("proof of concept")' in phrases and not any("centre" in p.casefold() for p in phrases)

    def matches(exprs: list[str]) -> set[int]:
        sql = f"SELECT rowid FROM {search_module.FTS_TABLE} WHERE {search_module.FTS_TABLE} MATCH ?"
        return {r[0] for r in kb.conn.execute(sql, [" OR ".join(f"({e})" for e in exprs)])}

    pruned = 0
    for tid, term in kb.terms.items():
        names = [term["name_zh"], term["name_en"], *term["aliases"]]
        every = list(dict.fromkeys(e for n in names if n for e in search_module._exprs(n)))
        kept = search_module._prune(every)
        assert set(kept) <= set(every) and kept, tid
        pruned += len(every) - len(kept)
        if len(kept) < len(every):
            assert matches(kept) == matches(every), tid
    assert pruned > 10  # the vocabularies do hold such names
