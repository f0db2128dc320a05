"""One resolver for names everywhere, filters that say what they leave out, and help that teaches."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT
from conftest import result_ids as ids


@pytest.mark.parametrize("name,expected", [
    ("合肥", "hefei"), ("Hefei", "hefei"), ("合肥市", "hefei"), ("hefei", "hefei"),
    ("协议转化模式", "model-protocol"), ("協議轉化模式", "model-protocol"), ("Transfer by agreement", "model-protocol"),
    ("概念驗證中心", "poc-centre"), ("concept-verification centres", "poc-centre"), ("tech broker", "tech-manager"),
    ("中梗阻", "pilot-platform-gaps"), ("zgc-transfer-progress", "zgc-transfer-progress"),
])
def test_show_takes_names_in_either_script_and_english(kb, name, expected):
    result = kb("show", name, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["id"] == expected


def test_show_an_article_and_a_figure(kb):
    art = json.loads(kb("show", "law-sttl#art14", "-f", "json").stdout)
    assert art["kind"] == "article" and art["number"] == 14 and art["law"]["id"] == "law-sttl"
    assert art["versions"][0]["evidence"] and "model-protocol" in {r["id"] for r in art["cited_by"]}
    fig = json.loads(kb("show", "hefei-poc-centre-award#award-cap", "-f", "json").stdout)
    assert fig["kind"] == "figure" and fig["value"] == 1000000 and fig["owner"]["id"] == "hefei-poc-centre-award"
    by_name = json.loads(kb("show", "促进科技成果转化法#art14", "-f", "json").stdout)
    assert by_name["id"] == "law-sttl#art14"


def test_ambiguous_and_unknown_names_are_usage_errors_with_candidates(kb):
    amb = kb("show", "首购")  # a name the seed shares between a mechanism and an instrument, and a record's short name
    assert amb.exit_code == 2 and "procurement [instrument]" in amb.stderr and "first-purchase [mechanism]" in amb.stderr
    assert "xuchang-government-first-purchase [practice]" in amb.stderr
    missing = kb("show", "Hefie")
    assert missing.exit_code == 2 and "hefei" in missing.stderr and "Traceback" not in missing.stderr
    art = kb("show", "law-sttl#art999")
    assert art.exit_code == 2 and "no article 999" in art.stderr


def test_cite_takes_names_too(kb):
    result = kb("cite", "協議轉化模式", "--style", "apa")
    assert result.exit_code == 0 and "秦创原战略研究院" in result.stdout


def test_filters_take_everyday_phrasings(kb):
    a = ids(kb("query", "--mechanism", "concept-verification centre", "--instrument", "funding", "-f", "json"))
    b = ids(kb("query", "--mechanism", "概念验证中心", "--instrument", "funding", "-f", "json"))
    assert a == b and a
    assert ids(kb("query", "--mechanism", "TTO", "-f", "json")) == ids(kb("query", "--mechanism", "tto", "-f",
                                                                            "json"))


def test_unknown_filter_value_names_the_closest_terms(kb):
    result = kb("query", "--mechanism", "concept verificaton centre")
    assert result.exit_code == 2 and "poc-centre" in result.stderr


def test_metric_takes_labels_and_unknown_metrics_exit_2(kb):
    rows = json.loads(kb("figures", "--metric", "technology contract turnover", "-f", "json").stdout)
    assert rows and {r["metric"] for r in rows} == {"technology-contract-turnover"}
    bad = kb("figures", "--metric", "technology turnover")
    assert bad.exit_code == 2 and "technology-contract-turnover" in bad.stderr


def test_figures_as_of_keeps_the_periods_that_overlap(kb):
    rows = json.loads(kb("figures", "--metric", "technology-contract-turnover", "--as-of", "2022", "-f",
                         "json").stdout)
    assert rows and all("2022" in r["as_of"] or r["as_of"].startswith("2012/") for r in rows)
    assert {r["value"] for r in rows if r["owner"] == "cn-tech-contract-registration"} == {4780000000000}
    assert kb("figures", "--as-of", "2022-13").exit_code == 2


def test_exact_region_leaves_out_the_places_within_it(kb):
    within = set(ids(kb("query", "--region", "北京", "-f", "json")))
    exact = set(ids(kb("query", "--region", "北京", "--exact", "-f", "json")))
    assert exact < within
    zgc = set(ids(kb("query", "--region", "zgc", "-f", "json")))
    assert zgc <= within and not zgc <= exact


def test_level_keeps_records_placed_at_that_level_or_within(kb):
    cities = json.loads(kb("query", "--level", "city", "-f", "json").stdout)
    assert cities and all(r["regions"] for r in cities)
    assert "hefei-poc-centre-award" in {r["id"] for r in cities}
    assert "law-sttl" not in {r["id"] for r in cities}
    assert kb("query", "--level", "galaxy").exit_code == 2


def test_date_filters_say_how_many_undated_records_they_leave_out(kb):
    result = kb("query", "--since", "2020", "-f", "csv")
    assert result.exit_code == 0 and "undated record(s)" in result.stderr
    n = int(result.stderr.split("undated record(s)")[0].split()[-1])
    total = len(json.loads(kb("query", "-f", "json").stdout))
    dated = len(result.stdout.splitlines()) - 1
    assert 0 < n < total and dated + n <= total
    assert kb("query", "--since", "").exit_code == 2


def test_empty_query_says_which_filters_find_what(kb):
    result = kb("query", "--region", "深圳", "--mechanism", "poc-centre")
    assert result.exit_code == 0
    assert "records per filter alone" in result.stderr and "--region 深圳:" in result.stderr


# ---------------------------------------------------------------- help


def test_every_command_help_ends_with_examples_and_reads_as_words(cli):
    from kbcli.cli import COMMANDS

    for name in COMMANDS:
        out = cli(name, "--help").stdout
        tail = out.rstrip().splitlines()
        assert "Examples:" in out, f"kb {name} --help has no examples"
        examples = tail[tail.index("  Examples:") + 1:]
        assert 2 <= len(examples) <= 3 and all(e.strip().startswith("kb ") for e in examples), name
        assert "<list" not in out and "<int" not in out and "<str>" not in out, f"kb {name}: metavars as words"


def test_command_list_shows_whole_sentences(cli):
    out = cli("--help").stdout
    assert "e.g." not in out.split("Commands:")[1].splitlines()[0]
    assert "..." not in out.split("Commands:")[1], "no summary is cut"


def test_a_mistyped_option_suggests_the_one_meant(cli):
    result = cli("query", "--regoin", "合肥")
    assert result.exit_code == 2 and "--region" in result.stderr
    result = cli("show", "--formta", "json", "x")
    assert result.exit_code == 2 and "--format" in result.stderr and "--seed" not in result.stderr


def test_shell_completion_offers_ids_from_the_database(real_db, tmp_path):
    env = {**os.environ, "KB_DB": str(real_db), "_KB_COMPLETE": "complete_bash", "COMP_WORDS": "kb show hefei-po",
           "COMP_CWORD": "2"}
    out = subprocess.run([sys.executable, "-m", "kbcli"], env=env, capture_output=True, text=True, cwd=ROOT,
                         timeout=60)
    assert "hefei-poc-centre-award" in out.stdout
    env.update(COMP_WORDS="kb query --region he", COMP_CWORD="3")
    out = subprocess.run([sys.executable, "-m", "kbcli"], env=env, capture_output=True, text=True, cwd=ROOT,
                         timeout=60)
    assert "hefei" in out.stdout.split() and "henan" in out.stdout.split()
