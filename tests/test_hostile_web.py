"""Hostile input, the web: kb serve at the edges. Signals at any instant end it with one line and the
right exit code; numeric options refuse inf and nan; malformed URLs, methods and parameters answer 4xx
and print no traceback on the server's terminal, which keeps serving; a javascript: or data: address in
the data (a database built before validation refused them) never becomes a link, on a page or in the
metadata written for publishing; --metadata never writes over the database or the seed."""

from __future__ import annotations

import json
import random
import shutil
import signal
import socket
import sqlite3
import time

import pytest
from conftest import SEED
from hostile import KB_SCRIPT, Process, expect, kb_inprocess, signal_state, snapshot

pytest.importorskip("datasette")

CAT = "web"
SIGNALS = {signal.SIGINT: (130, "kb: interrupted"), signal.SIGTERM: (143, "kb: stopped by SIGTERM"),
           signal.SIGHUP: (129, "kb: stopped by SIGHUP")}


@pytest.fixture
def db(real_db, tmp_path):
    path = tmp_path / "db" / "kb.sqlite"
    path.parent.mkdir()
    shutil.copy(real_db, path)
    return path


def _serving(p: Process, timeout: float = 60) -> int:
    """The port kb serve listens on, read from its first line on stderr."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        p._err.seek(0)
        text = p._err.read().decode("utf-8", "replace")
        if "kb: serving http://127.0.0.1:" in text:
            return int(text.split("kb: serving http://127.0.0.1:")[1].split("/")[0])
        assert p.p.poll() is None, text
        time.sleep(0.02)
    raise AssertionError("kb serve did not start")


def _raw(port: int, request: bytes) -> tuple[int, bytes]:
    """One request sent as bytes (no client normalises the path): the status and the body."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def _redirected(port: int, target: str) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        head = s.recv(65536).split(b"\r\n\r\n")[0].decode("latin-1")
    location = next(line.split(":", 1)[1].strip() for line in head.splitlines() if line.lower().startswith("location:"))
    assert location.startswith("/") and not location.startswith("//"), location
    return _get(port, location)[0]


def _get(port: int, target: str, method: str = "GET") -> tuple[int, bytes]:
    return _raw(port, f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())


@pytest.mark.slow
@pytest.mark.timing
@pytest.mark.parametrize("sig", list(SIGNALS), ids=lambda s: s.name)
def test_a_signal_ends_kb_serve_cleanly_while_it_serves(db, sig):
    p = Process(["serve", "--port", "0", "--stop-after", "120", "--db", str(db)])
    port = _serving(p)
    assert _get(port, "/kb/records/law-sttl")[0] == 200
    p.p.send_signal(sig)
    run = p.finish(timeout=30)
    code, message = SIGNALS[sig]
    expect(run, code, message, category=CAT, case=f"kb serve, {sig.name} while serving", lines=2, seconds=60)
    assert run.lines()[-1] == message


@pytest.mark.slow
@pytest.mark.timing
def test_signals_at_random_instants_while_serving(db):
    """0 to 2 s after the server said it serves: Datasette's start, the first requests, idle."""
    rng = random.Random(18)
    for sig in [signal.SIGINT, signal.SIGTERM, signal.SIGHUP] * 2:
        p = Process(["serve", "--port", "0", "--stop-after", "120", "--db", str(db)])
        _serving(p)
        time.sleep(rng.uniform(0, 2))
        p.p.send_signal(sig)
        run = p.finish(timeout=30)
        code, message = SIGNALS[sig]
        expect(run, code, message, category=CAT, case=f"kb serve, {sig.name} at a random instant while serving",
               lines=2, seconds=60)
        assert run.lines()[-1] == message, run.err


