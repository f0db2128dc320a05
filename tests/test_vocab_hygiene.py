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

from conftest import GOOD, ROOT, SEED, result_ids

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


# ---------------------------------------------------------------- one meaning per word (issue 19)

SHARED_TERMS = """\
  - id: procure
    name_zh: 政府采购
    name_en: Public procurement
    aliases: [首购, 采购]
"""
SHARED_MECH = """\
  - id: first-buy
    name_zh: 首台套与首购
    name_en: First purchase
    aliases: [首购, first purchase]
"""
SHARED_RECORDS = """\
  - id: xian-first-buy
    name_zh: 西安首台套
    name_en: Xi'an first units
    summary_en: First units.
    regions: [xian]
    mechanisms: [first-buy]
    evidence:
      - source: src
        quote: 西安首台套
        locator: 三
  - id: xian-procure
    name_zh: 西安采购
    name_en: Xi'an procurement
    summary_en: Procurement.
    regions: [xian]
    instruments: [procure]
    evidence:
      - source: src
        quote: 西安政府采购
        locator: 四
"""
DECLARED = """\
  shared_names:
    - name: 首购
      terms: [first-buy, procure]
      reason: First purchase is a mechanism and a form of procurement.
"""


def _shared_seed(declare: str = "") -> str:
    text = GOOD.read_text(encoding="utf-8")
    text = text.replace("meta:\n  title: test seed\n", "meta:\n  title: test seed\n" + declare)
    text = text.replace("instruments:\n", "instruments:\n" + SHARED_TERMS, 1)
    text = text.replace("mechanisms:\n", "mechanisms:\n" + SHARED_MECH, 1)
    return text + SHARED_RECORDS


def _line_of(text: str, needle: str, nth: int = 1) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return lines[nth - 1]


def test_a_name_shared_across_vocabularies_is_an_error_located_unless_declared(cli, tmp_path):
    text = _shared_seed()
    path = _seed(tmp_path, text)
    result = cli("validate", str(path))
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    line = _line_of(text, "aliases: [首购, 采购]")
    assert f"{path}:{line}:15: alias '首购' also names mechanism 'first-buy' (as '首购'); terms of different " \
           "vocabularies may share a name only where meta.shared_names declares it" in result.stderr
    assert "(at instruments[0].aliases[0])" in result.stderr
    # every such name at once, each located: an id shared with another vocabulary's alias too
    text2 = text.replace("aliases: [首购, first purchase]", "aliases: [首购, first purchase, procure]")
    both = cli("validate", str(_seed(tmp_path, text2)))
    assert both.stderr.count("terms of different vocabularies may share a name") == 2
    assert "id 'procure' also names mechanism 'first-buy' (as 'procure')" in both.stderr
    declared = cli("validate", str(_seed(tmp_path, _shared_seed(DECLARED))), "--strict")
    assert declared.exit_code == 0, declared.stderr


def test_a_declaration_must_match_the_terms_that_hold_the_name(cli, tmp_path):
    bad = DECLARED.replace("[first-buy, procure]", "[first-buy, procure, subsidy, poc-x]") + \
        "    - name: 首购\n      terms: [first-buy, procure]\n      reason: again\n" + \
        "    - name: 补贴\n      terms: [subsidy, funding]\n      reason: one vocabulary\n"
    text = _shared_seed(bad)
    result = cli("validate", str(_seed(tmp_path, text)))
    assert result.exit_code == 1
    err = result.stderr
    assert "instrument 'subsidy' has no name or alias '首购': list only the terms it names " \
           "(at meta.shared_names[0].terms[2])" in err
    assert "unknown term 'poc-x'; did you mean 'poc'? (at meta.shared_names[0].terms[3])" in err
    assert "'首购' is declared again (first at shared_names[0]) (at meta.shared_names[1].name)" in err
    assert "'补贴' is declared shared by terms of one vocabulary" in err
    assert f":{_line_of(text, 'terms: [first-buy, procure, subsidy, poc-x]')}:" in err
    # a name held by a term the declaration leaves out
    partial = _shared_seed(DECLARED.replace("[first-buy, procure]", "[first-buy, poc]"))
    out = cli("validate", str(_seed(tmp_path, partial))).stderr
    assert "meta.shared_names[0] declares '首购' for first-buy, poc, not 'procure'" in out
    assert "mechanism 'poc' has no name or alias '首购'" in out


