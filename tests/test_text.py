"""Folding and tokenising shared by matching, search and quote checks."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from kbcli.text import clean, fold, fold_quote, has_han, loose, pair_text, query_parts


def test_fold_folds_script_width_and_case():
    assert fold("中試平臺 ＡＢＣ") == "中试平台 abc"
    assert fold("陝西") == fold("陕西") == "陕西"


def test_fold_quote_keeps_script_and_drops_whitespace():
    assert fold_quote("中試 平臺，\n甲") == "中試平臺,甲"


def test_pair_text_tokenises_to_the_same_bigrams():
    tokens = re.findall(r"[^\W_]+", pair_text("概念验证。中试"))
    # bigrams of each run, plus its last character and (after punctuation) its first
    assert tokens == ["概念", "念验", "验证", "证", "中", "中试", "试"]
    spaced = re.findall(r"[^\W_]+", pair_text("最高 100 万元"))
    assert "0万" in spaced and "万元" in spaced, "spaces inside a text are dropped"


def test_query_parts_prefix_for_one_character():
    assert query_parts("转") == [[("转", True)]]
    assert query_parts("中试 proof") == [[("中试", False)], [("proof", False)]]


def test_loose_keys_match_spelling_variants():
    assert loose("Proof-of-concept center") == loose("proof of concept centre")
    assert loose("陝西省") == loose("陕西省")


def test_clean_makes_control_characters_visible():
    assert clean("a\x1b[31m\tb\n") == "a\\x1b[31m\tb\n"
    assert clean("a\tb\n", keep_newlines=False) == "a\\x09b\\x0a"
    assert has_han("R&D投入") and not has_han("R&D")


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from(list("ab Z1 \n\t\u3000概念轉化臺Ｆ１ß𠀀。,")), max_size=30))
def test_pair_text_is_every_pair_of_the_folded_text(s):
    """pair_text lays pairs out in an array: the same text as making one string per pair."""
    from kbcli.text import _INLINE_SPACE_RE, _fold_needed

    t = fold(s) if _fold_needed().intersection(s) else s if s.isascii() else s.casefold()
    t = _INLINE_SPACE_RE.sub("", t) + "\n"
    assert pair_text(s) == " ".join(map(str.__add__, t, t[1:]))
