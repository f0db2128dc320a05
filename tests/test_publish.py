"""The base as a published database: its schema for SQL users, search from Datasette and sqlite-utils,
Datasette's metadata and pages, kb serve and the files for datasette publish."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

datasette = pytest.importorskip("datasette")

SEARCHES = ["中试", "中試", "概念验证", "概念验证中心", "概念驗證", "subsidies", "proof of concept", "合肥中试", "赋权",
            "陝西", "技术经理人", "不敢转", "中梗阻", "Hefei", "转"]
HOSTILE = ['"', '中试"', "AND", "OR 中试", "NEAR(", "*", "中试*", "^中试", "{quotes}: 中试", "'; DROP TABLE records;--",
           "\x1b[31m", "   ", "a" * 500]


@pytest.fixture(scope="module")
def conn(real_db):
    c = sqlite3.connect(f"file:{real_db}?mode=ro", uri=True)
    yield c
    c.close()


def _kb_all_parts(real_db, text: str) -> set[str]:
    """The records kb search finds matching every part of the text (all of them for a one-part text)."""
    from kbcli.query.kb import KB
    from kbcli.query.search import parts, search
    from kbcli.store.db import connect

    kb = KB(connect(real_db))
    n = len(parts(kb, text))
    return {r["id"] for r in search(kb, text, limit=None) if len(r["matched"]) == n}


# ---------------------------------------------------------------- schema
def test_foreign_keys_are_declared_and_hold(conn):
    fks = {(t, r[3], r[2], r[4]) for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
           for r in conn.execute(f"PRAGMA foreign_key_list({t})")}
    for fk in [("record_terms", "record", "records", "id"), ("record_terms", "term", "terms", "id"),
               ("evidence", "source", "sources", "id"), ("evidence", "record", "records", "id"),
               ("terms", "parent", "terms", "id"), ("links", "src", "records", "id"), ("links", "dst", "records", "id"),
               ("figures", "record", "records", "id"), ("articles", "law", "records", "id"),
               ("sources", "part_of", "sources", "id"), ("term_closure", "ancestor", "terms", "id")]:
        assert fk in fks, fk
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_lists_are_json_arrays_everywhere(conn):
    cols = {"records": ["short_names", "regions", "mechanisms", "instruments", "addresses", "actors", "sources",
                        "issuers"],
            "figures": ["sources"], "terms": ["aliases", "see_also"], "articles": ["items"], "links": ["articles"]}
    for table, names in cols.items():
        for name in names:
            for (v,) in conn.execute(f"SELECT {name} FROM {table} WHERE {name} IS NOT NULL"):
                assert isinstance(json.loads(v), list), (table, name, v)
    # a figure reported by two sources lists both
    assert conn.execute("SELECT COUNT(*) FROM figures WHERE json_array_length(sources) > 1").fetchone()[0] > 0


def test_records_carry_tags_sources_and_the_restriction(conn):
    row = conn.execute("SELECT regions, mechanisms, instruments, addresses, sources, restricted, citation_note "
                       "FROM records WHERE id = 'hefei-poc-centre-award'").fetchone()
    assert json.loads(row[0]) == ["hefei"] and "poc-centre" in json.loads(row[1])
    assert json.loads(row[4]) == ["qinchuangyuan-brief-2023-01"] and row[5] == 1 and "请勿引用" in row[6]
    open_record = conn.execute("SELECT restricted, citation_note FROM records WHERE id = 'law-patent'")
    assert open_record.fetchone() == (0, None)
    # an article of the restricted brief would be restricted too; the flag counts every quote of a record
    n = conn.execute("SELECT COUNT(*) FROM records r WHERE restricted = 1").fetchone()[0]
    m = conn.execute("SELECT COUNT(DISTINCT e.record) FROM evidence e JOIN sources s ON s.id = e.source "
                     "WHERE s.restricted = 1").fetchone()[0]
    assert n == m > 0


def test_views_answer_the_common_questions_in_one_line(conn):
    hefei = {r[0] for r in conn.execute("SELECT record FROM record_regions WHERE region = 'hefei'")}
    assert "hefei-poc-centre-award" in hefei
    row = conn.execute("SELECT record_name_zh, mechanism_name_zh FROM record_mechanisms "
                       "WHERE record = 'hefei-poc-centre-award' AND mechanism = 'poc-centre'").fetchone()
    assert row == ("合肥市概念验证中心奖补", "概念验证中心")
    quotes = conn.execute("SELECT quote, source_title, locator, restricted, citation_note FROM record_quotes "
                          "WHERE record = 'hefei-poc-centre-award'").fetchall()
    assert quotes and all(q[3] == 1 and "请勿引用" in q[4] and q[2] for q in quotes)
    for view in ("record_instruments", "record_blockages"):
        assert conn.execute(f"SELECT COUNT(*) FROM {view}").fetchone()[0] > 0


def test_no_path_of_the_builders_machine(conn, real_db):
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    assert "seed_path" not in meta and meta["seed_file"] == "seed.yaml" and meta["generator"] == "kbcli"
    text = "\n".join(conn.iterdump())
    for path in (str(Path(__file__).resolve().parent.parent), str(Path.home()), str(real_db.parent)):
        assert path not in text


def test_the_search_index_shows_readable_text(conn):
    rows = conn.execute("SELECT name_zh, quotes FROM records_fts WHERE records_fts MATCH '\"中试\"'").fetchall()
    assert rows and all(name and quotes for name, quotes in rows)


# ---------------------------------------------------------------- search outside kb
def _sqlite_utils_search(db: Path, text: str, *extra: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "sqlite-utils"
    return subprocess.run([str(exe), "search", str(db), "records", text, "-c", "id", "-c", "name_zh", "-c", "quotes",
                           *extra], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("text", SEARCHES)
def test_sqlite_utils_search_finds_what_kb_finds(real_db, text):
    out = _sqlite_utils_search(real_db, text)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert {r["id"] for r in rows} == _kb_all_parts(real_db, text)
    assert rows and all(r["name_zh"] for r in rows)


@pytest.mark.slow
def test_sqlite_utils_search_with_quote_and_hostile_text(real_db):
    assert {r["id"] for r in json.loads(_sqlite_utils_search(real_db, "概念验证", "--quote").stdout)} == \
        _kb_all_parts(real_db, "概念验证")
    for text in HOSTILE:
        out = _sqlite_utils_search(real_db, text)
        assert "Traceback" not in out.stderr, (text, out.stderr)


def test_other_databases_are_left_alone(tmp_path):
    """On a database that is not kb's, sqlite-utils searches as it always did."""
    import sqlite_utils

    db = sqlite_utils.Database(tmp_path / "other.db")
    db["docs"].insert_all([{"id": 1, "text": "中试 基地"}, {"id": 2, "text": "概念验证"}], pk="id")
    db["docs"].enable_fts(["text"])
    exe = Path(sys.executable).parent / "sqlite-utils"
    found = json.loads(subprocess.run([str(exe), "search", str(tmp_path / "other.db"), "docs", "中试"],
                                      capture_output=True, text=True).stdout)
    assert [r["id"] for r in found] == [1]


