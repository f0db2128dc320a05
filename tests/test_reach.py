"""Every figure in the base is reachable: by ``kb ask`` with its own words (its label, and the name of the
record or term that holds it) and by ``kb search`` on its value as printed or its label (issue 16)."""

from __future__ import annotations

import pytest

from kbcli.query.ask import ask
from kbcli.query.kb import KB
from kbcli.query.search import search
from kbcli.store.db import connect
from kbcli.text import fmt_number


@pytest.fixture(scope="module")
def kb_(real_db):
    return KB(connect(real_db))


def _figures(kb_):
    return kb_.conn.execute(
        "SELECT f.owner, f.metric, f.label_en, f.as_of, f.value, f.unit, COALESCE(r.name_en, t.name_en) "
        "FROM figures f LEFT JOIN records r ON r.id = f.owner LEFT JOIN terms t ON t.id = f.owner "
        "ORDER BY f.owner, f.idx").fetchall()


def _question(label: str, owner_name: str) -> str:
    """The figure's own words, as a user types them: its label (a capital only where it names someone)
    and its holder's name."""
    first = label.split()[0]
    if not (first[:1].isupper() and ("'" in first or first in ("China", "Hong"))):
        label = label[:1].lower() + label[1:]
    return f"How much is the {label} of {owner_name}?"


def test_every_figure_is_reached_by_kb_ask_with_its_own_words(kb_):
    rows = _figures(kb_)
    assert len(rows) > 300
    missed = []
    for owner, metric, label, as_of, _, _, name in rows:
        a = ask(kb_, _question(label, name), 20)
        if not any(r["id"] == owner and any(f["metric"] == metric and f.get("as_of") == as_of
                                            for f in r["answer"]["figures"]) for r in a.records[:5]):
            missed.append((owner, metric, as_of, a.interpretation.command()))
    assert not missed, f"{len(missed)} of {len(rows)} figures not reached: {missed[:10]}"


def test_every_figure_is_reached_by_kb_search_on_its_value_or_label(kb_):
    missed = []
    for owner, metric, label, _, value, unit, _ in _figures(kb_):
        printed = fmt_number(value) + ("%" if unit == "percent" else "")
        if not any(r["id"] == owner for r in search(kb_, printed, limit=100, terms=True)) and \
                not any(r["id"] == owner for r in search(kb_, label, limit=20, terms=True)):
            missed.append((owner, metric, printed, label))
    assert not missed, missed[:10]


@pytest.mark.parametrize("value,owner", [("26.5%", "weak-transfer-services"), ("3.9%", "low-transfer-rate"),
                                         ("1100亿元", "chongqing-sci-service-plan"),
                                         ("4.78万亿", "cn-tech-contract-registration")])
def test_a_value_as_printed_finds_its_figure(kb_, value, owner):
    assert owner in [r["id"] for r in search(kb_, value, limit=20, terms=True)]
