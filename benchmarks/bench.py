"""kbcli benchmark: build, query, search and start-up, side by side in one run.

    python benchmarks/bench.py [--sizes 1000,10000,100000] [--runs 20] [--out benchmarks/out]

1. Synthetic seeds of N records are made from the real ones: the vocabularies
   and sources are kept, every law, pilot, model and practice is copied with
   its id (and the ids it links to) rewritten per copy.
2. Build: `kb load` against a bare `yaml.load(..., Loader=CSafeLoader)` of the
   same file, each in its own process, wall time and peak RSS.
3. In-process latency at each size (median and 95th percentile of --runs):
   faceted queries as matching ids, as the first page of full records, and as
   every matching record; searches with the first 20 hits.
4. Start-up on the real seed: `kb query ... --format json` and `kb ask ... --format json`
   against a minimal Typer app printing one line and `sqlite-utils query` on the same database.
   `--sizes ""` runs only this part.

Results print as Markdown tables and go to OUT/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "seed.yaml"
RECORDS = ("laws", "pilots", "models", "practices")
PY = sys.executable
KB = [PY, "-m", "kbcli"]

QUERIES = {
    "poc-centre + funding": {"mechanisms": ["概念验证中心"], "instruments": ["funding"]},
    "region 陕西 (with descendants)": {"regions": ["陕西"]},
    "blockage 不敢转, practices": {"blockages": ["不敢转"], "kinds": ["practice"]},
    "region 合肥 + text 中试": {"regions": ["合肥"], "text": ["中试"]},
    "since 2022, instrument funding": {"since": "2022", "instruments": ["funding"]},
}
SEARCHES = ["中试", "赋权", "概念验证", "转", "陝西", "proof-of-concept", "subsidies", "技术 经理人"]
PAGE = 50  # records a terminal page shows


class StrLoader(yaml.CSafeLoader):
    """Plain scalars stay strings, as kbcli's reader keeps them."""