def _datasette(db: Path):
    from kbcli.publish.serve import make_datasette

    ds = make_datasette(db)
    asyncio.run(ds.invoke_startup())
    return ds


def _get(ds, path: str):
    async def go():
        return await ds.client.get(path)

    return asyncio.run(go())


@pytest.fixture(scope="module")
def ds(real_db):
    return _datasette(real_db)


@pytest.mark.parametrize("text", SEARCHES)
def test_datasette_search_finds_what_kb_finds(ds, real_db, text):
    r = _get(ds, f"/kb/records.json?_search={text}&_shape=array&_col=id&_size=max")
    assert r.status_code == 200, r.text
    assert {x["id"] for x in r.json()} == _kb_all_parts(real_db, text)


def test_datasette_search_on_the_index_table_and_by_column(ds, real_db):
    rows = _get(ds, "/kb/records_fts.json?_search=概念验证&_shape=array").json()
    assert rows and all(r["name_zh"] and r["quotes"] for r in rows)
    quotes_only = _get(ds, "/kb/records.json?_search_quotes=中試&_shape=array&_col=id&_size=max").json()
    assert quotes_only and {r["id"] for r in quotes_only} <= _kb_all_parts(real_db, "中试")


@pytest.mark.parametrize("text", HOSTILE)
def test_datasette_search_of_hostile_text_answers(ds, text):
    r = _get(ds, f"/kb/records.json?_search={quote(text)}&_shape=array&_col=id")
    assert r.status_code in (200, 400), (text, r.status_code, r.text[:300])