def test_a_declared_shared_name_means_every_term_it_names(cli, tmp_path):
    path = _seed(tmp_path, _shared_seed(DECLARED))
    both = {"xian-first-buy", "xian-procure"}
    for option in ("--mechanism", "--instrument"):
        found = result_ids(cli("query", option, "首购", "--seed", str(path), "--format", "json"))
        assert set(found) == both, option
    assert set(result_ids(cli("search", "首购", "--seed", str(path), "--format", "json"))) >= both
    asked = cli("ask", "首购", "--seed", str(path), "--format", "json")
    assert asked.exit_code == 0, asked.stderr
    doc = json.loads(asked.stdout)
    assert {r["id"] for r in doc["records"]} == both
    assert doc["interpretation"]["command"] == "kb query --mechanism '首购'"
    assert {(d["as"], d["id"]) for d in doc["interpretation"]["recognised"]} == \
        {("mechanism", "first-buy"), ("instrument", "procure")}
    # an id is still the term alone, and a name of one vocabulary is not read in another
    assert result_ids(cli("query", "--mechanism", "first-buy", "--seed", str(path), "--format", "json")) == \
        ["xian-first-buy"]
    wrong = cli("query", "--mechanism", "采购", "--seed", str(path))
    assert wrong.exit_code == 2 and "unknown mechanism" in wrong.stderr


def test_the_real_seed_shares_only_declared_names(cli):
    import yaml

    from kbcli.text import loose

    seed = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    held: dict[str, set[tuple[str, str]]] = {}
    for vocab in ("regions", "mechanisms", "instruments", "blockages"):
        for t in seed[vocab]:
            for name in (t["id"], t["name_zh"], t["name_en"], *t.get("aliases", [])):
                held.setdefault(loose(name), set()).add((vocab, t["id"]))
    shared = {k: v for k, v in held.items() if len({vocab for vocab, _ in v}) > 1}
    declared = {loose(d["name"]): set(d["terms"]) for d in seed["meta"]["shared_names"]}
    assert {k: {t for _, t in v} for k, v in shared.items()} == declared
    assert declared == {loose("首购"): {"first-purchase", "procurement"}}


# ---------------------------------------------------------------- the vocabulary review


REVIEW = ROOT / "data" / "vocab-review.yaml"


def test_every_term_is_reviewed_in_both_languages_as_it_stands():
    from kbcli.curate.review import problems, reviewed_terms, seed_terms

    found = problems(SEED, REVIEW)
    assert not found, "\n".join(found)
    entries = reviewed_terms(REVIEW)
    assert len(entries) == len(seed_terms(SEED)) >= 190
    assert all(len(e.gloss) >= 8 for e in entries)


def test_the_review_fails_on_a_new_renamed_or_removed_term(tmp_path):
    from kbcli.curate.review import main, problems

    text = SEED.read_text(encoding="utf-8")
    text = text.replace("    name_en: Talent training\n", "    name_en: Training of transfer and engineering talent\n", 1)
    text = text.replace("aliases: [risk sharing, 风险分担, 担保]", "aliases: [risk sharing, 风险分担, 担保, 融资担保]", 1)
    text = text.replace("blockages:\n", "  - id: new-instrument\n    name_zh: 新工具\n    name_en: New tool\n\nblockages:\n", 1)
    text = text.replace("  - id: fi\n    name_zh: 芬兰\n    name_en: Finland\n    level: country\n    parent: world\n\n", "", 1)
    seed = tmp_path / "seed.yaml"
    seed.write_text(text, encoding="utf-8")
    found = problems(seed, REVIEW)
    joined = "\n".join(found)
    assert len(found) == 4, joined
    assert "mechanism 'talent-training' changed since its review (name_en was \"Talent training\")" in joined
    assert "instrument 'guarantee' changed since its review (aliases was " in joined
    assert f"{seed}:" in joined and "instrument 'new-instrument' is not reviewed" in joined
    assert '  - id: new-instrument\n    vocab: instruments\n    name_zh: "新工具"' in joined
    assert "'fi' is no term of the seed: remove its entry" in joined
    assert main([str(seed), str(REVIEW)]) == 1
    todo = tmp_path / "review.yaml"
    todo.write_text(REVIEW.read_text(encoding="utf-8").replace(
        'gloss: "Finland (芬兰)."', 'gloss: "TODO: what the names mean, in one line"'), encoding="utf-8")
    assert any("'fi' has no gloss" in p for p in problems(SEED, todo))


# ---------------------------------------------------------------- the words issue 19 names, in the real seed


def _read(kb, question: str) -> list[tuple[str, str]]:
    doc = json.loads(kb("ask", question, "--format", "json").stdout)
    return [(d["as"], d["id"]) for d in doc["interpretation"]["recognised"] if "id" in d]


