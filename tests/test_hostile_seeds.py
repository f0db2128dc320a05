"""Hostile input, seeds: alias bombs, cycles, deep nesting, floods of problems, junk bytes and
escapes end in located messages within seconds, and a database built before stays as it was.
The seed reader is fuzzed with hypothesis."""

from __future__ import annotations

import codecs
import os
import random
import shutil
import time

import pytest
from conftest import GOOD
from hostile import expect, kb_inprocess, kb_process, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kbcli.errors import SeedError
from kbcli.seed.reader import ReadError, read_items
from kbcli.seed.validate import load_seed

CAT = "seeds"
META = "meta: {title: t, description: d}\n"
GOOD_TEXT = GOOD.read_text(encoding="utf-8")


def bomb(levels: int, width: int, mapping: bool = False) -> str:
    """A 'billion laughs': each level repeats the previous one ``width`` times."""
    lines = [META, "junk:\n", "  l0: &l0 [" + ", ".join(["lol"] * width) + "]\n"]
    for i in range(1, levels):
        if mapping:
            body = "{" + ", ".join(f"k{j}: *l{i - 1}" for j in range(width)) + "}"
        else:
            body = "[" + ", ".join([f"*l{i - 1}"] * width) + "]"
        lines.append(f"  l{i}: &l{i} {body}\n")
    return "".join(lines)


def in_practice(field_yaml: str) -> str:
    """good.yaml with extra YAML placed as the practice's notes."""
    return GOOD_TEXT.replace("    summary_en: Xi'an subsidises proof-of-concept centres.\n",
                             "    summary_en: Xi'an subsidises proof-of-concept centres.\n" + field_yaml, 1)


def nested(depth: int) -> str:
    return META + "junk: " + "[" * depth + "]" * depth + "\n"


def block_nested(depth: int) -> str:
    return META + "junk:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(depth)) + "  " * (depth + 1) + "v\n"