@pytest.mark.slow
@pytest.mark.timing
def test_signals_at_random_instants_from_start(db):
    """0 to 3 s after start: Python's start-up, kb's imports, the database check, Datasette's start. From the kb
    script's first line on, one line and the signal's exit code; before it (the interpreter's own start, told
    apart by the process's caught-signal mask, not by timing) the signal's default action, never a traceback."""
    rng = random.Random(18)
    for sig in [signal.SIGINT, signal.SIGTERM, signal.SIGHUP] * 3:
        p = Process(["serve", "--port", "0", "--stop-after", "120", "--db", str(db)], argv0=KB_SCRIPT)
        time.sleep(max(0.0, p.t0 + rng.uniform(0, 3) - time.monotonic()))
        when = "ended" if p.p.poll() is not None else signal_state(p.pid)
        p.p.send_signal(sig)
        run = p.finish(timeout=30)
        code, message = SIGNALS[sig]
        assert "Traceback" not in run.err, run.err
        if when == "start" and not (run.code == code and run.lines() and run.lines()[-1] == message):
            assert run.code != 0 and "kbcli" not in run.err, run.err  # the default action, before kb's code
            continue
        expect(run, code, message, category=CAT, case=f"kb serve, {sig.name} at a random instant ({when})",
               lines=None, seconds=60)
        assert run.lines()[-1] == message and len(run.lines()) <= 2, run.err


@pytest.mark.parametrize("value", ["inf", "-inf", "1e400", "nan", "-1", "1e12", "soon"])
def test_stop_after_takes_a_finite_number_of_seconds(db, value):
    run = kb_inprocess("serve", "--port", "0", "--stop-after", value, "--db", str(db))
    expect(run, 2, "--stop-after", category=CAT, case=f"kb serve --stop-after {value}", out="")


MALFORMED = [
    ("GET", "//x", 404), ("GET", "//evil.example/", 404), ("GET", "/../../etc/passwd", 404),
    ("GET", "/kb/../../etc/passwd", 404), ("GET", "/kb/records/-/insert", 404), ("GET", "/kb/records/./x", 404),
    ("GET", "/\\evil.example/", 404), ("GET", "/kb/%ZZ", "302 404"), ("GET", "/kb/records/%00", "302 404"),
    ("POST", "/kb/records", 405), ("PUT", "/kb/records/law-sttl", 405), ("DELETE", "/kb/records/law-sttl", 405),
    ("POST", "/-/ask", 405), ("GET", "/kb/records?_sort=nonexistent", 400), ("GET", "/kb/records?_sort_desc=x", 400),
    ("GET", "/kb/records?_sort=id&_sort_desc=id", 400), ("GET", "/kb/records?_size=-1", 400),
    ("GET", "/kb/records?_size=abc", 400), ("GET", "/kb/records?_col=nope", 400), ("GET", "/kb/records?_nocol=id", 400),
    ("GET", "/kb/records?_region=nowhere", 400), ("GET", "/kb/records?_since=yesterday", 400),
    ("GET", "/kb/records?_level=galaxy", 400), ("GET", "/kb/records.json?_sort=nonexistent", 400),
    ("GET", "/kb/nope", 404), ("GET", "/kb/records/no-such-record", 404), ("GET", "/kb/terms/no-such-term", 404),
    ("GET", "/nope/records", 404), ("GET", "/kb.json?sql=DELETE+FROM+records", 400),
    ("GET", "/kb.json?sql=select+*+from+nope", 400), ("GET", "/-/ask?q=" + "x" * 400, 400),
    ("GET", "/-/ask?q=%1b%5b31m", 400), ("GET", "/-/ask.json?q=" + "问" * 301, 400),
]


