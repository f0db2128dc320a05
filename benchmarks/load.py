"""kb serve under load: requests per second and latency of one Datasette instance on loopback.

    python benchmarks/load.py [--sizes real,100000] [--seconds 20] [--concurrency 8] [--out benchmarks/out]

For each size (``real``: the packaged seed; N: a synthetic seed of N records made as benchmarks/bench.py
makes them) the database is built, ``kb serve --port 0`` starts on 127.0.0.1 and stops by itself, and a
bounded loop of concurrent HTTP clients (httpx, which Datasette brings) requests each page for
--seconds (or --requests, whichever ends first). Pages:

* facet page: ``/kb/records``, the HTML table with its six facets (kind, region, mechanism, instrument,
  blockage, status) over every record;
* facet page, narrowed: ``/kb/records?regions__arraycontains=hefei`` (a click on a facet);
* Chinese search: ``/kb/records?_search=概念验证``, the HTML page, facets included.

It reports requests/s, median and p99 latency and any non-200 answers, as Markdown and in
OUT/load.json. Client and server share the machine's cores, so the figures are a floor for one
instance; the README says how replicas of the immutable file scale it out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
PAGES = {
    "facet page (/kb/records, 6 facets)": "/records",
    "facet page, one region (regions contains hefei)": "/records?regions__arraycontains=hefei",
    "Chinese search (?_search=概念验证)": "/records?_search=" + quote("概念验证"),
}


def start_server(db: Path, stop_after: float) -> tuple[subprocess.Popen, str]:
    """``kb serve`` on a free loopback port; returns the process and its base URL (http://127.0.0.1:PORT/kb)."""
    exe = shutil.which("kb", path=str(Path(sys.executable).parent)) or "kb"
    proc = subprocess.Popen([exe, "serve", "--port", "0", "--stop-after", str(stop_after), "--db", str(db)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline() if proc.stderr else ""
    if not line.startswith("kb: serving http://127.0.0.1:"):
        proc.kill()
        raise SystemExit(f"kb serve did not start: {line}")
    return proc, line.split()[2]


async def _load(url: str, seconds: float, requests: int, concurrency: int) -> dict:
    import httpx

    latencies: list[float] = []
    errors: dict[str, int] = {}
    deadline = time.perf_counter() + seconds
    issued = 0

    async def worker(client) -> None:
        nonlocal issued
        while issued < requests and time.perf_counter() < deadline:
            issued += 1
            t0 = time.perf_counter()
            try:
                r = await client.get(url)
                status = str(r.status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            if status == "200":
                latencies.append(time.perf_counter() - t0)
            else:
                errors[status] = errors.get(status, 0) + 1

    async with httpx.AsyncClient(timeout=30) as client:
        await client.get(url)  # warm: the first request fills Datasette's caches
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    latencies.sort()
    n = len(latencies)
    return {"requests": n, "errors": errors, "seconds": round(wall, 2),
            "requests_per_s": round(n / wall, 1) if wall else 0.0,
            "median_ms": round(statistics.median(latencies) * 1000, 1) if n else None,
            "p99_ms": round(latencies[min(n - 1, int(0.99 * n))] * 1000, 1) if n else None}


def load(base: str, seconds: float, requests: int, concurrency: int) -> dict:
    """Every page of PAGES under the load loop, one after the other."""
    return {name: asyncio.run(_load(base + path, seconds, requests, concurrency)) for name, path in PAGES.items()}


def database(size: str, out: Path) -> Path:
    db = out / f"load-{size}.sqlite"
    if db.exists():
        db.unlink()
    if size == "real":
        seed = ROOT / "data" / "seed.yaml"
    else:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from bench import synthetic_seed

        seed = out / f"load-seed-{size}.yaml"
        synthetic_seed(int(size), seed)
    subprocess.run([sys.executable, "-m", "kbcli", "load", str(seed), "--db", str(db)], check=True,
                   capture_output=True)
    if seed.parent == out:
        seed.unlink()
    return db


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="real,100000")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--requests", type=int, default=100_000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict = {"concurrency": args.concurrency, "seconds": args.seconds, "sizes": {}}
    for size in [s for s in args.sizes.split(",") if s]:
        db = database(size, out)
        proc, base = start_server(db, stop_after=len(PAGES) * (args.seconds + 30) + 60)
        try:
            results["sizes"][size] = load(base, args.seconds, args.requests, args.concurrency)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        print(f"\n## {size} ({'packaged seed' if size == 'real' else size + ' records'}), "
              f"{args.concurrency} concurrent clients, {args.seconds:g} s a page\n")
        print("| page | requests/s | median ms | p99 ms | requests | errors |")
        print("| --- | ---: | ---: | ---: | ---: | --- |")
        for name, r in results["sizes"][size].items():
            print(f"| {name} | {r['requests_per_s']} | {r['median_ms']} | {r['p99_ms']} | {r['requests']} | "
                  f"{r['errors'] or '-'} |")
        (out / "load.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
