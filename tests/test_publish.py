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


def test_datasette_facets_records_by_kind_region_mechanism_and_status(ds, kb):
    """A tag's count is the records tagged with it or a narrower term (as kb query counts them), and its link
    keeps exactly those records."""
    data = _get(ds, "/kb/records.json?_size=0&_facet_size=max").json()
    facets = data["facet_results"]
    assert {"kind", "regions", "mechanisms", "instruments", "addresses", "status"} <= set(facets)
    assert not any(facet.get("timed_out") for facet in facets.values())
    regions = {x["value"]: x for x in facets["regions"]["results"]}
    for region, name in (("hefei", "合肥"), ("beijing", "北京"), ("anhui", "安徽")):
        expected = len(json.loads(kb("query", "--region", name, "-f", "json").stdout))
        narrowed = _get(ds, f"/kb/records.json?_region={region}&_shape=array&_col=id&_size=max").json()
        assert regions[region]["count"] == len(narrowed) == expected > 0, region
        assert f"_region={region}" in regions[region]["toggle_url"]
    assert regions["beijing"]["count"] > _get(ds, "/kb/records.json?regions__arraycontains=beijing&_size=0").json()[
        "filtered_table_rows_count"]  # the places within Beijing count too
    kinds = {x["value"]: x["count"] for x in facets["kind"]["results"]}
    assert kinds == dict(_get(ds, "/kb.json?sql=select+kind,count(*)+from+records+group+by+kind&_shape=arrays").json()[
        "rows"])
    # filtered: the counts of the rows the page keeps
    hefei = _get(ds, "/kb/records.json?_region=hefei&_size=0&_facet_size=max").json()["facet_results"]
    assert sum(x["count"] for x in hefei["kind"]["results"]) == regions["hefei"]["count"]


def test_every_foreign_key_has_an_index(conn):
    """Datasette counts the rows pointing at a row on every row page: an index on each foreign key column."""
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        first = {conn.execute(f"PRAGMA index_info('{i[1]}')").fetchone()[2]
                 for i in conn.execute(f"PRAGMA index_list('{table}')")}
        for fk in conn.execute(f"PRAGMA foreign_key_list('{table}')"):
            assert fk[3] in first, (table, fk[3])


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
    shown = page.split('<details class="kb-raw"')[0]  # the page, without the raw columns folded below it
    assert shown.count("Do not cite") == 1 and "内部研究资料 请勿引用外传" in shown  # once, at the top
    open_page = _get(ds, "/kb/records/law-patent").text
    assert "原文引文" in open_page and "Do not cite" not in open_page


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
        assert sorted(p.name for p in folder.iterdir()) == ["inspect-data.json", "kb.db", "metadata.json",
                                                             "settings.json"]
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


