"""The build's fast path stays faithful: validating without positions accepts exactly what the located
validation accepts, pydantic's native patterns accept exactly what kb's checks accept (with the same
messages), a build through either pass writes the same database, and the shared-memory channel
between kb and its writer carries any message whole and in order."""

from __future__ import annotations

import copy
import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest
from conftest import GOOD, SEED, SEEDS
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from kbcli.errors import SeedError
from kbcli.seed import models as m
from kbcli.seed.reader import Unlocated
from kbcli.seed.validate import load_seed
from kbcli.store.build import SLOT_BYTES, SLOTS, _build_once, _Channel


def _accepts(path: Path, located: bool) -> bool:
    try:
        load_seed(path, located=located)
    except (SeedError, Unlocated):
        return False
    return True


def _hostile_texts() -> dict[str, str]:
    from test_hostile_seeds import CASES

    return {name: text for name, (text, _) in CASES.items()}


@pytest.mark.parametrize("name", ["good", "real", *sorted(p.stem for p in (SEEDS / "bad").glob("*.yaml")),
                                  *sorted(_hostile_texts())])
def test_the_first_pass_accepts_exactly_what_the_located_validation_accepts(tmp_path, name):
    if name == "good":
        path = GOOD
    elif name == "real":
        path = SEED
    elif (SEEDS / "bad" / f"{name}.yaml").exists():
        path = SEEDS / "bad" / f"{name}.yaml"
    else:
        path = tmp_path / "seed.yaml"
        path.write_text(_hostile_texts()[name], encoding="utf-8")
    assert _accepts(path, located=False) == _accepts(path, located=True)


# the characters where kb's checks and a pattern could part: spaces, controls, invisible ones, others
_CHARS = st.sampled_from(list(" \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\u180e"
                              "\x00\x07\x1b\x7f\x9b\u061c\u200b\u200e\u202a\u202e\u2060\u2066\ufeff\ufff9\U000e0001"
                              "\u200d\u200c aZ-_.9中轉é"))


@settings(max_examples=1500, deadline=None)
@example("9\n")  # an id with a final newline: re.match with $ let it through (found by this test)
@given(st.text(_CHARS, max_size=8))
def test_native_patterns_accept_what_the_checks_accept_with_their_messages(value):
    for pattern_type, check in ((m.Text, m._text), (m.Id, m._id)):
        try:
            check(value)
            expected = None
        except ValueError as why:
            expected = str(why)
        try:
            TypeAdapter(pattern_type).validate_python(value)
            got = None
        except ValidationError as exc:
            (err,) = exc.errors()
            assert err["type"] == "string_pattern_mismatch"
            got = "refused"
        assert (got is None) == (expected is None), (value, expected)


def test_a_refused_value_keeps_its_message(tmp_path):
    seed = tmp_path / "seed.yaml"
    text = GOOD.read_text(encoding="utf-8")
    seed.write_text(text.replace("name_en: Xi'an proof of concept", 'name_en: "   "', 1)
                    .replace("id: xian-poc", "id: Xian POC", 1), encoding="utf-8")
    with pytest.raises(SeedError) as exc:
        load_seed(seed)
    messages = {i.message for i in exc.value.issues}
    assert "must not be empty" in messages
    assert any(msg.startswith("must be lowercase letters, digits and single - _ . separators") for msg in messages)


def _rows(db: Path) -> dict[str, list]:
    with sqlite3.connect(db) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                                            "'records_fts%' ORDER BY name")]
        out = {n: sorted(map(repr, conn.execute(f'SELECT * FROM "{n}"'))) for n in names}
        out["meta"] = [r for r in out["meta"] if not r.startswith(("('built_at'", "('seed_mtime_ns'"))]
        out["records_fts"] = sorted(conn.execute(
            "SELECT rowid, name_zh, name_en, tags_zh, tags_en, summary_en, quotes FROM records_fts").fetchall())
        out["schema"] = sorted(conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall())
    return out


def test_both_passes_build_the_same_database(tmp_path):
    fast, located = tmp_path / "fast.sqlite", tmp_path / "located.sqlite"
    from kbcli.paths import open_input

    for target, is_located in ((fast, False), (located, True)):
        with open_input(SEED) as seed:
            _build_once(seed, target, None, None, located=is_located)
    assert _rows(fast) == _rows(located)


def test_the_channel_carries_messages_of_any_size_whole_and_in_order():
    channel = _Channel(multiprocessing.get_context("fork"))
    receiver = copy.copy(channel)  # the writer's side: the same memory, its own place in the ring
    big = b"x" * (3 * SLOT_BYTES + 17)  # spans four slots
    huge = list(range(SLOTS * SLOT_BYTES // 4))  # larger than the whole ring: read while it is sent
    got: list = []
    reader = threading.Thread(target=lambda: got.extend(receiver.recv() for _ in range(4)))
    reader.start()
    for message in (("a", 1), ("big", big), ("huge", huge), ("b", None)):
        channel.send(message, alive=lambda: True, waiting=lambda: None)
    reader.join(timeout=60)
    assert got == [("a", 1), ("big", big), ("huge", huge), ("b", None)]
    channel.report(12, 1)
    assert channel.progress() == (12, 1)
    channel.close()


def test_a_writer_that_stops_reading_is_noticed():
    channel = _Channel(multiprocessing.get_context("fork"))
    for _ in range(SLOTS):
        channel.send(("x", None), alive=lambda: True, waiting=lambda: None)
    waited: list = []
    with pytest.raises(BrokenPipeError):
        channel.send(("y", None), alive=lambda: not waited, waiting=lambda: waited.append(1))
    channel.close()