CASES = {
    # alias bombs, cycles and aliases in odd places
    "the issue's bomb: 9 levels of 9 aliases": (bomb(9, 9), "aliases stand for more than 10000 values"),
    "a bomb 40 levels of 2": (bomb(40, 2), "aliases stand for more than 10000 values"),
    "a bomb of mappings": (bomb(8, 10, mapping=True), "aliases stand for more than 10000 values"),
    "a bomb inside a record": (in_practice("    notes: &n0 [a, a, a, a, a, a, a, a, a, a]\n"
                                           + "".join(f"    x{i}: &n{i} [" + ", ".join([f"*n{i - 1}"] * 10) + "]\n"
                                                     for i in range(1, 7))),
                               "aliases stand for more than 10000 values"),
    "20,001 small aliases": (META + "junk:\n  a: &a x\n  b: [" + ", ".join(["*a"] * 10_001) + "]\n  c: ["
                             + ", ".join(["*a"] * 10_000) + "]\n", "aliases stand for more than 10000 values"),
    "the issue's cycle: junk: &c [*c]": (META + "junk: &c [*c]\n", "(a cycle)"),
    "a mapping that holds itself": ("meta: &m {title: t, description: d, x: *m}\n", "(a cycle)"),
    "an indirect cycle": (META + "junk:\n  - &a [x, {y: [*a]}]\n", "(a cycle)"),
    "a cycle inside a record": (in_practice("    notes: &n {a: [*n]}\n"), "(a cycle)"),
    "an alias of a whole section": (META + "sources: &s []\npractices: [*s]\n", "names a whole section"),
    "an unknown alias": (META + "junk: *nowhere\n", "unknown alias *nowhere"),
    "an alias of a list as a key": (META + "junk:\n  a: &l [1, 2]\n  b: {*l : v}\n", "must be a plain value"),
    "a complex key": (META + "junk:\n  ? [a, b]\n  : c\n", "must be a plain value"),
    "a merge key": (in_practice("    <<: {x: 1}\n"), "unknown field '<<'"),
    # nesting
    "100 nested lists": (nested(100), "nest deeper than 64 levels"),
    "100,000 nested lists": (nested(100_000), "maximum nesting depth"),
    "100 nested mappings": (block_nested(100), "nest deeper than 64 levels"),
    # floods of problems
    "100,000 repeated keys": (META + "practices:\n  - id: x\n" + "".join("    k: v\n" for _ in range(100_000)),
                              "more problems"),
    "5,000 invalid records": (META + "practices:\n" + "".join(f"  - {{id: 'BAD {i}'}}\n" for i in range(5000)),
                              "more problems"),
    # ids and meta
    "a source id used twice": (GOOD_TEXT.replace("regions:\n", "  - id: src\n    file: other.txt\n    type: report\n"
                                                 "    title: 另一个\nregions:\n", 1), "duplicate id 'src'"),
    "an article renamed to its document's id": (
        GOOD_TEXT.replace("regions:\n", "  - id: src\n    part_of: src\n    type: report\n    title: 文章\nregions:\n", 1),
        "duplicate id 'src'"),
    "a practice with a region's id": (GOOD_TEXT.replace("  - id: xian-poc\n", "  - id: shaanxi\n", 1),
                                      "duplicate id 'shaanxi'"),
    "meta that is a list": (GOOD_TEXT.replace("meta:\n  title: test seed\n", "meta: [a, b]\n", 1),
                            "Input should be a valid dictionary"),
    "meta with an unknown field": (GOOD_TEXT.replace("meta:\n  title: test seed\n",
                                                     "meta:\n  title: test seed\n  bogus: 1\n", 1),
                                   "unknown field 'bogus'"),
    "no meta at all": (GOOD_TEXT.replace("meta:\n  title: test seed\n", "", 1), "missing section 'meta'"),
    # escapes in keys, values and names
    "ESC in a key": (in_practice('    "x\\e]0;PWNED\\a\\e[31m": 1\n'), "unknown field 'x\\x1b]0;PWNED\\x07"),
    "ESC in a value": (GOOD_TEXT.replace("name_en: Xi'an proof of concept", 'name_en: "Xi\\e[31man"', 1),
                       "must not contain control characters"),
    "a bidi override in a value": (GOOD_TEXT.replace("name_en: Xi'an proof of concept",
                                                     'name_en: "Xi\\u202ean"', 1), "invisible formatting characters"),
    "a bidi override in a key": (in_practice('    "a\\u202eb\\u2066": 1\n'), "unknown field 'a\\u202eb\\u2066'"),
    "C1 controls in a key": (in_practice('    "a\\x9b31mb\\x85": 1\n'), "unknown field 'a\\x9b31mb\\x85'"),
    # numbers the database cannot hold
    "a figure of 10^26": (GOOD_TEXT.replace("value: 1000000", "value: 99999999999999999999999999", 1), "too large"),
    "an article number of 10^23": (GOOD_TEXT.replace("articles: [9]", "articles: [99999999999999999999999]", 1),
                                   "less than 9223372036854775808"),
    "a figure of 1e400": (GOOD_TEXT.replace("value: 1000000", "value: 1e400", 1), "finite"),
    "a figure of nan": (GOOD_TEXT.replace("value: 1000000", "value: .nan", 1), "not a number"),
    # not YAML, or not a seed
    "an empty file": ("", "missing section 'meta'"),
    "only a comment": ("# nothing\n", "missing section 'meta'"),
    "a list at the top": ("- a\n- b\n", "must be a mapping of sections"),
    "a scalar at the top": ("hello\n", "must be a mapping of sections"),
    "two documents": (META + "---\n" + META, "single YAML document"),
    "tabs for indentation": (META + "practices:\n\t- id: x\n", "YAML syntax error"),
    "an unclosed quote": (META + 'junk: "abc\n', "YAML syntax error"),
    "a python tag": (in_practice('    notes: !!python/object/apply:os.system ["touch PWNED"]\n'),
                     "Input should be a valid string"),
}


@pytest.mark.parametrize("name", CASES)
def test_hostile_seed(tmp_path, name):
    text, message = CASES[name]
    seed = tmp_path / "seed.yaml"
    seed.write_text(text, encoding="utf-8")
    run = kb_inprocess("validate", str(seed))
    expect(run, 1, message, category=CAT, case=name, lines=None, seconds=15)
    assert run.out == ""
    assert len(run.lines()) <= SeedError.SHOWN + 2, "the problem list is capped"
    assert f"{seed}:" in run.err, "located at FILE:LINE:COL"
    assert not (tmp_path / "PWNED").exists() and not (ROOT_PWNED := tmp_path.parent / "PWNED").exists(), ROOT_PWNED


