"""The seed reader: positions, scalars kept as strings, same result with or without libyaml, and the
build's first pass (no positions) reads the same values or stops where the located reader reports."""

from __future__ import annotations

import io

import pytest
from conftest import GOOD, SEED, cpu_at_most
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kbcli.seed.reader import LIBYAML, PyParser, ReadError, Unlocated, read_items


def items(text, **kw):
    return list(read_items(io.StringIO(text), **kw))


def test_libyaml_and_pure_python_parsers_agree():
    assert LIBYAML, "the wheel of PyYAML on this machine has libyaml"
    for path in (GOOD, SEED):
        fast = list(read_items(open(path, "rb")))
        slow = list(read_items(open(path, "rb"), parser_class=PyParser))
        assert [(i.section, i.index, i.data, i.line, i.col, i.pos, i.keypos) for i in fast] == \
               [(i.section, i.index, i.data, i.line, i.col, i.pos, i.keypos) for i in slow]


def test_positions_of_values_and_keys():
    (_meta, item) = items("meta:\n  title: t\nlaws:\n  - id: a\n    articles:\n      - number: 9\n")
    assert (item.section, item.index, item.line, item.col) == ("laws", 0, 4, 5)
    assert item.pos[("articles", 0, "number")] == (6, 17)
    assert item.keypos[("articles",)] == (5, 5)
    assert item.locate(("articles", 0, "missing")) == (6, 9)


def test_scalars_stay_strings_and_nulls_are_none():
    (meta,) = items("meta:\n  a: 2022\n  b: no\n  c: 1.5e8\n  d: ~\n  e:\n  f: ''\n  g: \"null\"\n")
    assert meta.data == {"a": "2022", "b": "no", "c": "1.5e8", "d": None, "e": None, "f": "", "g": "null"}


def test_anchors_and_aliases():
    (meta,) = items("meta:\n  a: &x [1, 2]\n  b: *x\n")
    assert meta.data["b"] == ["1", "2"]


@pytest.mark.parametrize("text,where", [("meta: [\n", (2, 1)), ("- a\n- b\n", (1, 1)), ("meta: a\n---\nb: c\n", (2, 1))])
def test_structure_errors(text, where):
    with pytest.raises(ReadError) as exc:
        items(text)
    assert (exc.value.line, exc.value.col) == where


# ---------------------------------------------------------------- the build's first pass, without positions

def _outcome(text: str, located: bool):
    """The items read (with their own positions), or how reading stopped."""
    try:
        got = list(read_items(io.StringIO(text), located=located))
    except ReadError:
        return "error"
    except Unlocated:
        return "unlocated"
    if located and any(i.problems for i in got):
        return "problems"
    return [(i.section, i.index, i.data, i.line, i.col) for i in got]


def _agree(text: str) -> None:
    located = _outcome(text, True)
    unlocated = _outcome(text, False)
    if isinstance(located, list):
        assert unlocated == located, "the same values where the located reader finds nothing to report"
    else:
        assert unlocated in ("error", "unlocated"), f"the located reader says {located}: this one must stop"


def _corpus() -> dict[str, str]:
    from test_hostile_seeds import CASES

    texts = {p.name: p.read_text(encoding="utf-8") for p in (GOOD, SEED, *sorted((GOOD.parent / "bad").glob("*.yaml")))}
    texts.update({name: text for name, (text, _) in CASES.items()})
    return texts


@pytest.mark.parametrize("name", sorted(_corpus()))
def test_the_unlocated_reader_reads_the_same_values_or_stops(name):
    _agree(_corpus()[name])


# bounded by CPU time, not hypothesis's wall-clock deadline, which a busy machine breaks
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("{}[]:,-&*!|>'\"#?%@`\\ \n\t ab1é中~.<=")), max_size=300))
def test_fuzz_the_unlocated_reader_against_the_located_one(text):
    with cpu_at_most(2):
        _agree("meta: {title: t}\n" + text)


_SCALARS = st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["", "~", "null", "x", "1"]))
_VALUES = st.recursive(_SCALARS, lambda kids: st.one_of(st.lists(kids, max_size=3),
                                                        st.dictionaries(st.text(max_size=4), kids, max_size=3)),
                       max_leaves=20)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["meta", "sources", "laws", "practices", "junk"]), st.lists(_VALUES, max_size=3),
                       max_size=3), st.integers(0, 3))
def test_fuzz_anchors_and_aliases_alike(data, shared):
    """Values yaml writes with anchors and aliases (the same object more than once) read alike."""
    import yaml

    with cpu_at_most(3):
        if shared:
            obj: list = ["x", {"a": None}]
            for _ in range(shared):
                obj = [obj, {"k": obj}]
            data = {**data, "junk": [obj, obj, {"again": obj}]}
        _agree(yaml.safe_dump(data, allow_unicode=True))
