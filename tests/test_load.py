"""The load loop of benchmarks/load.py, bounded and small: every page answers 200 under concurrent
clients on loopback (speed targets live in benchmarks/, not here)."""

from __future__ import annotations

import sys

import pytest
from conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timing]

pytest.importorskip("datasette")
pytest.importorskip("httpx")


def test_the_load_loop_runs_against_kb_serve(real_db):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import load

    proc, base = load.start_server(real_db, stop_after=60)
    try:
        results = load.load(base, seconds=3, requests=12, concurrency=3)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert set(results) == set(load.PAGES)
    for name, r in results.items():
        assert r["errors"] == {} and r["requests"] == 12, (name, r)
        assert r["requests_per_s"] > 0 and r["p99_ms"] >= r["median_ms"] > 0
