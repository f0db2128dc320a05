"""Tags backed by the record's own evidence, and vocabularies whose names each name one term.

* A term may list ``evidence_cues`` (``funding``: the words that name money);
  a record carrying it, or a narrower term, whose quotes contain none of them
  gets a located warning from ``kb validate``, and ``--strict`` fails on it.
* ``see_also`` links related terms; queries include narrower terms only, and
  say which linked terms they leave out.
"""

from __future__ import annotations

import json
import re

from conftest import GOOD, result_ids

CUES = '    evidence_cues: ["{n}元", 资金, 补贴, 基金]\n'


def _seed(tmp_path, text: str):
    path = tmp_path / "seed.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _with_cues(extra_practice: str = "") -> str:
    text = GOOD.read_text(encoding="utf-8").replace(
        "  - id: funding\n    name_zh: 资金投入\n    name_en: Funding\n",
        "  - id: funding\n    name_zh: 资金投入\n    name_en: Funding\n" + CUES)
    return text + extra_practice


BARE = """\
  - id: xian-bare-support
    name_zh: 西安支持
    name_en: Xi'an support
    summary_en: Support.
    instruments: [encouragement-x, subsidy]
    evidence:
      - source: src
        quote: 西安支持概念验证中心建设
        locator: 二
"""


def test_good_seed_with_cues_has_no_warning(cli, tmp_path):
    # the good seed's subsidy record quotes 给予最高100万元补贴 in a figure: money named
    path = _seed(tmp_path, _with_cues())
    result = cli("validate", str(path), "--strict")
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr


def test_funding_tag_without_money_warns_located_and_strict_fails(cli, tmp_path):
    text = _with_cues(BARE.replace("encouragement-x, ", ""))
    path = _seed(tmp_path, text)
    lines = text.splitlines()
    line = [i for i, l in enumerate(lines, 1) if l == "    instruments: [subsidy]"][-1]
    result = cli("validate", str(path))
    assert result.exit_code == 0, "a warning leaves the seed valid"
    assert f"{path}:{line}:19: warning: instrument 'subsidy' (under 'funding') needs its evidence to name one of: " \
           "{n}元, 资金, 补贴, 基金; no quote of this record does." in result.stderr
    assert "(at practices[1].instruments[0])" in result.stderr
    assert "valid (" in result.stderr and "1 warning" in result.stderr
    strict = cli("validate", str(path), "--strict")
    assert strict.exit_code == 1
    assert "1 warning in the seed (--strict)" in strict.stderr
    assert "Traceback" not in strict.stderr
    # building the database does not stop on warnings
    load = cli("load", str(path), "--db", str(tmp_path / "x.sqlite"))
    assert load.exit_code == 0, load.stderr


def test_cues_match_either_script_amounts_and_notes_silence(cli, tmp_path):
    money = BARE.replace("encouragement-x, ", "").replace("西安支持概念验证中心建设", "給予最高 50 萬元補貼")
    path = _seed(tmp_path, _with_cues(money))
    # the quote need not be in the source for validate; 補貼 folds to 补贴, 50萬元 is an amount
    assert "warning" not in cli("validate", str(path)).stderr
    amount = BARE.replace("encouragement-x, ", "").replace("西安支持概念验证中心建设", "投入2.4亿元")
    assert "warning" not in cli("validate", str(_seed(tmp_path, _with_cues(amount)))).stderr
    noted = BARE.replace("encouragement-x, ", "").replace(
        "    evidence:\n      - source: src\n        quote: 西安支持",
        "    notes: Tagged subsidy because the source's table (not quoted) lists it.\n"
        "    evidence:\n      - source: src\n        quote: 西安支持")
    assert "warning" not in cli("validate", str(_seed(tmp_path, _with_cues(noted)))).stderr
    # a note that does not name the tag does not count
    vague = noted.replace("Tagged subsidy because", "Because")
    assert "warning: instrument 'subsidy'" in cli("validate", str(_seed(tmp_path, _with_cues(vague)))).stderr