def test_datasette_facets_records_by_kind_region_mechanism_and_status(ds):
    data = _get(ds, "/kb/records.json?_size=0").json()
    facets = data["facet_results"]
    assert {"kind", "regions", "mechanisms", "instruments", "addresses", "status"} <= set(facets)
    hefei = next(x for x in facets["regions"]["results"] if x["value"] == "hefei")
    narrowed = _get(ds, "/kb/records.json?regions__arraycontains=hefei&_shape=array&_col=id&_size=max").json()
    assert hefei["count"] == len(narrowed) > 0
    assert not any(facet.get("timed_out") for facet in facets.values())


def test_datasette_links_records_to_terms_and_sources(ds):
    data = _get(ds, "/kb/record_terms.json?record=hefei-poc-centre-award&_labels=on&_shape=array").json()
    term = next(r for r in data if r["term"]["value"] == "poc-centre")
    assert term["term"]["label"] == "概念验证中心" and data[0]["record"]["label"] == "合肥市概念验证中心奖补"
    ev = _get(ds, "/kb/evidence.json?record=hefei-poc-centre-award&_labels=on&_shape=array").json()
    assert ev[0]["source"]["label"] == "秦创原战略研究院工作简报"
    page = _get(ds, "/kb/record_terms?record=hefei-poc-centre-award").text
    assert 'href="/kb/terms/poc-centre"' in page and 'href="/kb/records/hefei-poc-centre-award"' in page


def test_record_page_shows_each_quote_with_source_locator_and_the_notice(ds, conn):
    page = _get(ds, "/kb/records/hefei-poc-centre-award").text
    quote = conn.execute("SELECT quote, locator FROM evidence WHERE record = 'hefei-poc-centre-award'").fetchone()
    assert quote[0] in page and quote[1].split(" > ")[0] in page
    assert "Do not cite" in page and "内部研究资料 请勿引用外传" in page
    open_page = _get(ds, "/kb/records/law-patent").text
    assert "Quotes (" in open_page and "Do not cite" not in open_page


def test_restricted_evidence_shows_the_notice_on_table_pages(ds):
    for path in ("/kb/records?id=hefei-poc-centre-award", "/kb/record_quotes?record=hefei-poc-centre-award",
                 "/kb/evidence?record=hefei-poc-centre-award", "/kb/sources?id=qinchuangyuan-brief-2023-01"):
        assert "Do not cite" in _get(ds, path).text, path


def test_metadata_describes_the_base(ds):
    meta = _get(ds, "/-/metadata.json").json()
    assert "科技成果转化" in meta["title"] and "technology-transfer" in meta["title"]
    html = meta["description_html"]
    assert "verbatim quote" in html and "原文引文" in html and "asks not to be cited" in html
    assert "MIT" in meta["license"]
    tables = meta["databases"]["kb"]["tables"]
    from kbcli.store.schema import TABLES

    for t in TABLES:
        assert tables[t.name]["description"] and set(tables[t.name]["columns"]) == set(t.columns)
        assert all(tables[t.name]["columns"].values()), t.name
    assert tables["record_docs"]["hidden"] and tables["records"]["fts_table"] == "records_fts"


def test_canned_queries_answer_the_headline_questions(ds, kb):
    def ids(result):
        return {r["id"] for r in json.loads(result.stdout)}

    cities = _get(ds, "/kb/cities_funding_poc_centres.json?_shape=array").json()
    expected = ids(kb("query", "--mechanism", "poc-centre", "--instrument", "funding", "--level", "city", "--level",
                      "municipality", "-f", "json"))
    assert {r["id"] for r in cities} == expected and {r["city"] for r in cities} == {"hefei", "hangzhou"}
    practices = _get(ds, "/kb/practices_addressing_dare_not_transfer.json?_shape=array").json()
    assert {r["id"] for r in practices} == ids(kb("query", "--blockage", "不敢转", "--kind", "practice", "-f", "json"))
    by_terms = _get(ds, "/kb/records_by_terms.json?_shape=array&kind=&region=anhui&mechanism=poc-centre"
                        "&instrument=&blockage=").json()
    assert {r["id"] for r in by_terms} == ids(kb("query", "-r", "anhui", "-m", "poc-centre", "-f", "json"))
    search = _get(ds, "/kb/search.json?_shape=array&text=概念验证").json()
    assert len(search) == len(ids(kb("search", "概念验证", "--limit", "100", "-f", "json")))