def test_malformed_requests_answer_4xx_and_no_traceback(db):
    p = Process(["serve", "--port", "0", "--stop-after", "120", "--db", str(db)])
    port = _serving(p)
    try:
        for method, target, status in MALFORMED:
            t = time.monotonic()
            got, body = _get(port, target, method)
            if status == "302 404":  # Datasette's own redirect from %-escapes to its ~-escapes, then not found
                assert got == 302, (method, target, got)
                got, body, status = _redirected(port, target), b"", 404
            assert got == status, (method, target, got, body[:300])
            assert b"Traceback" not in body, (method, target)
            expect_line = f"{method} {target[:60]}"
            from hostile import LOG

            LOG.append((CAT, f"kb serve: {expect_line} answers {status}", time.monotonic() - t, None))
        # bytes no client would send: a path that is not ASCII, a control character
        for raw in (b"GET /kb/\xe4\xb8\xad HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    b"GET /kb/records\x7f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"):
            got, _ = _raw(port, raw)
            assert 400 <= got < 500, raw
        assert _get(port, "/kb/records/law-sttl")[0] == 200, "still serving"
    finally:
        p.p.send_signal(signal.SIGTERM)
    run = p.finish(timeout=30)
    expect(run, 143, "kb: stopped by SIGTERM", category=CAT, case="kb serve after malformed requests", lines=None,
           seconds=120)
    assert "Traceback" not in run.err and "Error" not in run.err.replace("kb: stopped", ""), run.err


@pytest.fixture
def hostile_urls(real_db, tmp_path):
    """A database built before validation refused them: sources whose url is javascript: or data:."""
    path = tmp_path / "old" / "kb.sqlite"
    path.parent.mkdir()
    shutil.copy(real_db, path)
    conn = sqlite3.connect(path)
    ids = [r[0] for r in conn.execute("SELECT id FROM sources WHERE part_of IS NULL ORDER BY ord LIMIT 3")]
    urls = ["javascript:alert(document.domain)", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
            " JaVaScRiPt:alert(1)"]
    for sid, url in zip(ids, urls):
        conn.execute("UPDATE sources SET url = ?, doc = json_set(doc, '$.url', ?) WHERE id = ?", (url, url, sid))
    conn.commit()
    conn.close()
    return path, ids


def test_javascript_and_data_addresses_never_become_links(hostile_urls, tmp_path):
    import asyncio

    from kbcli.publish.serve import make_datasette

    path, ids = hostile_urls
    ds = make_datasette(path)

    async def pages():
        await ds.invoke_startup()
        out = {}
        for page in ["/", "/kb", "/kb/sources", "/-/metadata.json", *(f"/kb/sources/{i}" for i in ids),
                     *(f"/kb/sources/{i}.json" for i in ids)]:
            r = await ds.client.get(page)
            assert r.status_code == 200, page
            out[page] = r.text
        return out

    for page, text in asyncio.run(pages()).items():
        low = text.lower()
        for bad in ('href="javascript:', "href='javascript:", 'href="data:', 'href=" javascript:', "href=javascript"):
            assert bad not in low, (page, bad)
    assert "javascript:alert" in asyncio.run(pages())["/kb/sources/" + ids[0]]  # shown as text
    site = tmp_path / "site"
    run = kb_inprocess("serve", "--metadata", str(site), "--db", str(path))
    expect(run, 0, "kb: wrote", category=CAT, case="kb serve --metadata of a database with javascript: URLs")
    meta = (site / "metadata.json").read_text(encoding="utf-8").lower()
    assert 'href=\\"javascript' not in meta and 'href=\\"data:' not in meta and "javascript:alert" in meta
    json.loads(meta)


def test_metadata_never_writes_over_the_database_or_the_seed(db, tmp_path):
    seed = tmp_path / "seed.yaml"
    shutil.copy(SEED, seed)
    before = snapshot(db.parent, seed)
    for target, why in ((db.parent, "is"), (db, "not a directory"), (seed, "not a directory")):
        (db.parent / "kb.db").unlink(missing_ok=True)
        if target == db.parent:
            (db.parent / "kb.db").symlink_to(db)  # DIR/kb.db is the database read, through a link
        run = kb_inprocess("serve", "--metadata", str(target), "--db", str(db))
        expect(run, 2, why, category=CAT, case=f"kb serve --metadata {target.name} (the database or the seed)",
               out="")
        (db.parent / "kb.db").unlink(missing_ok=True)
        assert snapshot(db.parent, seed) == before
    link = tmp_path / "hard"
    link.mkdir()
    (link / "kb.db").hardlink_to(db)
    run = kb_inprocess("serve", "--metadata", str(link), "--db", str(db))
    expect(run, 2, "is the database", category=CAT,
           case="kb serve --metadata DIR whose kb.db is a hard link to the database",
           out="")
    assert snapshot(db.parent, seed) == before