# ---------------------------------------------------------------- the same site however it is served
SITE_PAGES = ["/", "/kb", "/kb/records", "/kb/records?_search=%E4%B8%AD%E8%AF%95", "/kb/records?_region=anhui",
              "/kb/records/law-sttl", "/kb/records/hefei-poc-centre-award", "/kb/terms/beijing",
              "/kb/sources/qinchuangyuan-brief-2023-01", "/kb/figures", "/kb/search?text=%E6%A6%82%E5%BF%B5%E9%AA%8C%E8%AF%81",
              "/-/ask?q=Which+cities+fund+proof-of-concept+centres%3F", "/-/metadata.json", "/-/settings.json",
              "/kb/records.json?_facet_size=max&_size=5", "/-/health"]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Served:
    """A server process on 127.0.0.1, answering once ``/-/health`` does; stopped (and waited for) on exit."""

    def __init__(self, argv: list[str], port: int, cwd: Path | None = None, env: dict | None = None):
        import os
        import time
        import urllib.request

        self.base = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=cwd,
                                     env={**os.environ, **(env or {})})
        deadline = time.monotonic() + 120
        while True:
            assert self.proc.poll() is None, f"{argv} exited: {self.proc.stderr.read() if self.proc.stderr else ''}"
            try:
                with urllib.request.urlopen(self.base + "/-/health", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"{argv} did not answer"
            time.sleep(0.1)

    def get(self, path: str) -> tuple[int, str]:
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(self.base + path, timeout=60) as r:
                return r.status, r.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8")

    def stop(self) -> str:
        self.proc.terminate()
        _, err = self.proc.communicate(timeout=30)
        return err

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.stop()


def _normal(text: str, base: str) -> str:
    """A page without what differs from one server or request to the next: its own address, timings."""
    import re

    text = text.replace(base, "BASE")
    text = re.sub(r"Queries took [\d.]+ ?ms", "Queries took N ms", text)
    text = re.sub(r'"query_ms": [\d.e-]+', '"query_ms": N', text)
    return text


def _bin(name: str) -> str:
    return shutil.which(name, path=str(Path(sys.executable).parent)) or name


@pytest.mark.slow
def test_datasette_kb_db_kb_serve_and_a_replica_give_the_same_pages(real_db, tmp_path):
    """`datasette kb.db` (the plugin supplies metadata, settings, templates), kb serve, and `datasette DIR` on
    the configuration directory kb serve --metadata writes: page for page the same."""
    plain = tmp_path / "plain" / "kb.db"
    plain.parent.mkdir()
    shutil.copyfile(real_db, plain)
    site = tmp_path / "site"
    assert subprocess.run([_bin("kb"), "serve", "--metadata", str(site), "--db", str(real_db)],
                          capture_output=True, timeout=120).returncode == 0
    ports = [_free_port() for _ in range(3)]
    commands = {
        "datasette kb.db": [_bin("datasette"), str(plain), "--port", str(ports[0])],
        "kb serve": [_bin("kb"), "serve", "--port", str(ports[1]), "--stop-after", "300", "--db", str(real_db)],
        "datasette DIR": [_bin("datasette"), str(site), "--port", str(ports[2])],
    }
    pages: dict[str, dict[str, tuple[int, str]]] = {}
    for name, argv in commands.items():
        with _Served(argv, ports[list(commands).index(name)]) as s:
            pages[name] = {p: s.get(p) for p in SITE_PAGES}
            pages[name] = {p: (status, _normal(text, s.base)) for p, (status, text) in pages[name].items()}
            err = s.stop()
        assert "Traceback" not in err, (name, err)
    first = pages["kb serve"]
    for name, got in pages.items():
        for path in SITE_PAGES:
            assert got[path][0] == 200, (name, path, got[path][0])
            assert got[path][1] == first[path][1], f"{name} differs from kb serve on {path}"
    assert "_memory" not in first["/"][1] and "科技成果转化" in first["/"][1]


@pytest.fixture(scope="module")
def clean_venv(tmp_path_factory):
    """kbcli's wheel, built from this checkout, installed with the web extra in a new virtual environment
    (what the Dockerfile's two stages do, without a container engine)."""
    from conftest import ROOT

    base = tmp_path_factory.mktemp("wheel")
    wheels, venv = base / "wheels", base / "venv"
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-cache-dir", "--no-deps", "--wheel-dir",
                           str(wheels), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    wheel = next(wheels.glob("kbcli-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    done = subprocess.run([str(venv / "bin" / "pip"), "install", "--no-cache-dir", f"{wheel}[web]"],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    return venv, wheel


def _dockerfile_steps() -> tuple[list[str], list[str]]:
    """The Dockerfile's RUN lines of its last stage, and its CMD."""
    from conftest import ROOT

    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    last = text.split("\nFROM ")[-1]
    runs = [line[4:] for line in last.splitlines() if line.startswith("RUN ")]
    cmd = json.loads(next(line[4:] for line in last.splitlines() if line.startswith("CMD ")))
    return runs, cmd


@pytest.mark.slow
def test_the_container_recipe_runs_from_the_wheel_in_a_clean_venv(clean_venv, tmp_path):
    """No container engine here: the image's commands run in a clean venv made from the built wheel, with
    /srv under a temporary folder and the server on 127.0.0.1 instead of 0.0.0.0."""
    import os

    venv, _ = clean_venv
    runs, cmd = _dockerfile_steps()
    srv = tmp_path / "srv"
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}", "KB_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("VIRTUAL_ENV", None)
    for line in runs:
        if line.startswith(("pip ", "useradd ")):
            continue  # the install is clean_venv's; the user is the container's
        done = subprocess.run(["bash", "-c", line.replace("/srv", str(srv))], env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, (line, done.stderr)
    db = srv / "kb" / "kb.db"
    assert db.exists() and not os.access(db, os.W_OK) or os.geteuid() == 0
    before = db.read_bytes()
    port = _free_port()
    argv = [a.replace("/srv", str(srv)).replace("0.0.0.0", "127.0.0.1").replace("8001", str(port)) for a in cmd]
    assert argv[0] == "kb"
    with _Served([str(venv / "bin" / "kb"), *argv[1:]], port, env=env) as s:
        status, page = s.get("/kb/records/law-sttl")
        assert status == 200 and "kb-title" in page and "中华人民共和国促进科技成果转化法" in page
        assert s.get("/-/ask?q=%E4%B8%AD%E8%AF%95")[0] == 200
        s.proc.send_signal(__import__("signal").SIGTERM)
        _, err = s.proc.communicate(timeout=30)
        assert s.proc.returncode == 143 and err.strip().splitlines()[-1] == "kb: stopped by SIGTERM", err
    assert db.read_bytes() == before


@pytest.mark.slow
def test_datasette_package_with_the_wheel_as_a_local_file(clean_venv, real_db, tmp_path):
    """What `datasette package` builds (its Dockerfile, made by Datasette itself for the README's command)
    run in the clean venv: `datasette inspect`, then its CMD, serve kb's pages."""
    import os
    import shlex

    from datasette.utils import make_dockerfile

    venv, wheel = clean_venv
    app = tmp_path / "app"
    (app / "wheel").mkdir(parents=True)
    shutil.copyfile(wheel, app / "wheel" / wheel.name)
    assert subprocess.run([str(venv / "bin" / "kb"), "serve", "--metadata", str(tmp_path / "site"), "--db",
                           str(real_db)], capture_output=True, timeout=120).returncode == 0
    for name in ("kb.db", "metadata.json"):
        shutil.copyfile(tmp_path / "site" / name, app / name)
    dockerfile = make_dockerfile(["kb.db"], "metadata.json", None, None, None, None, [("wheel", "dist")],
                                 [f"/app/wheel/{wheel.name}"], False, None, "secret")
    runs = [line[4:] for line in dockerfile.splitlines() if line.startswith("RUN ")]
    assert any(f"/app/wheel/{wheel.name}" in r for r in runs)
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"}
    inspect = next(r for r in runs if r.startswith("datasette inspect"))
    assert subprocess.run(["bash", "-c", inspect], cwd=app, env=env, timeout=300).returncode == 0
    cmd = next(line[4:] for line in dockerfile.splitlines() if line.startswith("CMD "))
    port = _free_port()
    argv = shlex.split(cmd.replace("$PORT", str(port)).replace("0.0.0.0", "127.0.0.1"))
    with _Served([str(venv / "bin" / argv[0]), *argv[1:]], port, cwd=app, env=env) as s:
        status, page = s.get("/kb/records/law-sttl")
        assert status == 200 and "kb-title" in page
        assert "_memory" not in s.get("/")[1]


@pytest.mark.slow
def test_the_readme_publish_commands_run_as_written(real_db, tmp_path):
    """Each line of the README's publish commands, run as written from a folder of its own (the ports they
    name swapped for free ones): the ones that write, to their end; the ones that serve, until they answer
    kb's pages, then stopped with SIGTERM, cleanly."""
    import os
    import re
    import shlex
    import signal

    from conftest import ROOT

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- publish-commands -->\n```sh\n(.+?)\n```", text, re.DOTALL)
    assert block, "the README's publish commands"
    lines = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(lines) >= 4
    (tmp_path / "deploy").symlink_to(ROOT / "deploy")
    env = {**os.environ, "KB_DB": str(real_db), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    for line in lines:
        argv = shlex.split(line)
        argv[0] = sys.executable if argv[0] == "python" else _bin(argv[0])
        written = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--port"), None)
        if written is None:  # writes, and ends
            done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0 and "Traceback" not in done.stderr, (line, done.stderr)
            continue
        port = _free_port()
        argv[argv.index("--port") + 1] = str(port)
        with _Served(argv, port, cwd=tmp_path, env=env) as s:
            status, page = s.get("/kb/records/law-sttl")
            assert status == 200 and "kb-title" in page, line
            s.proc.send_signal(signal.SIGTERM)
            _, err = s.proc.communicate(timeout=60)
        assert "Traceback" not in err, (line, err)
        assert s.proc.returncode in (0, 143, -15), (line, s.proc.returncode, err)
    assert (tmp_path / "site" / "kb.db").exists()


ASK = ["Which cities fund proof-of-concept centres?", "陕西有哪些解决不敢转的做法", "2022年全国技术合同成交额",
       "What laws govern job-related results?", "中試基地", "合肥的概念验证中心", "xyzzy foo",
       "Which practices address 不敢转 since 2020?"]


@pytest.mark.parametrize("question", ASK)
def test_the_question_box_answers_as_kb_ask_and_links_the_same_records(ds, kb, question):
    """/-/ask.json is kb ask --format json (plus the table link), and the table it links to holds exactly
    the records kb ask found (a query's reading)."""
    expected = json.loads(kb("ask", question, "-f", "json").stdout)
    got = _get(ds, f"/-/ask.json?q={quote(question)}").json()
    assert got["interpretation"] == expected["interpretation"]
    assert [r["id"] for r in got["records"]] == [r["id"] for r in expected["records"]]
    it, table = got["interpretation"], got["table"]
    if it["mode"] == "query":
        rows = _get(ds, f"/kb/{table['table']}.json?{table['query']}&_shape=array&_col=id&_size=max").json()
        assert len(rows) == it["matches"], (table, len(rows), it["matches"])
    elif it["mode"] == "search":
        assert table and "_search=" in table["query"]
    page = _get(ds, f"/-/ask?q={quote(question)}")
    assert page.status_code == 200 and it["command"].replace("'", "&#39;") in page.text


def test_the_question_box_refuses_what_is_not_a_question(ds):
    for q, status in (("问" * 301, 400), ("\x1b[31mred", 400), ("a\u202eb", 400), ("", 200)):
        r = _get(ds, f"/-/ask.json?q={quote(q)}")
        assert r.status_code == status, (q, r.status_code)
        assert "Traceback" not in r.text


def test_one_database_listed_and_kb_settings(ds):
    assert [d["name"] for d in _get(ds, "/-/databases.json").json()] == ["kb"]
    from kbcli.publish.metadata import SETTINGS

    settings = _get(ds, "/-/settings.json").json()
    assert {k: settings[k] for k in SETTINGS} == SETTINGS