def test_warnings_are_printed_with_errors(cli, tmp_path):
    text = _with_cues(BARE)  # encouragement-x is no instrument: an error, and subsidy still warns
    result = cli("validate", str(_seed(tmp_path, text)))
    assert result.exit_code == 1
    assert "unknown instrument 'encouragement-x'" in result.stderr
    assert "warning: instrument 'subsidy'" in result.stderr


def test_records_before_vocabularies_are_checked_too(cli, tmp_path):
    text = _with_cues(BARE.replace("encouragement-x, ", ""))
    head, _, practices = text.partition("practices:\n")
    instruments_at = head.index("instruments:\n")
    blockages_at = head.index("blockages:\n")
    moved = head[:instruments_at] + "practices:\n" + practices + head[instruments_at:blockages_at] + head[blockages_at:]
    result = cli("validate", str(_seed(tmp_path, moved)))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("warning: instrument 'subsidy'") == 1


def test_real_seed_has_no_tag_warnings(cli):
    result = cli("validate", "--strict")
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr


def test_poc_funding_answers_only_records_that_name_money(kb):
    ids = result_ids(kb("query", "--mechanism", "poc-centre", "--instrument", "funding", "--format", "json"))
    assert ids, "some city funds proof-of-concept centres"
    money = re.compile(r"\d[\d.,\s]*[万亿]?\s*元|资金|经费|补贴|奖补|资助|基金")
    for rid in ids:
        rec = json.loads(kb("show", rid, "--format", "json").stdout)
        quotes = [e["quote"] for e in rec["evidence"]] + [e["quote"] for f in rec["figures"] for e in f["evidence"]]
        assert any(money.search(q) for q in quotes), rid
    assert "hangzhou-poc-support-measure" not in ids  # a bare 支持 under a package that names money


def test_see_also_shown_both_ways_and_query_notes_what_it_leaves_out(kb):
    show = json.loads(kb("show", "cannot-transfer", "--format", "json").stdout)
    linked = [t["id"] for t in show["see_also"]]
    assert "research-industry-disconnect" in linked
    back = json.loads(kb("show", "research-industry-disconnect", "--format", "json").stdout)
    assert "cannot-transfer" in [t["id"] for t in back["see_also"]]
    text = kb("show", "cannot-transfer").stdout
    assert "see also: research-industry-disconnect (科研导向与产业需求脱节)" in text
    result = kb("query", "--blockage", "不能转", "--format", "csv")
    assert result.exit_code == 0
    assert "kb: note: blockage cannot-transfer is related to (see also) research-industry-disconnect" in result.stderr
    assert "repeat --blockage to include them" in result.stderr
    assert "note:" not in result.stdout
    both = kb("query", "--blockage", "不能转", "--blockage", "research-industry-disconnect", "--format", "csv")
    note = next(line for line in both.stderr.splitlines() if "blockage cannot-transfer" in line)
    assert "research-industry-disconnect" not in note and "supply-demand-mismatch" in note
    listing = json.loads(kb("list", "blockages", "--format", "json").stdout)
    row = next(r for r in listing if r["id"] == "cannot-transfer")
    assert "supply-demand-mismatch" in row["see_also"]


def test_industrial_and_innovation_clusters_no_longer_leak(kb):
    industrial = result_ids(kb("query", "--mechanism", "industrial-cluster", "--format", "json"))
    innovation = result_ids(kb("query", "--mechanism", "innovation-cluster", "--format", "json"))
    assert industrial and innovation and not set(industrial) & set(innovation)
    assert result_ids(kb("query", "--mechanism", "产业集群", "--format", "json")) == industrial
    assert result_ids(kb("query", "--mechanism", "industrial cluster", "--format", "json")) == industrial
    unable = json.loads(kb("show", "cannot-transfer", "--format", "json").stdout)
    assert not any("unable" in a for a in unable["aliases"])