StrLoader.yaml_implicit_resolvers = {k: [(t, r) for t, r in v if t == "tag:yaml.org,2002:null"]
                                     for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


class NoAliasDumper(yaml.CSafeDumper):
    """Every value written out in full: copies share nested lists in memory, and a real seed of this size
    would spell each one out (with aliases the file is a third of the size and parses much faster)."""

    def ignore_aliases(self, data):
        return True


def synthetic_seed(n: int, path: Path) -> int:
    """Write a seed of n records copied from the real ones; returns its size in bytes."""
    data = yaml.load(SEED.read_text(encoding="utf-8"), Loader=StrLoader)
    real = [(sec, r) for sec in RECORDS for r in data.get(sec) or []]
    out = {k: v for k, v in data.items() if k not in RECORDS}
    for sec in RECORDS:
        out[sec] = []
    copy = 0
    made = 0
    while made < n:
        batch = real[: n - made]  # the last copy may be partial
        present = {r["id"] for _, r in batch}  # links to records outside it point at the originals
        for sec, rec in batch:
            out[sec].append(_renamed(rec, present, copy))
        made += len(batch)
        copy += 1
    with open(path, "w", encoding="utf-8") as fh:
        yaml.dump(out, fh, Dumper=NoAliasDumper, allow_unicode=True, sort_keys=False, width=10_000)
    return path.stat().st_size


def _renamed(rec: dict, ids: set[str], copy: int) -> dict:
    if copy == 0:
        return rec

    def rid(x):
        return f"{x}-c{copy}" if x in ids else x

    r = dict(rec, id=rid(rec["id"]))
    if rec.get("legal_basis"):
        r["legal_basis"] = [dict(lb, law=rid(lb["law"])) for lb in rec["legal_basis"]]
    for key in ("implements", "related"):
        if rec.get(key):
            r[key] = [rid(x) for x in rec[key]]
    if rec.get("part_of"):
        r["part_of"] = rid(rec["part_of"])
    return r


def run_measured(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, rusage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err}")
    return wall, rusage.ru_maxrss / 1024


def bench_build(seed: Path, db: Path) -> dict:
    bare = [PY, "-c", "import sys, yaml; yaml.load(open(sys.argv[1], encoding='utf-8'), Loader=yaml.CSafeLoader)",
            str(seed)]
    bare_s, bare_mb = run_measured(bare)
    if db.exists():
        db.unlink()
    kb_s, kb_mb = run_measured(KB + ["load", str(seed), "--db", str(db)])
    return {"bare_parse_s": round(bare_s, 2), "bare_parse_peak_mb": round(bare_mb),
            "kb_load_s": round(kb_s, 2), "kb_load_peak_mb": round(kb_mb), "db_mb": round(db.stat().st_size / 2**20, 1)}


def latency(fn, runs: int) -> dict:
    fn()  # warm: first use loads vocabularies and pages
    ts = []
    n = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        n = len(fn())
        ts.append((time.perf_counter() - t0) * 1000)
    ts.sort()
    return {"median_ms": round(statistics.median(ts), 2), "p95_ms": round(ts[int(0.95 * (len(ts) - 1))], 2),
            "results": n}


def bench_queries(db: Path, runs: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from kbcli.query.facets import Filters, query, query_ids
    from kbcli.query.kb import KB as KnowledgeBase
    from kbcli.query.search import search
    from kbcli.store.db import connect

    kb = KnowledgeBase(connect(db))
    out = {"query": {}, "query_page": {}, "query_all": {}, "search": {}}
    for name, f in QUERIES.items():
        # the facet evaluation alone; then the first page of full records (what a
        # terminal shows); then every matching record assembled with its evidence
        out["query"][name] = latency(lambda f=f: query_ids(kb, Filters(**f)), runs)
        out["query_page"][name] = latency(lambda f=f: query(kb, Filters(**f), limit=PAGE), runs)
        out["query_all"][name] = latency(lambda f=f: query(kb, Filters(**f)), runs)
    for term in SEARCHES:
        out["search"][term] = latency(lambda t=term: search(kb, t, limit=20), runs)
    return out


def bench_startup(db: Path, runs: int, workdir: Path) -> dict:
    minimal = workdir / "minimal_app.py"
    minimal.write_text("import typer\n\napp = typer.Typer()\n\n\n@app.command()\ndef main(name: str = 'x'):\n"
                       "    print('hello')\n\n\nif __name__ == '__main__':\n    app()\n")
    kb_bin = shutil.which("kb", path=str(Path(PY).parent)) or "kb"
    sqlite_utils_bin = shutil.which("sqlite-utils", path=str(Path(PY).parent)) or "sqlite-utils"
    cmds = {
        "kb query --mechanism 概念验证中心 --instrument funding --format json":
            [kb_bin, "query", "--mechanism", "概念验证中心", "--instrument", "funding", "--format", "json",
             "--db", str(db)],
        "kb ask \"Which cities fund concept-verification centres?\" --format json":
            [kb_bin, "ask", "Which cities fund concept-verification centres?", "--format", "json", "--db", str(db)],
        "minimal Typer app (prints one line)": [PY, str(minimal)],
        "sqlite-utils query (same database)":
            [sqlite_utils_bin, "query", str(db), "select d.doc from records r join record_docs d on d.rowid = r.rowid where r.id = 'hefei-poc-centre-award'"],
    }
    # Run from bytecode, as an installed package does: with PYTHONDONTWRITEBYTECODE set
    # (as on some machines) an editable install would otherwise compile every module of
    # kbcli on every run, while Typer's site-packages come precompiled.
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "kbcli")], check=True)
    for cmd in cmds.values():  # warm the page cache
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(runs):  # interleaved, so background load hits all alike
        for name, cmd in cmds.items():
            t0 = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[name].append((time.perf_counter() - t0) * 1000)
    return {k: {"median_ms": round(statistics.median(v), 1), "min_ms": round(min(v), 1)} for k, v in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict = {"python": sys.version.split()[0], "sizes": {}}
    import sqlite3

    results["sqlite"] = sqlite3.sqlite_version

    real_db = out / "real.sqlite"
    if real_db.exists():
        real_db.unlink()
    subprocess.run(KB + ["load", str(SEED), "--db", str(real_db)], check=True, capture_output=True)
    results["real"] = {"queries": bench_queries(real_db, args.runs)}
    results["startup"] = bench_startup(real_db, args.runs, out)
    _print_startup(results["startup"])

    for n in [int(x) for x in args.sizes.split(",") if x]:
        seed = out / f"seed-{n}.yaml"
        size = synthetic_seed(n, seed)
        db = out / f"kb-{n}.sqlite"
        build = bench_build(seed, db)
        build["seed_mb"] = round(size / 2**20, 1)
        q = bench_queries(db, args.runs)
        results["sizes"][n] = {"build": build, **q}
        _print_size(n, results["sizes"][n])
        seed.unlink()
        (out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    (out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nresults: {out / 'results.json'}")


def _print_startup(s: dict) -> None:
    base = s["minimal Typer app (prints one line)"]["median_ms"]
    print("\n## Start-up on the real seed (median of runs, wall time)\n")
    print("| command | median ms | min ms | × minimal Typer |")
    print("| --- | ---: | ---: | ---: |")
    for k, v in s.items():
        print(f"| {k} | {v['median_ms']} | {v['min_ms']} | {v['median_ms'] / base:.2f} |")


def _print_size(n: int, r: dict) -> None:
    b = r["build"]
    print(f"\n## {n} records (seed {b['seed_mb']} MB, database {b['db_mb']} MB)\n")
    print("| build | seconds | peak MB |")
    print("| --- | ---: | ---: |")
    print(f"| bare yaml.load (CSafeLoader) | {b['bare_parse_s']} | {b['bare_parse_peak_mb']} |")
    print(f"| kb load (parse, validate, insert, index) | {b['kb_load_s']} | {b['kb_load_peak_mb']} |")
    print(f"\n| query | ids: median ms | p95 ms | results | first {PAGE} records: median ms | all records: median ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for k, v in r["query"].items():
        page, every = r["query_page"][k], r["query_all"][k]
        print(f"| {k} | {v['median_ms']} | {v['p95_ms']} | {v['results']} | {page['median_ms']} | {every['median_ms']} |")
    print("\n| search (limit 20) | median ms | p95 ms | results |")
    print("| --- | ---: | ---: | ---: |")
    for k, v in r["search"].items():
        print(f"| {k} | {v['median_ms']} | {v['p95_ms']} | {v['results']} |")


if __name__ == "__main__":
    main()
