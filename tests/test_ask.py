"""kb ask: questions in English, simplified and traditional Chinese, answered best first."""

from __future__ import annotations

import json
import shlex

import pytest


def ask(kb, question: str, *args: str) -> dict:
    result = kb("ask", question, "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


def top(answer: dict, n: int = 3) -> list[str]:
    return [r["id"] for r in answer["records"][:n]]


POC_FUNDED = {"hefei-poc-centre-award", "hangzhou-transfer-fund"}


@pytest.mark.parametrize("question", [
    "Which cities fund concept-verification centres?",
    "which cities fund proof of concept centers",
    "哪些城市资助概念验证中心？",
    "哪些城市資助概念驗證中心？",
])
def test_which_cities_fund_poc_centres(kb, question):
    a = ask(kb, question)
    it = a["interpretation"]
    assert it["mode"] == "query" and "poc-centre" in it["mechanisms"] and "funding" in it["instruments"]
    assert it["group_by"] == "city" and set(it["levels"]) == {"city", "municipality"}
    assert POC_FUNDED <= set(top(a)), top(a)
    groups = [r["group"]["id"] for r in a["records"]]
    assert groups.index("hefei") < len(groups) and "hangzhou" in groups
    hefei = next(r for r in a["records"] if r["id"] == "hefei-poc-centre-award")
    assert any(f["metric"] == "award-cap" and f["value"] == 1000000 for f in hefei["answer"]["figures"])
    assert hefei["answer"]["quote"]["restricted"] is True


@pytest.mark.parametrize("question", [
    "How much does Hefei give to pilot-plant bases?",
    "合肥对中试基地补贴多少",
    "合肥對中試基地補貼多少？",
])
def test_how_much_does_hefei_give_to_pilot_bases(kb, question):
    a = ask(kb, question)
    assert a["interpretation"]["mode"] == "figures"
    assert a["interpretation"]["command"].startswith("kb figures")
    assert set(top(a, 2)) == {"hefei-pilot-base-construction-subsidy", "hefei-pilot-base-operation-subsidy"}
    caps = {f["value"] for r in a["records"][:2] for f in r["answer"]["figures"] if f["metric"] == "subsidy-cap"}
    assert caps == {5000000, 1000000}


@pytest.mark.parametrize("question", ["陕西有哪些解决不敢转的做法", "陝西有哪些解決不敢轉的做法",
                                      "What measures does Shaanxi take against fear of transferring?"])
def test_shaanxi_practices_against_dare_not_transfer(kb, question):
    a = ask(kb, question)
    it = a["interpretation"]
    assert it["regions"] == ["shaanxi"] and it["blockages"] == ["dare-not-transfer"]
    assert set(it["kinds"]) == {"practice", "pilot", "law"}, "做法/measures: what is done, in any form but a model"
    found = [r["id"] for r in a["records"]]
    assert {"shaanxi-three-reforms", "shaanxi-three-reforms-ten-measures"} <= set(found[:3])
    assert "shaanxi-luo-jian-case" in found


@pytest.mark.parametrize("question", ["Where is pay-after-use licensing being piloted?", "先使用后付费在哪里试点",
                                      "先使用後付費在哪裡試點？"])
def test_where_is_pay_after_use_piloted(kb, question):
    a = ask(kb, question)
    assert a["interpretation"]["mechanisms"] == ["pay-after-use"]
    assert top(a, 1) == ["beijing-pay-after-use-pilot"]
    assert a["records"][0]["group"]["id"] == "zgc-core"


@pytest.mark.parametrize("question,value", [
    ("2022年全国技术合同成交额", 4780000000000),
    ("2022年全國技術合同成交額", 4780000000000),
    ("national technology contract turnover in 2022", 4780000000000),
    ("全国技术合同成交额2023年是多少", 6150000000000),
])
def test_national_technology_contract_turnover_in_a_year(kb, question, value):
    a = ask(kb, question)
    assert a["interpretation"]["mode"] == "figures"
    first = a["records"][0]
    assert first["id"] == "cn-tech-contract-registration"
    assert first["answer"]["figures"][0]["metric"] == "technology-contract-turnover"
    assert first["answer"]["figures"][0]["value"] == value


@pytest.mark.parametrize("question", ["重庆怎样培训技术经理人", "重慶怎樣培訓技術經理人",
                                      "How does Chongqing train technology managers?"])
def test_how_chongqing_trains_tech_managers(kb, question):
    a = ask(kb, question)
    assert a["interpretation"]["regions"] == ["chongqing"]
    assert "tech-manager" in a["interpretation"]["mechanisms"]
    assert top(a, 1) == ["chongqing-tech-manager-training"]


def test_json_object_follows_the_contract(kb):
    a = ask(kb, "Which cities fund concept-verification centres?")
    assert set(a) == {"question", "interpretation", "records"}
    it = a["interpretation"]
    assert {"command", "mode", "regions", "mechanisms", "instruments", "blockages", "kinds", "since", "until",
            "recognised", "unused", "notes"} <= set(it)
    for r in a["records"]:
        assert {"id", "kind", "name_zh", "name_en", "summary_en", "regions", "figures", "evidence", "score",
                "answer"} <= set(r)
    scores = [r["score"] for r in a["records"]]
    assert scores == sorted(scores, reverse=True) or it["group_by"], "best first (within groups)"


def test_the_reading_is_a_command_that_finds_the_same_records(kb):
    a = ask(kb, "陕西有哪些解决不敢转的做法")
    argv = a["interpretation"]["command"].split()[1:]
    again = kb(*argv, "--format", "json")
    assert {r["id"] for r in json.loads(again.stdout)} == {r["id"] for r in a["records"]}


def test_counts_dates_and_kinds(kb):
    a = ask(kb, "How many proof-of-concept centres does Hefei have?")
    assert a["interpretation"]["intent"]["count"] and top(a, 1) == ["hefei-poc-centres"]
    assert a["records"][0]["answer"]["figures"][0]["value"] == 5
    pilots = ask(kb, "2018年以来有哪些试点")
    assert pilots["interpretation"]["kinds"] == ["pilot"] and pilots["interpretation"]["since"] == "2018"
    assert all(r["kind"] == "pilot" for r in pilots["records"])
    assert any("undated" in n for n in pilots["interpretation"]["notes"])
    laws = ask(kb, "What laws address 不敢转?")
    assert laws["records"] and all(r["kind"] == "law" for r in laws["records"])


def test_parts_left_out_or_widened_are_named(kb):
    a = ask(kb, "深圳有哪些概念验证中心")  # none in Shenzhen: its validation platforms, the broader term
    assert any("widened to validation-platform" in n for n in a["interpretation"]["notes"])
    assert a["interpretation"]["regions"] == ["shenzhen"] and a["records"]
    # no Jinan figure: Jinan's record on pilot-plant bases, saying the number is missing, never another
    # city's amounts (issue 16: the place is the subject and is never left out)
    b = ask(kb, "How much does Jinan give to pilot-plant bases?")
    assert b["interpretation"]["match"] == "partial" and b["interpretation"]["dropped"]
    assert any("no figure matches" in n for n in b["interpretation"]["notes"])
    assert top(b, 1) == ["jinan-poc-and-pilot-bases"]
    assert all(any(t["id"] == "jinan" for t in r["regions"]) for r in b["records"])


def test_out_of_scope_topics_say_so(kb):
    for q in ("人工智能治理", "green finance in Beijing"):
        a = ask(kb, q)
        assert a["records"] == [] and any("outside the base" in n for n in a["interpretation"]["notes"]), q


def test_nothing_recognised_falls_back_to_ranked_search(kb):
    a = ask(kb, "university spin-off companies")
    assert a["interpretation"]["mode"] == "search" and a["interpretation"]["command"].startswith("kb search")
    assert any("ranked full-text search" in n for n in a["interpretation"]["notes"])


def test_table_prints_the_reading_first_and_other_formats_print_records(kb):
    table = kb("ask", "Which cities fund concept-verification centres?")
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    assert lines[0].startswith("exact answer") and lines[1].startswith("kb query ")  # the match state first
    assert lines[2].lstrip().startswith("read:")
    assert "合肥 Hefei" in table.stdout and "asks not to be cited" in table.stderr
    csv = kb("ask", "Which cities fund concept-verification centres?", "--format", "csv")
    assert csv.stdout.startswith("id,kind,date,date_start,date_end,status,") and "read as: kb query" in csv.stderr


def test_an_empty_question_is_a_usage_error(kb):
    assert kb("ask", "  ").exit_code == 2


def test_a_record_name_beside_other_parts_ranks_but_does_not_take_over(kb):
    a = ask(kb, "北京的科技成果转化政策")
    assert a["interpretation"]["regions"] == ["beijing"] and a["interpretation"]["kinds"] == ["law"]
    assert a["records"] and all(r["kind"] == "law" for r in a["records"])
    b = ask(kb, "哪些省份开展单列管理试点")  # 单列管理 + 试点, not one pilot's short name
    assert top(b, 1) == ["provincial-separate-management-pilots"]


def test_money_words_in_a_question_for_numbers_do_not_filter(kb):
    a = ask(kb, "How much is the Xixian fund?")
    first = a["records"][0]
    assert first["id"] == "xixian-qinchuangyuan-window-fund"
    assert any(f["metric"] == "fund-size" and f["value"] == 11000000000 for f in first["answer"]["figures"])
    b = ask(kb, "2023年全国研发经费是多少")
    assert b["records"][0]["id"] == "cn-rd-investment" and "funding" not in b["interpretation"]["instruments"]


def test_a_metric_name_narrows_only_a_question_for_numbers(kb):
    a = ask(kb, "Which cities have technology brokers?")
    assert a["interpretation"]["mode"] == "query" and len(a["records"]) > 3


def test_national_means_the_country_itself_and_figures_follow_the_command(kb):
    a = ask(kb, "How much was national technology contract turnover in 2023?")
    assert a["interpretation"]["exact"] and "--exact" in a["interpretation"]["command"]
    figs = a["records"][0]["answer"]["figures"]
    assert figs and all(f["as_of"] == "2023" for f in figs)


def test_articles_dates_and_blockages_in_questions(kb):
    art = ask(kb, "科技成果转化法第十四条")
    assert shlex.split(art["interpretation"]["command"]) == ["kb", "show", "law-sttl#art14"]
    assert "第十四条" in art["records"][0]["answer"]["quote"]["quote"]
    when = kb("ask", "When was the empowerment pilot launched?")
    assert "date: 2020-05" in when.stdout
    blocks = ask(kb, "堵点有哪些")
    assert blocks["interpretation"]["group_by"] == "blockage"
    assert blocks["records"] and all(r["addresses"] and r["group"] for r in blocks["records"])


# ---------------------------------------------------------------- issue 16: answers a researcher can trust


def _about(a: dict, region: str) -> bool:
    return all(any(t["id"] == region for t in r["regions"]) or r["id"] == region for r in a["records"])


@pytest.mark.parametrize("question,place", [
    ("武汉的中试基地补贴是多少", "武汉"), ("How much does Guangzhou subsidise pilot-plant bases?", "Guangzhou"),
    ("武漢的中試基地補貼是多少？", "武漢"), ("深圳南山区出台了哪些科技成果转化政策？", "南山区"),
    ("How does Brazil support technology transfer from its universities?", "Brazil"),
])
def test_a_real_place_the_base_lacks_is_answered_none(kb, question, place):
    a = ask(kb, question)
    it = a["interpretation"]
    assert it["match"] == "none" and a["records"] == [], top(a)
    assert any(m["text"] == place and m["as"] == "place" for m in it["missing"])
    note = next(n for n in it["notes"] if n.startswith("the base has nothing on"))
    assert place in note and "its sources cover" in note and "合肥" in note
    for r in a.get("related", {}).get("records", []):  # beside it, never as the answer
        assert "hefei" not in {t["id"] for t in r["regions"]} or "not about" in a["related"]["heading"]
    table = kb("ask", question)
    first = table.stdout.splitlines()[0]
    assert first.startswith("no answer: the base has nothing on") and place in first
    if a.get("related"):
        assert f"not about {place}" in table.stdout.split("No record answers the question.")[1]


def test_chongqing_target_is_chongqings_own_figure(kb):
    a = ask(kb, "What is Chongqing's 2025 target for technology contract turnover?")
    assert a["interpretation"]["match"] in ("exact", "partial") and _about(a, "chongqing")
    figs = a["records"][0]["answer"]["figures"]
    assert a["records"][0]["id"] == "chongqing-sci-service-plan"
    assert figs[0]["metric"] == "target-technology-contract-turnover" and figs[0]["value"] == 110000000000


@pytest.mark.parametrize("question", ["南开大学把科技成果转化收益的多少奖励给成果完成团队？",
                                      "南開大學把科技成果轉化收益的多少獎勵給成果完成團隊？"])
def test_a_proper_noun_in_the_base_is_the_subject(kb, question):
    a = ask(kb, question)
    assert top(a, 1) == ["nankai-80-percent-reward"]
    assert any(f["value"] == 80 for f in a["records"][0]["answer"]["figures"])
    assert all("南开大学" in json.dumps(r, ensure_ascii=False) for r in a["records"])


@pytest.mark.parametrize("question", ["科技創新引領產業創新有哪幾種模式？", "科技创新引领产业创新有哪几种模式"])
def test_a_long_chunk_is_cut_into_what_the_base_holds(kb, question):
    a = ask(kb, question)
    assert set(top(a, 3)) == {"model-follow-imitate-innovation", "model-indigenous-endogenous-innovation",
                              "model-open-collaborative-innovation"}


@pytest.mark.parametrize("question,owner,value", [
    ("What share of universities have their own technology transfer office?", "weak-transfer-services", 26.5),
    ("高校發明專利產業化率", "low-transfer-rate", 3.9),
    ("千校万企协同创新伙伴行动有多少高校参与", "qxwq-collaborative-innovation-platform", 500),
])
def test_figures_held_by_terms_and_linked_records_answer(kb, question, owner, value):
    a = ask(kb, question)
    found = {(r["id"], f["value"]) for r in a["records"][:3] for f in r["answer"]["figures"]}
    assert (owner, value) in found, found


@pytest.mark.parametrize("question", [
    "What does Article 9 of the law on promoting the transformation of scientific and technological achievements say?",
    "What does Art. 9 of the Technology Transfer Law say?", "What does section 9 of China's transfer law say?",
    "促进科技成果转化法第9条", "科技成果转化法第九条", "科技成果轉化法第九條規定了什麼？"])
def test_articles_in_every_form(kb, question):
    a = ask(kb, question)
    assert shlex.split(a["interpretation"]["command"]) == ["kb", "show", "law-sttl#art9"], a["interpretation"]
    assert a["records"][0]["answer"]["article"]["number"] == 9


@pytest.mark.parametrize("question,metric", [("2022年全国技术合同成交额", "technology-contract-turnover"),
                                             ("全国技术合同数是多少", "technology-contracts"),
                                             ("上海认定项目的成果转化率是多少", "transfer-rate"),
                                             ("2023年全国发明专利产业化率", "invention-patent-industrialisation-rate")])
def test_chinese_metric_words_name_metrics(kb, question, metric):
    a = ask(kb, question)
    assert metric in a["interpretation"]["metrics"] + a["interpretation"].get("suggested", []) or any(
        f["metric"] == metric for r in a["records"][:2] for f in r["answer"]["figures"]), a["interpretation"]


def test_a_comparison_keeps_every_place_and_says_each_period(kb):
    a = ask(kb, "Compare Beijing and Hangzhou technology contract turnover in 2022")
    groups = {r["group"]["id"] for r in a["records"]}
    assert {"beijing", "hangzhou"} <= groups
    beijing = next(r for r in a["records"] if r["group"]["id"] == "beijing")
    assert beijing["answer"]["figures"] and all(f["as_of"] for f in beijing["answer"]["figures"])
    assert any("北京" in n and "2022" in n for n in a["interpretation"]["notes"])


def test_remedies_rank_by_the_terms_they_address_not_by_kind(kb):
    a = ask(kb, "怎样解决不能转、不敢转、不想转、不会转的问题")
    kinds = [r["kind"] for r in a["records"][:10]]
    assert kinds[:3] != ["law"] * 3 and any(r["id"].startswith("tianjin-") for r in a["records"][:10])


def test_json_records_carry_the_query_contract_and_the_match(kb):
    a = ask(kb, "Which cities fund concept-verification centres?")
    q = {r["id"]: r for r in json.loads(kb("query", "--mechanism", "poc-centre", "--format", "json").stdout)}
    assert a["records"] and all(r["id"] in q for r in a["records"])
    for r in a["records"]:  # the record as kb query prints it, plus score, answer and group
        assert set(r) - {"score", "answer", "group"} == set(q[r["id"]]), set(r) ^ set(q[r["id"]])
        assert r["sources"] == q[r["id"]]["sources"] and r["restricted"] == q[r["id"]]["restricted"]
    assert a["interpretation"]["match"] == "exact" and a["interpretation"]["dropped"] == []
    none = ask(kb, "华为在技术转移方面有哪些做法")
    assert none["interpretation"]["match"] == "none" and none["records"] == []


def test_names_the_base_does_not_hold_answer_none(kb):
    for q in ("华为在技术转移方面有哪些做法", "What share of licensing income does Oxford University give its inventors?",
              "弗勞恩霍夫協會在德國的技術轉移中扮演什麼角色？"):
        a = ask(kb, q)
        assert a["interpretation"]["match"] == "none" and not a["records"], (q, top(a))


def test_questions_about_what_is_wrong_answer_with_blockages(kb):
    a = ask(kb, "科研人员为什么会“不敢转”？")
    assert "dare-not-transfer" in top(a, 5) and all(r["kind"] == "blockage" for r in a["records"])
    b = ask(kb, "What holds back pilot-plant platforms?")
    assert set(top(b, 5)) & {"pilot-platform-gaps", "pilot-platform-positioning", "pilot-ecosystem-gaps"}


def test_search_and_figures_reach_the_figures_of_terms(kb):
    hit = json.loads(kb("search", "26.5%", "--format", "json").stdout)
    assert hit[0]["id"] == "weak-transfer-services" and hit[0]["match"]["field"] == "figure"
    label = json.loads(kb("search", "發明專利產業化率", "--format", "json").stdout)
    assert "low-transfer-rate" in [r["id"] for r in label]
    value = json.loads(kb("search", "1100亿元", "--format", "json").stdout)
    assert value[0]["id"] == "chongqing-sci-service-plan"
    figs = json.loads(kb("figures", "--blockage", "weak-transfer-services", "--format", "json").stdout)
    assert any(f["owner"] == "weak-transfer-services" and f["value"] == 26.5 for f in figs)
