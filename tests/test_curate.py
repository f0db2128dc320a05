"""kb verify-quotes and kb coverage on a small synthetic source set."""

from __future__ import annotations

import json

import pytest

SOURCE_A = """\
一、总则

第一段：科技成果转化是关键环节。这一段被引用。

第二段：这一段没有任何引文。

第三段的前半句在页末被截断，

后半句在下一页继续。

第四段：广告与页眉，不在范围内。

第五段：重复的话。重复的话。

第六段在页末，
¹ 张三：《某文》，2020
注脚之后的下半句。
"""

SOURCE_B = "唯一的段落，出自另一份文件。\n"

def practice(*evidence: tuple[str, str, str]) -> str:
    """The YAML of one practice whose evidence is (source, quote, locator) triples."""
    lines = ["practices:", "  - id: p", "    name_zh: 某", "    name_en: P", "    summary_en: P.", "    evidence:"]
    for source, quote, locator in evidence:
        lines += [f"      - source: {source}", f"        quote: {quote}", f"        locator: {locator}"]
    return "\n".join(lines) + "\n"


SEED_SOURCES = """\
meta:
  title: t
sources:
  - id: a
    file: a.txt
    type: report
    title: 甲
    title_en: A
  - id: a-part
    part_of: a
    type: article-journal
    title: 甲之一
    title_en: A, part one
  - id: b
    file: b.txt
    type: report
    title: 乙
    title_en: B
"""
SEED = SEED_SOURCES + practice(
    ("a-part", "科技成果转化是关键环节。", "一、总则"),
    ("a", "重复的话。", "一、总则"),
    ("a", "唯一的段落", "一、总则"),
    ("a", "第三段的前半句在页末被截断，后半句在下一页继续。", "一、总则"),
    ("a", "第六段在页末，注脚之后的下半句。", "一、总则"),
)


def seed_line(text: str) -> int:
    return next(i for i, line in enumerate(SEED.splitlines(), 1) if text in line)

EXCLUSIONS = """\
exclusions:
  - file: a.txt
    from: 第四段：广告与页眉
    reason: Boilerplate.
"""


@pytest.fixture
def corpus(tmp_path):
    src = tmp_path / "sources"
    src.mkdir()
    (src / "a.txt").write_text(SOURCE_A, encoding="utf-8")
    (src / "b.txt").write_text(SOURCE_B, encoding="utf-8")
    seed = tmp_path / "seed.yaml"
    seed.write_text(SEED, encoding="utf-8")
    excl = tmp_path / "excl.yaml"
    excl.write_text(EXCLUSIONS, encoding="utf-8")
    return src, seed, excl


def test_verify_quotes_reports_each_miss_with_position(cli, corpus):
    src, seed, _ = corpus
    result = cli("verify-quotes", "--sources", str(src), "--seed", str(seed))
    assert result.exit_code == 1
    err = result.stderr
    assert "3/5 quotes found" in err
    assert f"{seed}:{seed_line('唯一的段落')}:16: not in a.txt (the file of 'a') but in b.txt" in err
    assert "practices[0].evidence[2]" in err
    assert f"{seed}:{seed_line('第六段在页末')}:16: runs across the footnote at line 16 of a.txt" in err
    assert "practices[0].evidence[4]" in err
    assert result.stdout == ""


def test_verify_quotes_folds_whitespace_and_width(cli, tmp_path):
    src = tmp_path / "s"
    src.mkdir()
    (src / "a.txt").write_text("全角，逗号与ＡＢＣ\n换行\n之后。\n", encoding="utf-8")
    seed = tmp_path / "seed.yaml"
    seed.write_text(SEED_SOURCES.replace("    file: b.txt", "    file: a.txt")
                    + practice(("a", "全角,逗号与ABC 换行之后。", "x")), encoding="utf-8")
    result = cli("verify-quotes", "--sources", str(src), "--seed", str(seed))
    assert result.exit_code == 0, result.stderr
    assert "1/1 quotes found" in result.stderr