BYTES = {
    "a NUL byte": META.encode() + b"junk: a\x00b\n",
    "invalid UTF-8": META.encode() + b"junk: \xff\xfe\xfa\n",
    "Latin-1 text": META.encode() + "junk: café\n".encode("latin-1"),
    "random bytes": random.Random(8).randbytes(4096),
    "a lone surrogate escape": META.encode() + b'junk: "\\ud800"\n',
    "ESC in the middle of YAML": META.encode() + b"junk:\x1b[31m x\n",
}


@pytest.mark.parametrize("name", BYTES)
def test_junk_bytes(tmp_path, name):
    seed = tmp_path / "seed.yaml"
    seed.write_bytes(BYTES[name])
    run = kb_inprocess("validate", str(seed))
    expect(run, 1, f"{seed}:", category=CAT, case=name, lines=None)
    assert len(run.lines()) <= 5


def test_a_utf16_seed_is_read(tmp_path):
    seed = tmp_path / "seed.yaml"
    seed.write_bytes(codecs.BOM_UTF16_LE + GOOD_TEXT.encode("utf-16-le"))
    run = kb_inprocess("validate", str(seed))
    expect(run, 0, "valid", category=CAT, case="a UTF-16 seed with a byte-order mark")


def test_aliases_within_the_budget_still_work(tmp_path):
    text = GOOD_TEXT.replace("      - source: src\n        quote: 西安支持概念验证中心\n        locator: 二\n",
                             "      - &ev {source: src, quote: 西安支持概念验证中心, locator: 二}\n      - *ev\n", 1)
    seed = tmp_path / "seed.yaml"
    seed.write_text(text, encoding="utf-8")
    run = kb_inprocess("validate", str(seed))
    expect(run, 0, "valid", category=CAT, case="a small alias within the budget")


def test_a_file_name_with_escapes(tmp_path):
    seed = tmp_path / "s\x1b]0;PWNED\x07\u202e.yaml"
    seed.write_text(META + "junk: [\n", encoding="utf-8")
    run = kb_inprocess("validate", str(seed))
    expect(run, 1, "s\\x1b]0;PWNED\\x07\\u202e.yaml:", category=CAT, case="escapes in the seed's file name",
           lines=None)


@pytest.fixture
def built(tmp_path):
    db = tmp_path / "db" / "kb.sqlite"
    db.parent.mkdir()
    assert kb_inprocess("load", str(GOOD), "--db", str(db)).code == 0
    return db


@pytest.mark.parametrize("name", ["the issue's bomb: 9 levels of 9 aliases", "the issue's cycle: junk: &c [*c]",
                                  "100,000 nested lists", "a figure of 10^26", "a source id used twice"])
def test_a_hostile_seed_leaves_the_database_unchanged(tmp_path, built, name):
    before = snapshot(built.parent)
    seed = tmp_path / "seed.yaml"
    seed.write_text(CASES[name][0], encoding="utf-8")
    run = kb_inprocess("load", str(seed), "--db", str(built))
    expect(run, 1, CASES[name][1], category=CAT, case=f"kb load: {name}", lines=None)
    assert snapshot(built.parent) == before


def test_the_issues_bomb_as_KB_SEED_does_not_stall_commands(tmp_path):
    seed = tmp_path / "bomb.yaml"
    seed.write_text(bomb(9, 9), encoding="utf-8")
    cache = tmp_path / "cache"
    run = kb_process("query", env={"KB_SEED": str(seed), "KB_CACHE_DIR": str(cache)})
    expect(run, 1, "aliases stand for more than 10000 values", category=CAT, case="the bomb as KB_SEED, kb query",
           lines=None, seconds=5)
    assert not cache.exists() or not list(cache.iterdir()), "no database, no temporary file"


@pytest.mark.slow
def test_the_issues_million_repeated_keys(tmp_path):
    """The issue: 10^6 repeated keys printed 10^6 lines (108 MB) on stderr."""
    seed = tmp_path / "dups.yaml"
    with open(seed, "w", encoding="utf-8") as fh:
        fh.write(META + "practices:\n  - id: x\n")
        fh.writelines("    k: v\n" for _ in range(1_000_000))
    run = kb_process("validate", str(seed))
    expect(run, 1, "more problems", category=CAT, case="a million repeated keys", lines=None, seconds=60)
    assert len(run.lines()) <= SeedError.SHOWN + 2 and len(run.err) < 50_000
    assert "1000004 problems in the seed" in run.err, "counted, though not all kept"
    assert run.rss_mb < 500


