"""kb cite: every style, deduplicated bibliographies, pull quotes, restricted sources."""

from __future__ import annotations

import json
import re

import pytest

STYLES = ["gbt7714", "apa", "bibtex", "csl-json", "ris", "markdown"]


@pytest.mark.parametrize("style", STYLES)
def test_every_style_for_record_source_figure_law_and_article(kb, style):
    for ident in ("hefei-poc-centre-award", "news-2024-11-14", "hefei-poc-centre-award#award-cap",
                  "hefei-poc-centre-award#2", "law-sttl", "law-sttl#art14", "zgc-transfer-progress"):
        result = kb("cite", ident, "--style", style)
        assert result.exit_code == 0, (ident, result.stderr)
        assert result.stdout.strip(), ident


def test_gbt7714_entries(kb):
    out = kb("cite", "news-2024-11-14", "qinchuangyuan-brief-2023-01", "achie-2025-02-17", "law-sttl").stdout
    assert out.splitlines() == [
        "[1] 周世祥. 推动精准对接 助力成果转化[N]. 2024-11-14.",
        "[2] 秦创原战略研究院. 秦创原战略研究院工作简报: 2023年第1期（总第1期）[R]. 秦创原战略研究院, 2023.",
        "    NOT FOR CITATION — marked by the source: 内部研究资料 请勿引用外传",
        "[3] 科技創新與產業創新深度融合:模式、堵點與突破[EB/OL]. 高新院, 2025.",
        # a law alone: no sources behind it; no author, since the sources name no issuing body but 国家 (the state)
        "[4] 中华人民共和国促进科技成果转化法（2015年修订）[A]. 2015.",
    ]
    with_quotes = kb("cite", "law-sttl", "--quote").stdout
    assert "[3] 打通科技成果转化“最后一公里”[J]. 许昌竞争情报快递." in with_quotes, "--quote brings the sources quoted"


def test_a_law_cites_its_current_version_and_an_article_the_version_it_is_numbered_in(kb):
    law = kb("cite", "law-sttl").stdout
    assert "[1] 中华人民共和国促进科技成果转化法（2015年修订）[A]. 2015." in law
    art = kb("cite", "law-sttl#art14").stdout
    assert art.startswith("In text: 《中华人民共和国促进科技成果转化法》（1996年）第十四条[1]\n")
    assert "[1] 中华人民共和国促进科技成果转化法[A]. 1996." in art
    assert "第十四条" not in art.split("\n", 2)[2].split("[2]")[0], "the article stays out of the bracket entry"
    items = kb("cite", "law-sttl#art17", "--style", "csl-json").stdout
    assert json.loads(items)[0]["id"] == "law-sttl:1996"
    assert "第十七条（一）（二）（四）" in kb("cite", "law-sttl#art17").stdout


def test_several_ids_give_one_bibliography_without_duplicates(kb):
    out = kb("cite", "hefei-poc-centre-award", "hefei-pilot-bases", "hangzhou-poc-centres").stdout
    entries = [l for l in out.splitlines() if re.match(r"^\[\d+\] ", l)]
    assert len(entries) == 1 and entries[0].startswith("[1] 秦创原战略研究院.")
    mixed = kb("cite", "zgc-transfer-progress", "news-2024-11-14", "zgc-transfer-progress").stdout
    assert [l[:4] for l in mixed.splitlines()] == ["[1] ", "[2] "]


def test_apa_orders_by_author_and_tells_apart_same_author_and_year(kb):
    out = kb("cite", "zgc-qxwq-platform", "news-2024-11-14", "zgc-transfer-progress", "--style", "apa").stdout
    assert out.splitlines() == [
        "周世祥. (2024, November 14). 推动精准对接 助力成果转化.",
        "张伟. (n.d.-a). “千校万企”协同创新平台发布.",
        "张伟. (n.d.-b). 科技成果转化工作取得全面进展.",
    ]


def test_quote_adds_verbatim_quotes_and_locators(kb):
    out = kb("cite", "hefei-poc-centre-award#award-cap", "--quote").stdout
    assert "给予最高 100 万元奖补。” (四、（五）合肥 > 2、成立科技成果概念验证中心，最高奖补百万元)" in out
    md = kb("cite", "pilot-empowerment", "--style", "markdown").stdout
    assert md.startswith("> ") and "\n>\n> — [" in md
    apa_md = kb("cite", "news-2024-11-14", "--style", "markdown", "--ref-style", "apa").stdout
    assert "*推动精准对接 助力成果转化*" in apa_md


