"""The seed reader: positions, scalars kept as strings, same result with or without libyaml."""

from __future__ import annotations

import io

import pytest
from conftest import GOOD, SEED

from kbcli.seed.reader import LIBYAML, PyParser, ReadError, read_items


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
