"""kb serve under load, beside plain Datasette on the same file, and one replica against two.

    python benchmarks/load.py [--sizes real,100000] [--db FILE] [--seconds 5] [--rounds 4] [--concurrency 8]
                              [--replicas] [--out benchmarks/out]

For each size (``real``: the packaged seed; N: a synthetic seed of N records made as benchmarks/bench.py
makes them; or ``--db FILE``, an existing database), two servers run at once on 127.0.0.1 on the same
file with the same settings (suggested facets off, kbcli.publish.metadata.SETTINGS):

* **kb**: ``kb serve`` (Datasette with kbcli's plugin: its pages, facets, ranking);
* **plain**: ``datasette --immutable`` with no plugin at all (Datasette's own pages; kbcli's entry point
  is not loaded), the yardstick of issue 21.

Each page is loaded on each server in turn, in short slices (``--seconds``), ``--rounds`` times, the
order of the two servers alternating, so that both see the same machine (it is shared: the load average
is recorded beside every slice). A slice is a bounded loop of ``--concurrency`` HTTP clients (httpx,
which Datasette brings); the figures are requests per second over all slices, median and p99 latency,
any answer that is not 200, and the server processes' own CPU time per request (psutil: user and system
time of every thread), which does not depend on what else the machine runs. Client and servers share
the machine's cores, so requests/s and latencies are floors.

With ``--replicas``, the same for HAProxy in front of one kb serve and in front of two
(deploy/replicas.py): throughput as replicas are added, on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
ZHONGSHI, POC = quote("中试"), quote("概念验证")
FACETS = "_facet=kind&_facet=status&" + "&".join(f"_facet_array={c}" for c in
                                                   ("regions", "mechanisms", "instruments", "addresses"))
# name -> (kb serve's path, plain Datasette's path for the same page, or None where it has none)
PAGES: dict[str, tuple[str, str | None]] = {
    "records page": ("/kb/records", "/kb/records"),
    "records page, faceted (kind, status, 4 tags)": ("/kb/records", f"/kb/records?{FACETS}"),
    "facet click (region anhui)": ("/kb/records?_region=anhui", f"/kb/records?regions__arraycontains=anhui&{FACETS}"),
    "facet click (kind practice)": ("/kb/records?kind=practice", f"/kb/records?kind=practice&{FACETS}"),
    "record page (law-sttl)": ("/kb/records/law-sttl", "/kb/records/law-sttl"),
    "term page (beijing)": ("/kb/terms/beijing", "/kb/terms/beijing"),
    "Chinese search (中试)": (f"/kb/records?_search={ZHONGSHI}", f"/kb/records?_search={ZHONGSHI}"),
    "Chinese search (概念验证)": (f"/kb/records?_search={POC}", None),
    "question box": ("/-/ask?q=" + quote("Which cities fund proof-of-concept centres?"), None),
}
REPLICA_PAGES = ("records page", "record page (law-sttl)", "Chinese search (概念验证)")
# Datasette without any plugin: kbcli's entry point (and any other) is not loaded
PLAIN = "import sys; sys._called_from_test = True; from datasette.cli import cli; cli(prog_name='datasette')"


def _wait_up(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}) before answering")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"no answer from {url}")


def start_server(db: Path, stop_after: float) -> tuple[subprocess.Popen, str]:
    """``kb serve`` on a free loopback port; returns the process and its base URL (http://127.0.0.1:PORT)."""
    exe = shutil.which("kb", path=str(Path(sys.executable).parent)) or "kb"
    proc = subprocess.Popen([exe, "serve", "--port", "0", "--stop-after", str(stop_after), "--db", str(db)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline() if proc.stderr else ""
    if not line.startswith("kb: serving http://127.0.0.1:"):
        proc.kill()
        raise SystemExit(f"kb serve did not start: {line}")
    base = line.split()[2].rsplit("/kb", 1)[0]
    _wait_up(base + "/-/health", proc)
    return proc, base


def start_plain(db: Path, workdir: Path) -> tuple[subprocess.Popen, str]:
    """Plain Datasette (no plugin) on the same file, named kb as kb serve names it, with kb serve's settings."""
    from kbcli.publish.metadata import SETTINGS

    sys.path.insert(0, str(ROOT / "deploy"))
    from replicas import free_port

    link = workdir / "kb.db"
    if link.exists() or link.is_symlink():
        link.unlink()
    link.symlink_to(Path(db).resolve())
    port = free_port()
    settings = [x for k, v in SETTINGS.items() for x in ("--setting", k, str(v).lower() if isinstance(v, bool) else
                                                         str(v))]
    settings = [("off" if x == "false" else x) for x in settings]
    proc = subprocess.Popen([sys.executable, "-c", PLAIN, "serve", "--immutable", str(link), "--host", "127.0.0.1",
                             "--port", str(port), *settings], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    _wait_up(base + "/-/versions.json", proc)
    return proc, base


async def _slice(url: str, seconds: float, requests: int, concurrency: int) -> dict:
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

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await client.get(url)  # warm: the first request fills the caches
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return {"latencies": latencies, "errors": errors, "seconds": wall}


def _cpu(pids: list[int]) -> float:
    """CPU seconds (user and system, every thread) the processes have used so far."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def summary(slices: list[dict]) -> dict:
    lat = sorted(x for s in slices for x in s["latencies"])
    cpu = sum(s.get("cpu", 0.0) for s in slices)
    wall = sum(s["seconds"] for s in slices)
    errors: dict[str, int] = {}
    for s in slices:
        for k, v in s["errors"].items():
            errors[k] = errors.get(k, 0) + v
    n = len(lat)
    counted = sum(len(s["latencies"]) + sum(s["errors"].values()) for s in slices)
    return {"requests": n, "errors": errors, "seconds": round(wall, 2),
            "requests_per_s": round(n / wall, 1) if wall else 0.0,
            # the servers' own CPU time per request: what the page costs, whatever else the machine runs
            "cpu_ms_per_request": round(cpu * 1000 / counted, 1) if counted and cpu else None,
            "median_ms": round(statistics.median(lat) * 1000, 1) if n else None,
            "p99_ms": round(lat[min(n - 1, int(0.99 * n))] * 1000, 1) if n else None}


def load(base: str, seconds: float, requests: int, concurrency: int, pages: dict | None = None) -> dict:
    """Every page of PAGES (kb serve's paths) under the load loop, one after the other."""
    return {name: summary([asyncio.run(_slice(base + kb, seconds, requests, concurrency))])
            for name, (kb, _) in (pages or PAGES).items()}


def interleaved(servers: dict[str, tuple[str, dict[str, str | None]]], rounds: int, seconds: float, concurrency: int,
                requests: int = 10 ** 9, pids: dict[str, list[int]] | None = None) -> tuple[dict, list[float]]:
    """{page: {server: summary}} with every page loaded on every server in turn, ``rounds`` times (the servers'
    order alternating), and the 1-minute load averages seen."""
    names = list(servers)
    pages = list(next(iter(servers.values()))[1])
    slices: dict[str, dict[str, list]] = {p: {s: [] for s in names} for p in pages}
    loads = []
    for r in range(rounds):
        for page in pages:
            for server in names if r % 2 == 0 else reversed(names):
                base, paths = servers[server]
                if paths.get(page) is None:
                    continue
                loads.append(os.getloadavg()[0])
                url = base + paths[page]
                asyncio.run(_slice(url, 0, 0, 1))  # warm, outside the CPU count
                before = _cpu((pids or {}).get(server, []))
                result = asyncio.run(_slice(url, seconds, requests, concurrency))
                result["cpu"] = _cpu((pids or {}).get(server, [])) - before
                slices[page][server].append(result)
    return {p: {s: summary(v) for s, v in by.items() if v} for p, by in slices.items()}, loads


def database(size: str, out: Path) -> Path:
    db = out / f"load-{size}.sqlite"
    if db.exists():
        return db  # built by an earlier run: the same seed makes the same database
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


def _table(title: str, results: dict, loads: list[float]) -> None:
    print(f"\n## {title}\n\nload average (1 min) during the run: {min(loads):.1f}-{max(loads):.1f} "
          f"(median {statistics.median(loads):.1f}) on {os.cpu_count()} cores\n")
    print("| page | server | requests/s | median ms | p99 ms | server CPU ms/request | requests | errors |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for page, by in results.items():
        for server, r in by.items():
            print(f"| {page} | {server} | {r['requests_per_s']} | {r['median_ms']} | {r['p99_ms']} | "
                  f"{r['cpu_ms_per_request']} | {r['requests']} | {r['errors'] or '-'} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="real,100000")
    ap.add_argument("--db", help="an existing database instead of --sizes")
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--replicas", action="store_true", help="also one kb serve against two behind HAProxy")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict = {"concurrency": args.concurrency, "seconds": args.seconds, "rounds": args.rounds, "sizes": {}}
    dbs = {Path(args.db).stem: Path(args.db)} if args.db else {s: database(s, out) for s in args.sizes.split(",") if s}
    for size, db in dbs.items():
        work = Path(tempfile.mkdtemp(prefix="kb-load-"))
        kb_proc, kb_base = start_server(db, stop_after=24 * 3600)
        plain_proc, plain_base = start_plain(db, work)
        try:
            servers = {"kb": (kb_base, {p: v[0] for p, v in PAGES.items()}),
                       "plain": (plain_base, {p: v[1] for p, v in PAGES.items()})}
            res, loads = interleaved(servers, args.rounds, args.seconds, args.concurrency,
                                     pids={"kb": [kb_proc.pid], "plain": [plain_proc.pid]})
        finally:
            for p in (kb_proc, plain_proc):
                p.terminate()
                p.wait(timeout=30)
        results["sizes"][size] = {"pages": res, "load_average": [min(loads), max(loads)]}
        _table(f"{size}: kb serve beside plain Datasette, {args.concurrency} clients, {args.rounds} x "
               f"{args.seconds:g} s a page and server, interleaved", res, loads)
        if args.replicas:
            sys.path.insert(0, str(ROOT / "deploy"))
            from replicas import Cluster

            with Cluster(db, 1, run_dir=work / "one") as one, Cluster(db, 2, run_dir=work / "two") as two:
                paths = {p: PAGES[p][0] for p in REPLICA_PAGES}
                rep, rloads = interleaved({"1 replica": (one.url, paths), "2 replicas": (two.url, paths)},
                                          args.rounds, args.seconds, args.concurrency,
                                          pids={"1 replica": [p.pid for p, _ in one.replicas],
                                                "2 replicas": [p.pid for p, _ in two.replicas]})
            results["sizes"][size]["replicas"] = {"pages": rep, "load_average": [min(rloads), max(rloads)]}
            _table(f"{size}: HAProxy in front of one kb serve and of two, interleaved", rep, rloads)
        shutil.rmtree(work, ignore_errors=True)
        (out / "load.json").write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