RESTRICTED_IDS = (("qinchuangyuan-brief-2023-01",), ("hefei-poc-centre-award",), ("law-sttl#art9", "--quote"))


def test_restricted_source_warns_every_time_and_strict_fails(kb):
    for ident in RESTRICTED_IDS:
        for style in ("gbt7714", "bibtex"):
            result = kb("cite", *ident, "--style", style)
            assert result.exit_code == 0
            assert "qinchuangyuan-brief-2023-01 asks not to be cited: 内部研究资料 请勿引用外传" in result.stderr
        strict = kb("cite", *ident, "--strict")
        assert strict.exit_code == 1 and strict.stdout == ""
        assert "--strict" in strict.stderr
    law = kb("cite", "law-sttl#art9", "--strict")  # the law alone rests on no restricted source
    assert law.exit_code == 0 and law.stdout.startswith("In text: ")
    free = kb("cite", "news-2024-11-14", "--strict")
    assert free.exit_code == 0 and "asks not to be cited" not in free.stderr


def test_brackets_survive_pipes_and_files(kb, tmp_path):
    target = tmp_path / "refs.txt"
    assert kb("cite", "achie-2025-02-17", "--output", str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8") == "[1] 科技創新與產業創新深度融合:模式、堵點與突破[EB/OL]. 高新院, 2025.\n"


def test_unknown_ids(kb):
    assert kb("cite", "no-such-thing").exit_code == 2
    bad_fig = kb("cite", "hefei-poc-centre-award#99")
    assert bad_fig.exit_code == 2 and "award-cap" in bad_fig.stderr
    bad_art = kb("cite", "law-sttl#art99")
    assert bad_art.exit_code == 2 and "articles: 2, 9" in bad_art.stderr
    assert kb("cite", "hefei-poc-centre-award", "--accessed", "2026-02-30").exit_code == 2


def test_ris_records(kb):
    out = kb("cite", "news-2024-11-14", "law-sttl", "--style", "ris").stdout
    assert "TY  - NEWS\nID  - news-2024-11-14\nAU  - 周世祥\nA2  - 李昉" in out
    assert "TY  - STAT" in out
    assert out.count("ER  - ") == 2  # the news report and the law (its sources come with --quote)
    quoted = kb("cite", "news-2024-11-14", "law-sttl", "--style", "ris", "--quote").stdout
    assert quoted.count("ER  - ") == 4  # and the two sources behind the law's quotes


RESTRICTION = "NOT FOR CITATION — marked by the source: 内部研究资料 请勿引用外传"


def test_no_punctuation_moved_inside_chinese_quotation_marks(kb):
    from kbcli.cite.styles import _end

    out = kb("cite", "xuchang-last-mile", "--style", "apa").stdout
    assert out == "打通科技成果转化“最后一公里”. (n.d.). 许昌竞争情报快递.\n"
    assert _end("打通科技成果转化“最后一公里”") == "打通科技成果转化“最后一公里”."
    assert _end("平台‘千校万企’", ",") == "平台‘千校万企’,"
    assert _end("Clearing the “last mile”") == "Clearing the “last mile.”", "English keeps the US rule"
    for style in ("apa", "gbt7714", "markdown"):
        text = kb("cite", "--all", "--style", style).stdout
        assert not re.search(r"[\u3000-\u9fff][.,][”’]", text), style


def test_pull_quotes_nest_quotation_marks_the_chinese_way(kb):
    """Outer “ ”, the quote's own marks nested as ‘ ’ (and theirs as “ ” again), never doubled."""
    out = kb("cite", "xixian-2023-investment-drive", "--quote").stdout
    assert "    “‘今年 1 月，西咸新区秦创原总窗口 2023 年招商引资活动中" in out
    assert "服务陕西经济高质量发展。’” (四、（八）陕西" in out
    for style in ("gbt7714", "apa", "csl-json", "bibtex", "ris"):
        text = kb("cite", "xixian-2023-investment-drive", "cn-tech-contract-registration#technology-contracts@2022",
                  "--quote", "--style", style).stdout
        assert "““" not in text and "””" not in text and "‘‘" not in text, style
        assert "“‘" in text and "’”" in text, style
    pay = kb("cite", "beijing-pay-after-use-pilot", "--quote").stdout
    assert "‘先使用后付费’" in pay and "“先使用后付费”" not in pay.split("\n", 1)[1], "inner marks are single"


def test_every_quotation_mark_is_closed_in_every_style(kb):
    """A quote cut inside a speaker's words (“2023年…28.6%) is closed, in every style, Markdown included."""
    from kbcli.cite.items import PAIRS, balanced, nested

    cut = "“2023年,全国技术合同达到94.6万项,成交金额6.15万亿,同比分别增长了22.5%和28.6%"
    assert balanced(cut) == cut + "”" and balanced("我懂得了。”") == "“我懂得了。”"
    assert nested(balanced(cut)) == "‘" + cut[1:] + "’"
    assert nested("实行“先使用后付费”改革，“建成‘高速公路’”") == "实行‘先使用后付费’改革，‘建成“高速公路”’"
    assert nested("China’s ‘first’") == "China’s ‘first’", "apostrophes stay"
    cut_ids = ("cn-tech-contract-registration", "cupb-engineering-master-pilot-scale-case",
               "proposal-university-enterprise-cycle", "beijing-pay-after-use-pilot", "xixian-2023-investment-drive")
    for style in STYLES:
        text = kb("cite", *cut_ids, "--quote", "--style", style).stdout
        if style == "csl-json":
            text = "\n".join(c.get("note", "") for c in json.loads(text))
        for line in text.splitlines():
            for opener, closer in PAIRS.items():
                assert line.count(opener) == line.count(closer), (style, line)
    markdown = kb("cite", *cut_ids, "--style", "markdown").stdout
    assert "> “2023年,全国技术合同达到94.6万项" in markdown and "> “当第三釜中试产品" in markdown


def test_one_key_per_item_in_csl_json_bibtex_and_ris(kb):
    ids = ["law-sttl#art14", "law-sttl", "news-2024-11-14"]
    csl = [c["id"] for c in json.loads(kb("cite", *ids, "--style", "csl-json").stdout)]
    bib = re.findall(r"^@\w+\{([^,]+),", kb("cite", *ids, "--style", "bibtex").stdout, re.MULTILINE)
    ris = re.findall(r"^ID  - (.+)$", kb("cite", *ids, "--style", "ris").stdout, re.MULTILINE)
    assert csl == bib == ris
    assert csl == ["law-sttl:1996", "law-sttl", "news-2024-11-14"]
    pandoc_key = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_:.#$%&+?<>~/-]*[A-Za-z0-9_])?$")
    assert all(pandoc_key.match(k) for k in csl), csl


def test_the_restriction_travels_with_every_reference(kb):
    """Not only on stderr: under the entry in GB/T, APA and Markdown, in note / N1 when exported."""
    for ident in RESTRICTED_IDS:
        gbt = kb("cite", *ident).stdout.splitlines()
        i = next(n for n, line in enumerate(gbt) if "秦创原战略研究院工作简报" in line and line.startswith("["))
        assert gbt[i + 1] == f"    {RESTRICTION}"
        apa = kb("cite", *ident, "--style", "apa", "--quote").stdout.splitlines()
        i = next(n for n, line in enumerate(apa) if line.startswith("秦创原战略研究院. (2023)."))
        assert apa[i + 1] == f"    {RESTRICTION}"
        assert f"> {RESTRICTION}" in kb("cite", *ident, "--style", "markdown").stdout or \
            f"  {RESTRICTION}" in kb("cite", *ident, "--style", "markdown").stdout
        csl = {c["id"]: c for c in json.loads(kb("cite", *ident, "--style", "csl-json").stdout)}
        assert csl["qinchuangyuan-brief-2023-01"]["note"].split("\n")[0] == RESTRICTION
        bib = kb("cite", *ident, "--style", "bibtex").stdout
        assert f"note = {{{RESTRICTION}" in bib
        ris = kb("cite", *ident, "--style", "ris", "--quote").stdout
        brief = next(r for r in ris.split("ER  - ") if "ID  - qinchuangyuan-brief-2023-01" in r)
        assert f"N1  - {RESTRICTION}" in brief
    quoted = json.loads(kb("cite", "hefei-poc-centre-award", "--style", "csl-json", "--quote").stdout)[0]["note"]
    assert quoted.startswith(RESTRICTION + "\n“合肥市人民政府办公室印发")
    free = kb("cite", "news-2024-11-14", "--style", "csl-json", "--quote")
    assert "NOT FOR CITATION" not in free.stdout and "note" not in json.loads(free.stdout)[0]


def test_accessed_without_a_url_warns(kb):
    result = kb("cite", "news-2024-11-14", "law-sttl", "--accessed", "2025-01-02")
    assert result.exit_code == 0
    assert ("kb: warning: --accessed applies only to sources with a URL; not printed for news-2024-11-14, "
            "law-sttl") in result.stderr
    assert "2025-01-02" not in result.stdout
    assert "--accessed" not in kb("cite", "news-2024-11-14").stderr


def test_cite_all_is_the_whole_base(kb):
    result = kb("cite", "--all", "--style", "csl-json")
    assert result.exit_code == 0
    ids = [c["id"] for c in json.loads(result.stdout)]
    sources = [s["id"] for s in json.loads(kb("list", "sources", "--format", "json").stdout)]
    laws = [r["id"] for r in json.loads(kb("query", "--kind", "law", "--format", "json").stdout)]
    assert ids[:len(sources)] == sources
    assert set(ids) == set(sources) | set(laws) | {"law-sttl:1996"}
    assert len(ids) == len(set(ids))
    both = kb("cite", "law-sttl#art14", "--all").stdout
    assert both.startswith("In text: 《中华人民共和国促进科技成果转化法》（1996年）第十四条[1]\n")
    assert both.count("[1] ") == 1 and len(re.findall(r"^\[\d+\] ", both, re.MULTILINE)) == len(ids)
    bare = kb("cite")
    assert bare.exit_code == 2 and "--all" in bare.stderr


def test_foreign_laws_carry_their_english_title_as_a_translation(kb):
    assert kb("cite", "us-bayh-dole-act", "--style", "apa").stdout.startswith("拜杜法案 [Bayh-Dole Act] (1980).\n")
    assert kb("cite", "us-bayh-dole-act").stdout.startswith("[1] 拜杜法案[A]. 1980.\n")
    assert "titleaddon = {{[Bayh-Dole Act]}}" in kb("cite", "us-bayh-dole-act", "--style", "bibtex").stdout
    assert "TI  - 拜杜法案\nTT  - Bayh-Dole Act\n" in kb("cite", "us-bayh-dole-act", "--style", "ris").stdout
    # a garbled name the sources print gets no English title: none is given or implied
    assert kb("cite", "us-budele-tech-innovation-act", "--style", "apa").stdout.startswith("不德勒技术创新法案 (1980).")
    assert "[" not in kb("cite", "law-sttl", "--style", "apa").stdout.splitlines()[0]


def test_quiet_drops_notes_never_warnings_or_errors(kb, tmp_path):
    """kb cite --all notes some 55 incomplete entries; --quiet (or KB_QUIET=1) keeps only the warning
    about the source that asks not to be cited. Errors are never quiet."""
    loud = kb("cite", "--all")
    assert len(loud.stderr.splitlines()) > 50 and "kb: note: " in loud.stderr
    for quiet in (kb("cite", "--all", "--quiet"), kb("cite", "--all", env={"KB_QUIET": "1"})):
        assert quiet.exit_code == 0 and quiet.stdout == loud.stdout
        assert quiet.stderr.splitlines() == ["kb: warning: qinchuangyuan-brief-2023-01 asks not to be cited: "
                                             + "内部研究资料 请勿引用外传"]
    hidden = kb("cite", "--all", "--style", "ris", "--quiet")
    assert len(hidden.stderr.splitlines()) == 2 and "N1 note" in hidden.stderr, "the format cannot show it: said"
    assert RESTRICTION in hidden.stdout, "the output itself carries it"
    assert "\n    “合肥市" in kb("cite", "-q", "hefei-poc-centre-award").stdout, "-q is still --quote"
    bad = kb("cite", "no-such-thing", "--quiet")
    assert bad.exit_code == 2 and bad.stderr.startswith("kb: ")
    # every command that notes
    for args in (("query", "--blockage", "不敢转", "--since", "2022", "-f", "json"), ("timeline", "--region", "hefei"),
                 ("export", "--all", "--dir", str(tmp_path / "x"))):
        noisy, calm = kb(*args), kb(*args, "--quiet")
        assert calm.exit_code == noisy.exit_code == 0 and calm.stdout == noisy.stdout, args
        kept = [line for line in noisy.stderr.splitlines() if "asks not to be cited" in line]
        assert calm.stderr.splitlines() == kept and len(noisy.stderr.splitlines()) > len(kept), args
    assert (tmp_path / "x" / "datapackage.json").is_file(), "quiet, not idle"


def test_lua_filter_prints_the_shipped_filters_path(kb):
    from pathlib import Path

    result = kb("cite", "--lua-filter")
    path = Path(result.stdout.strip())
    assert result.exit_code == 0 and path.name == "kb-restricted.lua" and path.is_file()
    assert "NOT FOR CITATION" in path.read_text(encoding="utf-8")
    both = kb("cite", "--lua-filter", "law-sttl")
    assert both.exit_code == 2 and "--lua-filter" in both.stderr and both.stdout == ""