def test_the_issues_duplicate_source_id_in_the_real_seed(tmp_path):
    """The issue: an article given its document's id was reported as 'a source cannot be part of itself'
    plus 75 'unknown source' lines, never as a duplicate id."""
    from conftest import SEED

    text = SEED.read_text(encoding="utf-8")
    first, second = [m for m in __import__("re").finditer(r"(?m)^  - id: (\S+)$", text)][:2]
    seed = tmp_path / "seed.yaml"
    seed.write_text(text[: second.start()] + f"  - id: {first.group(1)}" + text[second.end():], encoding="utf-8")
    run = kb_inprocess("validate", str(seed))
    expect(run, 1, f"duplicate id '{first.group(1)}'", category=CAT, case="an article given its document's id "
           "(the real seed)", lines=None)
    assert run.lines()[0].endswith("(at sources[1].id)"), run.err
    assert len(run.lines()) <= 8 and "more references to it" in run.err


@pytest.mark.slow
def test_twenty_thousand_unknown_references(tmp_path):
    good = GOOD_TEXT
    head, _, practice = good.partition("practices:\n")
    parts = [head, "practices:\n"]
    for i in range(20_000):
        parts.append(practice.replace("id: xian-poc", f"id: xian-poc-{i}", 1)
                     .replace("    regions: [xian]\n", f"    regions: [xian]\n    related: [nowhere-{i}]\n", 1))
    seed = tmp_path / "seed.yaml"
    seed.write_text("".join(parts), encoding="utf-8")
    run = kb_process("validate", str(seed))
    expect(run, 1, "20000 problems in the seed", category=CAT, case="20,000 references to unknown records",
           lines=None, seconds=30)
    assert len(run.lines()) <= SeedError.SHOWN + 2


def test_max_problems_option(tmp_path):
    seed = tmp_path / "seed.yaml"
    seed.write_text(CASES["5,000 invalid records"][0], encoding="utf-8")
    run = kb_inprocess("validate", str(seed), "--max-problems", "3")
    expect(run, 1, "more problems", category=CAT, case="--max-problems 3", lines=5)


# ---------------------------------------------------------------- fuzzing
YAMLISH = st.text(alphabet=st.sampled_from(list("{}[]:,-&*!|>'\"#?%@`\\ \n\t ab1é中\x1b\u202e~.<=")), max_size=300)


@pytest.mark.timing
@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(YAMLISH)
def test_fuzz_the_reader_with_yaml_like_text(text):
    """Whatever the text, the reader yields items or raises its own located error."""
    try:
        for item in read_items(META + text):
            assert item.line >= 1 and item.col >= 1
    except ReadError as exc:
        assert exc.line >= 1 and exc.col >= 1


SCALARS = st.one_of(st.none(), st.text(max_size=20), st.integers(), st.floats(allow_nan=True), st.booleans())
VALUES = st.recursive(SCALARS, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                      st.dictionaries(st.text(max_size=8), kids, max_size=4)),
                      max_leaves=30)
SECTIONS = st.sampled_from(["meta", "sources", "regions", "mechanisms", "instruments", "blockages", "laws",
                            "pilots", "models", "practices", "junk"])


@pytest.mark.slow
@pytest.mark.timing
@settings(max_examples=150, deadline=3000, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(st.dictionaries(SECTIONS, VALUES, max_size=5), st.booleans())
def test_fuzz_whole_seeds(tmp_path, data, anchors):
    """Any structure (with aliases, when yaml makes them for repeated values) validates or raises SeedError."""
    import yaml

    if anchors:  # the same object twice: yaml writes an anchor and an alias
        shared = ["x", {"a": 1}]
        data = {**data, "practices": [shared, shared, {"notes": shared}]}
    seed = tmp_path / f"fuzz-{os.getpid()}.yaml"
    seed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    try:
        load_seed(seed)
    except SeedError as exc:
        assert exc.issues or exc.more


def test_fuzzing_counts_as_corpus_cases():
    from hostile import LOG, Run

    for name in ("hypothesis: YAML-like text into the reader", "hypothesis: any structure as a seed"):
        LOG.append((CAT, name, 0.0, None))
    assert Run  # the fuzz tests above run hundreds of examples each


def test_copy_of_good_seed_is_valid(tmp_path):
    seed = tmp_path / "good.yaml"
    shutil.copy(GOOD, seed)
    t = time.monotonic()
    assert kb_inprocess("validate", str(seed)).code == 0
    assert time.monotonic() - t < 5