def _tags(kb, rid: str) -> dict[str, list[str]]:
    rec = json.loads(kb("show", rid, "--format", "json").stdout)
    return {f: [t["id"] for t in rec[f]] for f in ("regions", "mechanisms", "instruments", "addresses")}


def test_each_word_reaches_the_term_it_means(kb):
    assert _read(kb, "担保") == [("instrument", "guarantee")]
    assert _read(kb, "guarantee") == [("instrument", "guarantee")]
    assert _read(kb, "首购") == [("mechanism", "first-purchase"), ("instrument", "procurement")]
    assert _read(kb, "政府订购") == [("instrument", "procurement")]
    assert _read(kb, "培训") == [("instrument", "training")]
    assert _read(kb, "专班") == [("mechanism", "task-force")]
    assert _read(kb, "ownership") == [("mechanism", "ownership-empowerment")]
    assert _read(kb, "科技保险") == [("mechanism", "tech-insurance")]
    assert _read(kb, "创新中心") == [("mechanism", "innovation-centre")]
    assert _read(kb, "开放许可") == [("mechanism", "open-licensing")]
    assert _read(kb, "融资难") == []  # generic: a search, not one blockage
    assert _read(kb, "科技服务") == [("mechanism", "sci-tech-services")]
    assert _read(kb, "人才培养") == [("mechanism", "talent-training")]
    assert _read(kb, "卓越工程师") == [("mechanism", "engineering-talent")]
    first = result_ids(kb("query", "--mechanism", "首购", "-f", "json"))
    assert "achie-procurement-indigenous-products" in first and "xuchang-first-unit-application" in first
    guarantee = result_ids(kb("query", "--instrument", "担保", "-f", "json"))
    assert "shanghai-sme-financing-support" in guarantee and "model-de-gov-bank-enterprise" not in guarantee


def test_talent_training_means_the_same_in_both_languages(kb):
    term = json.loads(kb("show", "talent-training", "--format", "json").stdout)
    assert (term["name_zh"], term["name_en"]) == ("人才培养", "Talent training")
    narrower = {t["id"] for t in json.loads(kb("list", "mechanisms", "--format", "json").stdout)
                if t.get("parent") == "talent-training"}
    assert narrower == {"transfer-talent-training", "engineering-talent"}


def test_the_tags_the_audit_questioned(kb):
    assert "equity-investment" not in _tags(kb, "model-self-transfer")["mechanisms"]
    centre = _tags(kb, "dianzicheng-ic-pic-innovation-centre")["mechanisms"]
    assert "common-tech-platform" not in centre and "innovation-centre" in centre
    assert "science-park" not in _tags(kb, "qinchuangyuan-nev-commercial-vehicle-centre")["mechanisms"]
    assert "ip-finance" not in _tags(kb, "achie-sci-tech-insurance")["mechanisms"]
    assert "enterprise-led-innovation" in _tags(kb, "cn-enterprise-innovation-role")["mechanisms"]
    funded = result_ids(kb("query", "--instrument", "funding", "--region", "shaanxi", "-f", "json"))
    assert {"xixian-qinchuangyuan-window-fund", "qinchuangyuan-series-funds"} <= set(funded)
    duplicate = json.loads(kb("show", "cn-institute-restructuring", "--format", "json").stdout)
    assert "cn-development-institute-conversion" in {r["id"] for r in duplicate["relations"]}


def test_the_two_separate_management_pilots_claim_only_their_own_sources(kb):
    forum = json.loads(kb("show", "pilot-job-results-management", "--format", "json").stdout)
    news = json.loads(kb("show", "pilot-job-results-separate-management", "--format", "json").stdout)
    assert {e["source"] for e in forum["evidence"]} == {"zgc-transfer-progress"}
    assert {e["source"] for e in news["evidence"]} == {"news-2024-11-14"}
    assert "单列管理试点" not in forum["short_names"] and "separate-management" not in \
        [t["id"] for t in forum["mechanisms"]]
    assert [t["id"] for t in news["mechanisms"]] == ["separate-management"]


def test_the_nine_departments_are_cited_from_both_sources(kb):
    rows = json.loads(kb("figures", "--compare", "--format", "json").stdout)
    row = next(r for r in rows if r["owner"] == "doc-empowerment-scheme" and r["metric"] == "issuing-departments")
    assert row["status"] == "corroborated"
    assert set(row["figures"][0]["reported_by"]) == {"qinchuangyuan-brief-2023-01", "zgc-transfer-progress"}