def test_datasette_pages_answer(ds):
    for path in ("/", "/kb", "/kb/records", "/kb/terms", "/kb/record_regions", "/kb/figures", "/kb/sources",
                 "/kb/records/law-sttl", "/kb/terms/hefei", "/kb/sources/qinchuangyuan-brief-2023-01",
                 "/kb/quotes_of_record?record=law-sttl", "/kb/figures_of_metric?metric=technology-contract-turnover"):
        r = _get(ds, path)
        assert r.status_code == 200, (path, r.status_code)


def test_the_database_is_served_immutable_and_read_only(ds):
    assert not ds.databases["kb"].is_mutable
    r = _get(ds, "/kb.json?sql=DELETE+FROM+records")
    assert r.status_code == 400 or not r.json().get("ok", True)


# ---------------------------------------------------------------- kb serve and the files for datasette publish
def test_serve_metadata_and_export_datasette_write_the_database_and_metadata(cli, real_db, tmp_path):
    for args in (("serve", "--metadata", str(tmp_path / "a")), ("export", "--datasette", str(tmp_path / "b"))):
        result = cli(*args, "--db", str(real_db))
        assert result.exit_code == 0, result.stderr
        folder = Path(args[-1])
        assert sorted(p.name for p in folder.iterdir()) == ["kb.db", "metadata.json"]
        assert (folder / "kb.db").read_bytes() == real_db.read_bytes()
        meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
        assert "kb" in meta["databases"] and "datasette" in result.stderr
    assert cli("export", "records", "--datasette", str(tmp_path / "c"), "--db", str(real_db)).exit_code == 2


@pytest.mark.timing
def test_kb_serve_listens_on_loopback_and_stops_by_itself(real_db, tmp_path):
    import urllib.request

    exe = shutil.which("kb", path=str(Path(sys.executable).parent))
    proc = subprocess.Popen([exe, "serve", "--port", "0", "--stop-after", "20", "--db", str(real_db)],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        line = proc.stderr.readline()
        assert line.startswith("kb: serving http://127.0.0.1:"), line
        url = line.split()[2]
        with urllib.request.urlopen(f"{url}/records.json?_search=中试&_shape=array&_col=id".replace(
                "中试", "%E4%B8%AD%E8%AF%95"), timeout=30) as r:
            assert len(json.load(r)) == 15
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_kb_serve_refuses_a_port_in_use(cli, real_db):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
        result = cli("serve", "--port", str(port), "--db", str(real_db))
    assert result.exit_code == 2 and "cannot listen" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_the_expression_finds_what_kb_finds_for_every_term_name_and_sampled_text(real_db):
    """kb's reading of a query as one FTS expression (what the plugins run) against kb search itself, for every
    name and alias of every term and for Chinese runs cut at random from the quotes."""
    import random
    import re

    from kbcli.query.kb import KB
    from kbcli.query.search import match_expression, parts, search
    from kbcli.store.db import connect

    kb = KB(connect(real_db))
    rng = random.Random(9)
    quotes = [q for (q,) in kb.conn.execute("SELECT quote FROM evidence")]
    texts = [n for t in kb.terms.values() for n in (t["name_zh"], t["name_en"], *t["aliases"])]
    while len(texts) < 1000 + 100:
        runs = re.findall(r"[\u4e00-\u9fff]{2,}", rng.choice(quotes))
        if runs:
            run = rng.choice(runs)
            i = rng.randrange(len(run) - 1)
            texts.append(run[i:i + rng.randint(2, 6)])
    for text in texts:
        n = len(parts(kb, text))
        if not n:
            continue
        expected = {r["id"] for r in search(kb, text, limit=None) if len(r["matched"]) == n}
        found = {r[0] for r in kb.conn.execute("SELECT id FROM records WHERE rowid IN (SELECT rowid FROM records_fts "
                                               "WHERE records_fts MATCH ?)", (match_expression(kb, text),))}
        assert found == expected, text