def test_coverage_counts_cited_uncited_excluded(cli, corpus):
    src, seed, excl = corpus
    result = cli("coverage", "--sources", str(src), "--seed", str(seed), "--exclusions", str(excl), "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    a = next(s for s in data["sources"] if s["source"] == "a.txt")
    # paragraphs: heading, 1st, 2nd, 3rd-a, 3rd-b, 4th, 5th, 6th-a, footnote, 6th-b
    assert a["paragraphs"] == 10
    assert a["by_locator"] == 1  # 一、总则 is repeated in a locator
    assert a["excluded"] == 1
    assert a["by_quote"] == 3  # the 1st paragraph and both halves of the 3rd (a quote across the page break)
    uncited = {p["text"] for p in a["uncited_paragraphs"]}
    assert "第二段：这一段没有任何引文。" in uncited
    assert "第五段：重复的话。重复的话。" in uncited, "an ambiguous quote covers nothing"
    assert "第六段在页末，" in uncited, "a quote across a footnote covers nothing"
    assert a["ambiguous_quotes"] == ["重复的话。"]
    b = next(s for s in data["sources"] if s["source"] == "b.txt")
    assert b["share"] == 0.0
    assert data["overall"]["paragraphs"] == 11


def test_coverage_min_fails_below_target_and_lists_uncited(cli, corpus):
    src, seed, excl = corpus
    result = cli("coverage", "--sources", str(src), "--seed", str(seed), "--exclusions", str(excl), "--min", "100")
    assert result.exit_code == 1
    assert "below 100% coverage: a.txt, b.txt" in result.stderr
    assert "uncited: a.txt:5: 第二段：这一段没有任何引文。" in result.stderr
    assert "a.txt" in result.stdout


def test_exclusions_must_name_a_paragraph_and_give_a_reason(cli, corpus, tmp_path):
    src, seed, _ = corpus
    bad = tmp_path / "bad.yaml"
    bad.write_text("exclusions:\n  - file: a.txt\n    from: 不存在的文字\n    reason: x\n"
                   "  - file: a.txt\n    from: 第二段\n", encoding="utf-8")
    result = cli("coverage", "--sources", str(src), "--seed", str(seed), "--exclusions", str(bad))
    assert result.exit_code == 1
    assert f"{bad}:5:5: needs a non-empty 'reason'" in result.stderr


def test_exclusion_snippet_not_found(cli, corpus, tmp_path):
    src, seed, _ = corpus
    bad = tmp_path / "bad.yaml"
    bad.write_text("exclusions:\n  - file: a.txt\n    from: 不存在的文字\n    reason: x\n", encoding="utf-8")
    result = cli("coverage", "--sources", str(src), "--seed", str(seed), "--exclusions", str(bad))
    assert result.exit_code == 1
    assert "'from' text '不存在的文字' is in no paragraph" in result.stderr


def test_real_seed_covers_every_source(cli, sources_dir):
    sources = sources_dir
    result = cli("coverage", "--sources", str(sources), "--min", "100", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["overall"]["share"] == 100.0
    assert json.loads(result.stdout)["figures_elsewhere"] == []
    quotes = cli("verify-quotes", "--sources", str(sources))
    assert quotes.exit_code == 0, quotes.stderr


def test_sentence_coverage_splits_joins_page_breaks_and_lists_uncited(cli, corpus):
    src, seed, excl = corpus
    result = cli("coverage", "--by", "sentence", "--sources", str(src), "--seed", str(seed), "--exclusions",
                 str(excl), "-f", "json")
    assert result.exit_code == 0, result.stderr
    a = next(s for s in json.loads(result.stdout)["sources"] if s["source"] == "a.txt")
    uncited = {s["text"] for s in a["uncited_sentences"]}
    # the paragraph with a quote is covered, but its second sentence is not cited
    assert "这一段被引用。" in uncited
    assert "第一段：科技成果转化是关键环节。" not in uncited
    # one sentence cut by a page break, cited by one quote across the break
    assert not any("后半句" in t for t in uncited)
    # one sentence cut by a footnote: the quote that runs across the footnote cites nothing
    assert "第六段在页末，注脚之后的下半句。" in uncited
    assert a["by_locator"] == 1 and a["excluded"] == 1
    assert a["in_scope"] == a["sentences"] - a["excluded"]
    assert a["share"] == round(100 * (a["by_quote"] + a["by_locator"]) / a["in_scope"], 1)


def test_sentence_cut_by_a_footnote_is_cited_by_two_quotes(cli, corpus):
    src, seed, excl = corpus
    seed.write_text(SEED.replace("第六段在页末，注脚之后的下半句。", "第六段在页末，")
                    + "      - source: a\n        quote: 注脚之后的下半句。\n        locator: 一、总则\n", encoding="utf-8")
    result = cli("coverage", "--by", "sentence", "--sources", str(src), "--seed", str(seed), "--exclusions",
                 str(excl), "-f", "json")
    a = next(s for s in json.loads(result.stdout)["sources"] if s["source"] == "a.txt")
    assert not any("第六段" in s["text"] for s in a["uncited_sentences"])


def test_sentence_exclusions_and_min(cli, corpus, tmp_path):
    src, seed, _ = corpus
    more = tmp_path / "more.yaml"
    more.write_text(EXCLUSIONS + "  - file: a.txt\n    sentence: 这一段被引用\n    reason: Rhetoric.\n"
                    "  - file: a.txt\n    sentence: 第二段\n    reason: Says nothing.\n", encoding="utf-8")
    args = ("coverage", "--by", "sentence", "--sources", str(src), "--seed", str(seed), "--exclusions", str(more))
    data = json.loads(cli(*args, "-f", "json").stdout)
    a = next(s for s in data["sources"] if s["source"] == "a.txt")
    assert a["excluded"] == 3
    assert "这一段被引用。" not in {s["text"] for s in a["uncited_sentences"]}
    # a paragraph whose every sentence is excluded is out of scope for paragraph coverage too
    para = json.loads(cli("coverage", "--sources", str(src), "--seed", str(seed), "--exclusions", str(more),
                          "-f", "json").stdout)
    pa = next(s for s in para["sources"] if s["source"] == "a.txt")
    assert "第二段：这一段没有任何引文。" not in {p["text"] for p in pa["uncited_paragraphs"]}
    table = cli(*args, "--min", "95")
    assert table.exit_code == 1
    assert "below 95% sentence coverage: a.txt, b.txt" in table.stderr
    assert "uncited: a.txt:15: 第六段在页末，注脚之后的下半句。" in table.stderr
    assert "in-scope sentences cited" in table.stderr


def test_sentence_exclusion_must_name_one_sentence(cli, corpus, tmp_path):
    src, seed, _ = corpus
    bad = tmp_path / "bad.yaml"
    bad.write_text("exclusions:\n  - file: a.txt\n    sentence: 重复的话\n    reason: x\n"
                   "  - file: a.txt\n    sentence: 第二段\n    from: 第二段\n    reason: x\n", encoding="utf-8")
    result = cli("coverage", "--by", "sentence", "--sources", str(src), "--seed", str(seed), "--exclusions", str(bad))
    assert result.exit_code == 1
    assert "'sentence' text '重复的话' is in 2 sentences (lines 13, 13); make it longer" in result.stderr
    assert f"{bad}:6:5: give either 'from' (paragraphs) or 'sentence' (sentences), not both" in result.stderr
    assert "Traceback" not in result.stderr



def test_real_seed_cites_95_percent_of_each_source_by_sentence(cli, sources_dir):
    result = cli("coverage", "--by", "sentence", "--sources", str(sources_dir), "--min", "95", "-f", "json")
    assert result.exit_code == 0, result.stderr


def test_speaker_tail_joins_the_quoted_sentence_and_headings_stay_apart(cli, tmp_path):
    src = tmp_path / "s"
    src.mkdir()
    (src / "a.txt").write_text(
        "一、标题不带句号\n\n“我们建成了平台。”张三表示。他还说，明年扩建，\n\n下一页接着说完。\n\n"
        "二、下一节\n\n1、小标题，带逗号\n\n正文。\n", encoding="utf-8")
    seed = tmp_path / "seed.yaml"
    seed.write_text(SEED_SOURCES.replace("    file: b.txt", "    file: a.txt") + practice(
        ("a", "我们建成了平台。", "一、标题不带句号")), encoding="utf-8")
    excl = tmp_path / "none.yaml"
    excl.write_text("exclusions: []\n", encoding="utf-8")
    result = cli("coverage", "--by", "sentence", "--sources", str(src), "--seed", str(seed), "--exclusions", str(excl),
                 "-f", "json")
    a = next(s for s in json.loads(result.stdout)["sources"] if s["source"] == "a.txt")
    texts = [s["text"] for s in a["uncited_sentences"]]
    assert "张三表示。" not in texts, "the speaker is part of the quoted sentence, which the quote cites"
    assert "他还说，明年扩建，下一页接着说完。" in texts, "a sentence cut by a page break is joined"
    assert "1、小标题，带逗号" in texts and "正文。" in texts, "a numbered heading is not joined to the text after it"
    assert a["by_locator"] == 1  # 一、标题不带句号, repeated in the locator


# ---------------------------------------------------------------- figures a second source prints

FIG_A = "一、试点\n\n全省选择了 40 家单位开展赋权改革试点，成效显著。\n\n另有 40 家企业参加展会。\n"
FIG_B = "据统计，40家单位开展赋权改革试点，进展顺利。\n\n会上还有40家企业签约。\n"
FIG_SEED = SEED_SOURCES + """\
practices:
  - id: empower
    name_zh: 赋权改革试点
    name_en: Empowerment pilot
    summary_en: A pilot.
    figures:
      - metric: pilot-units
        value: 40
        unit: institution
        original: 40 家单位
        evidence:
          - source: a
            quote: 全省选择了 40 家单位开展赋权改革试点
            locator: 一、试点
    evidence:
      - source: a
        quote: 全省选择了 40 家单位开展赋权改革试点，成效显著。
        locator: 一、试点
      - source: a
        quote: 另有 40 家企业参加展会。
        locator: 一、试点
      - source: b
        quote: 据统计，40家单位开展赋权改革试点，进展顺利。
        locator: 一
      - source: b
        quote: 会上还有40家企业签约。
        locator: 一
"""


@pytest.fixture
def figure_corpus(tmp_path):
    src = tmp_path / "fig-sources"
    src.mkdir()
    (src / "a.txt").write_text(FIG_A, encoding="utf-8")
    (src / "b.txt").write_text(FIG_B, encoding="utf-8")
    seed = tmp_path / "fig-seed.yaml"
    seed.write_text(FIG_SEED, encoding="utf-8")
    excl = tmp_path / "fig-excl.yaml"
    excl.write_text("exclusions: []\n", encoding="utf-8")
    return src, seed, excl


def test_a_figure_a_second_source_prints_uncited_fails_coverage_located(cli, figure_corpus):
    src, seed, excl = figure_corpus
    args = ("coverage", "--sources", str(src), "--seed", str(seed), "--exclusions", str(excl))
    for by in ("paragraph", "sentence"):
        result = cli(*args, "--by", by, "--min", "100")
        assert result.exit_code == 1 and "Traceback" not in result.stderr
        line = next(i for i, t in enumerate(FIG_SEED.splitlines(), 1) if "original: 40 家单位" in t)
        assert f"{seed}:{line}:19: figure empower#pilot-units (40 家单位) is printed by b.txt:1 too " \
               "(…据统计,40家单位开展赋权改…)" in result.stderr
        assert "which its evidence does not cite: add that quote to the figure's evidence" in result.stderr
        assert "(at practices[0].figures[0].original)" in result.stderr
        assert "1 figure(s) printed by a second source that their evidence does not cite" in result.stderr
    doc = json.loads(cli(*args, "-f", "json").stdout)
    assert [(f["figure"], f["file"], f["line"]) for f in doc["figures_elsewhere"]] == [("empower#pilot-units", "b.txt", 1)]
    # cited from both sources: the agreement is visible, and coverage passes
    both = FIG_SEED.replace("""            locator: 一、试点
    evidence:""", """            locator: 一、试点
          - source: b
            quote: 40家单位开展赋权改革试点
            locator: 一
    evidence:""")
    seed.write_text(both, encoding="utf-8")
    assert cli(*args, "--min", "100").exit_code == 0


def test_distinct_figures_silence_another_number_and_are_checked(cli, figure_corpus):
    src, seed, excl = figure_corpus
    args = ("coverage", "--sources", str(src), "--seed", str(seed), "--exclusions", str(excl))
    excl.write_text("exclusions: []\ndistinct_figures:\n  - figure: empower#pilot-units\n    file: b.txt\n"
                    "    reason: Another count (a test).\n", encoding="utf-8")
    assert cli(*args, "--min", "100").exit_code == 0
    excl.write_text("distinct_figures:\n  - figure: empower#no-such-metric\n    file: b.txt\n    reason: x\n"
                    "  - figure: empower#pilot-units\n    file: c.txt\n    reason: x\n"
                    "  - figure: empower#pilot-units\n    file: a.txt\n    reason: x\n"
                    "  - figure: empower#pilot-units\n    file: b.txt\n", encoding="utf-8")
    result = cli(*args)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "needs a non-empty 'reason'" in result.stderr
    bad = cli(*args).stderr
    excl.write_text("distinct_figures:\n  - figure: empower#no-such-metric\n    file: b.txt\n    reason: x\n"
                    "  - figure: empower#pilot-units\n    file: c.txt\n    reason: x\n", encoding="utf-8")
    bad = cli(*args).stderr
    assert f"{excl}:2:5: no figure 'empower#no-such-metric' in the seed (OWNER#METRIC) (at distinct_figures[0].figure)" in bad
    assert "no source file 'c.txt' (at distinct_figures[1].file)" in bad
    excl.write_text("distinct_figures:\n  - figure: empower#pilot-units\n    file: b.txt\n    reason: x\n"
                    "  - figure: empower#pilot-units\n    file: a.txt\n    reason: cited there already\n",
                    encoding="utf-8")
    stale = cli(*args).stderr
    assert "a.txt no longer prints a number like figure 'empower#pilot-units': remove this entry" in stale


def test_the_check_finds_each_agreement_the_real_seed_cites(sources_dir, tmp_path):
    """Recall on the real seed: every figure cited from two documents is found again when one of them
    is left out, and nothing else is (the seed cites every agreement it holds)."""
    import yaml
    from conftest import ROOT
    from conftest import SEED as REAL_SEED

    from kbcli.curate.figures import check

    data = yaml.safe_load(REAL_SEED.read_text(encoding="utf-8"))
    roots = {s["id"]: s.get("part_of") or s["id"] for s in data["sources"]}
    pairs = []
    for section in ("laws", "pilots", "models", "practices"):
        for rec in data[section]:
            for fig in rec.get("figures", []):
                docs = list(dict.fromkeys(roots[e["source"]] for e in fig["evidence"]))
                if len(docs) > 1:
                    fig["evidence"] = [e for e in fig["evidence"] if roots[e["source"]] != docs[-1]]
                    pairs.append(f"{rec['id']}#{fig['metric']}")
    assert len(pairs) >= 6
    seed = tmp_path / "seed.yaml"
    seed.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    found = check(seed, sources_dir, ROOT / "data" / "coverage-exclusions.yaml")
    assert sorted(f.figure.handle for f in found) == sorted(pairs)
    assert {"doc-empowerment-scheme#issuing-departments", "pilot-empowerment#pilot-units",
            "shaanxi-three-reforms#companies-founded"} <= set(pairs)
