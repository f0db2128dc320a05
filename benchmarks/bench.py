"""kbcli benchmark: build, answers, search, kb ask and start-up, side by side in one run.

    python benchmarks/bench.py [--sizes 1000,10000,100000] [--build-only-sizes 1000000]
                               [--runs 15] [--build-runs 3] [--out benchmarks/out] [--parts ...]

How it measures, so the figures can be trusted:

* **Synthetic seeds** of N records are made from the real one: the vocabularies and sources are
  kept, every law, pilot, model and practice is copied with its id (and the ids it links to)
  rewritten per copy. They are written with every value spelled out (no YAML anchors or
  aliases): a real seed of that size would repeat its lists, and an aliased file is a third of
  the size and parses several times faster.
* **Time**: every figure is the median of several runs with their min–max. The build and its
  yardstick run in pairs (yardstick, then build, alternately), and the ratio is taken per pair,
  so background load hits both alike.
* **Memory** is measured from outside: a sampler reads the resident set of the process and of
  every process it starts (psutil, every 10 ms). It reports the largest single process and all
  of them together (the build runs two). `/usr/bin/time -v`'s maximum resident set of the same
  command is printed beside it as a check.
* **Floors** beside the build: libyaml's event loop alone (the least a YAML reader can do), a
  bare `yaml.load` with the garbage collector off (the stronger yardstick the targets use),
  with it on (the naive parse), the raw inserts of the database's own rows into empty tables,
  and the full-text insert of its own prepared text.
* Queries, answers, searches and kb ask run in-process on each size's database; start-up runs
  `kb` as a user does, from bytecode, against a minimal Typer app.

Results print as Markdown tables and go to OUT/results.json.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "seed.yaml"
RECORDS = ("laws", "pilots", "models", "practices")
PY = sys.executable
KB = [PY, "-m", "kbcli"]
PARTS = ("startup", "build", "floors", "query", "answers", "search", "ask")

QUERIES = {
    "poc-centre + funding": {"mechanisms": ["概念验证中心"], "instruments": ["funding"]},
    "region 陕西 (with descendants)": {"regions": ["陕西"]},
    "blockage 不敢转, practices": {"blockages": ["不敢转"], "kinds": ["practice"]},
    "region 合肥 + text 中试": {"regions": ["合肥"], "text": ["中试"]},
    "since 2022, instrument funding": {"since": "2022", "instruments": ["funding"]},
}
SEARCHES = ["中试", "赋权", "概念验证", "转", "技", "科技成果转化", "陝西", "合肥中试", "proof-of-concept", "subsidies",
            "技术 经理人"]
QUESTIONS = ["Which cities fund concept-verification centres?", "哪些城市资助概念验证中心？",
             "How much does Hefei give to pilot-plant bases?", "陕西有哪些解决不敢转的做法",
             "2022年全国技术合同成交额", "重庆怎样培训技术经理人",
             # issue 16: a place the base lacks, a name in its text, a long run cut, a term's figure
             "武汉的中试基地补贴是多少", "南开大学把科技成果转化收益的多少奖励给成果完成团队？",
             "科技創新引領產業創新有哪幾種模式？", "What share of universities have their own technology transfer office?"]
ANSWER_QUERY = {"regions": ["陕西"]}  # the big answer: every record placed in Shaanxi or within it
PAGE = 50  # records a terminal page shows


# ---------------------------------------------------------------- seeds


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
    """Write a seed of n records copied from the real ones, without aliases; returns its size in bytes."""
    data = yaml.load(SEED.read_text(encoding="utf-8"), Loader=StrLoader)
    real = [(sec, r) for sec in RECORDS for r in data.get(sec) or []]
    head = {k: v for k, v in data.items() if k not in RECORDS}
    dump = {"Dumper": NoAliasDumper, "allow_unicode": True, "sort_keys": False, "width": 10_000}
    with open(path, "w", encoding="utf-8") as fh:
        yaml.dump(head, fh, **dump)
        # each section written a thousand records at a time (the text yaml.dump of the whole would write):
        # yaml.dump builds a node for every value before writing, too many for a million records
        for sec in RECORDS:
            copy = made = 0
            if not any(s == sec for s, _ in real[:n]):
                fh.write(f"{sec}: []\n")
                continue
            fh.write(f"{sec}:\n")
            while made < n:
                batch = real[: n - made]  # the last copy may be partial
                present = {r["id"] for _, r in batch}  # links to records outside it point at the originals
                mine = [_renamed(rec, present, copy) for s, rec in batch if s == sec]
                for i in range(0, len(mine), 1000):
                    yaml.dump(mine[i:i + 1000], fh, **dump)
                made += len(batch)
                copy += 1
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


# ---------------------------------------------------------------- measuring processes


def run_tree(cmd: list[str], env: dict | None = None, sample: float = 0.01) -> dict:
    """Run ``cmd``; its wall time, and the peak resident memory of its largest process and of all its
    processes together (sampled from outside with psutil)."""
    import psutil

    t0 = time.perf_counter()
    proc = psutil.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    largest = together = 0
    peaks: dict[int, int] = {}
    stop = threading.Event()

    def watch() -> None:
        nonlocal largest, together
        while not stop.is_set():
            try:
                procs = [proc, *proc.children(recursive=True)]
            except psutil.Error:
                break
            total = 0
            for p in procs:
                try:
                    rss = p.memory_info().rss
                except psutil.Error:
                    continue
                peaks[p.pid] = max(peaks.get(p.pid, 0), rss)
                total += rss
            together = max(together, total)
            largest = max(largest, *peaks.values()) if peaks else largest
            stop.wait(sample)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    stop.set()
    watcher.join()
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err.decode(errors='replace')[-2000:]}")
    return {"s": wall, "largest_mb": largest / 2**20, "together_mb": together / 2**20, "processes": len(peaks)}


def gnu_time_peak(cmd: list[str]) -> float | None:
    """/usr/bin/time -v's maximum resident set size of ``cmd``, in MB (None where it is missing)."""
    if not Path("/usr/bin/time").exists():
        return None
    out = subprocess.run(["/usr/bin/time", "-v", *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True, check=True).stderr
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", out)
    return int(m.group(1)) / 1024 if m else None


def summary(values: list[float], digits: int = 2) -> dict:
    return {"median": round(statistics.median(values), digits), "min": round(min(values), digits),
            "max": round(max(values), digits), "runs": len(values)}


def _py(code: str, *args: str) -> list[str]:
    return [PY, "-c", code, *args]


EVENTS = _py("import sys\nfrom yaml._yaml import CParser\np = CParser(open(sys.argv[1], 'rb'))\n"
             "while p.get_event() is not None:\n    pass\n")
LOAD_GC_OFF = _py("import gc, sys, yaml\ngc.disable()\nyaml.load(open(sys.argv[1], 'rb'), Loader=yaml.CSafeLoader)\n")
LOAD_NAIVE = _py("import sys, yaml\nyaml.load(open(sys.argv[1], 'rb'), Loader=yaml.CSafeLoader)\n")


# ---------------------------------------------------------------- build


def bench_build(seed: Path, db: Path, runs: int, yardstick: bool = True) -> dict:
    """The build against its yardstick (a bare yaml.load, collector off), in pairs, and the naive parse."""
    load_times, build_times, ratios, largest, together = [], [], [], [], []
    for _ in range(runs):
        if yardstick:
            load_times.append(run_tree(LOAD_GC_OFF + [str(seed)])["s"])
        if db.exists():
            db.unlink()
        b = run_tree(KB + ["load", str(seed), "--db", str(db)])
        build_times.append(b["s"])
        largest.append(b["largest_mb"])
        together.append(b["together_mb"])
        if yardstick:
            ratios.append(b["s"] / load_times[-1])
    out = {"kb_load_s": summary(build_times), "kb_load_largest_mb": summary(largest, 0),
           "kb_load_together_mb": summary(together, 0), "db_mb": round(db.stat().st_size / 2**20, 1),
           "time_v_largest_mb": gnu_time_peak(KB + ["load", str(seed), "--db", str(db)])}
    if yardstick:
        naive = run_tree(LOAD_NAIVE + [str(seed)])
        out.update({"load_gc_off_s": summary(load_times), "ratio_to_gc_off": summary(ratios),
                    "naive_s": round(naive["s"], 2), "naive_mb": round(naive["largest_mb"]),
                    "ratio_to_naive": round(statistics.median(build_times) / naive["s"], 2),
                    "memory_vs_naive": round(statistics.median(together) / naive["largest_mb"], 2)})
    return out


def bench_floors(seed: Path, db: Path, runs: int) -> dict:
    """What the build cannot go below: reading the YAML's events, inserting its rows, indexing its text."""
    events = [run_tree(EVENTS + [str(seed)])["s"] for _ in range(runs)]
    inserts, fts = [], []
    for _ in range(runs):
        a, b = _raw_inserts(db)
        inserts.append(a)
        fts.append(b)
    return {"libyaml_events_s": summary(events), "raw_inserts_s": summary(inserts), "fts_insert_s": summary(fts)}


def _raw_inserts(db: Path) -> tuple[float, float]:
    """Seconds to insert the database's own rows into empty copies of its tables (no indexes), and to
    insert its full-text index's own prepared text into an empty index made as the build makes it."""
    src = sqlite3.connect(db)
    tables = [(n, sql) for n, sql in src.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' "
        "AND name NOT LIKE '%fts%' AND name NOT LIKE 'sqlite_%'")]
    rows = {n: src.execute(f'SELECT * FROM "{n}"').fetchall() for n, _ in tables}
    fts_sql = src.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'"
                          ).fetchone()[0]
    fts_name = re.search(r"CREATE VIRTUAL TABLE \"?(\w+)", fts_sql).group(1)
    cols = [r[1] for r in src.execute(f"PRAGMA table_info({fts_name})")]
    content = re.search(r"content=\"?(\w+)\"?", fts_sql)
    text_rows = src.execute(f"SELECT rowid, {', '.join(cols)} FROM {content.group(1) if content else fts_name}"
                            ).fetchall() if content else []
    src.close()
    gc.collect()
    tmp = db.with_name(db.stem + ".floor.sqlite")
    if tmp.exists():
        tmp.unlink()
    dst = sqlite3.connect(tmp)
    for p in ("journal_mode=OFF", "synchronous=OFF", "temp_store=MEMORY", "cache_size=-262144"):
        dst.execute(f"PRAGMA {p}")
    for _, sql in tables:
        dst.execute(sql)
    t0 = time.perf_counter()
    for n, _ in tables:
        if rows[n]:
            dst.executemany(f'INSERT INTO "{n}" VALUES ({",".join("?" * len(rows[n][0]))})', rows[n])
    dst.commit()
    inserts = time.perf_counter() - t0
    contentless = re.sub(r"content=\"?\w+\"?", "content=''", fts_sql)
    dst.execute(contentless)
    t0 = time.perf_counter()
    dst.executemany(f"INSERT INTO {fts_name} (rowid, {', '.join(cols)}) VALUES (?{', ?' * len(cols)})", text_rows)
    dst.commit()
    fts = time.perf_counter() - t0
    dst.close()
    tmp.unlink()
    return inserts, fts


# ---------------------------------------------------------------- in-process figures


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
            "min_ms": round(ts[0], 2), "max_ms": round(ts[-1], 2), "results": n}


def _kb(db: Path):
    sys.path.insert(0, str(ROOT))
    from kbcli.query.kb import KB as KnowledgeBase
    from kbcli.store.db import connect

    conn = connect(db)
    conn.set_progress_handler(None, 0)  # one command's 60-second bound: a benchmark runs many
    return KnowledgeBase(conn)


def bench_queries(db: Path, runs: int) -> dict:
    from kbcli.query.facets import Filters, query, query_ids

    kb = _kb(db)
    out: dict = {"ids": {}, "page": {}}
    for name, f in QUERIES.items():
        # the facet evaluation alone; then the first page of full records (what a terminal shows)
        out["ids"][name] = latency(lambda f=f: query_ids(kb, Filters(**f)), runs)
        out["page"][name] = latency(lambda f=f: query(kb, Filters(**f), limit=PAGE), runs)
    return out


def bench_answers(db: Path, runs: int) -> dict:
    """Every matching record printed, per record, to a buffer: json and jsonl as kb query prints them (the
    JSON lines the build made), and json, jsonl and csv from the records assembled (as every other
    command has them)."""
    from kbcli.query.facets import Filters, query, query_json
    from kbcli.render.output import emit_json_lines
    from kbcli.render.views import RECORD_COLUMNS_ALL, emit_rows, record_rows

    kb = _kb(db)
    out = {}
    for fmt in ("json", "jsonl"):
        def printed(fmt=fmt):
            made = query_json(kb, Filters(**ANSWER_QUERY))
            assert made is not None, "the database holds no JSON lines"
            emit_json_lines((line for line, _ in made), fmt, out=io.StringIO())
            return made
        out[f"{fmt}, kb query (stored lines)"] = latency(printed, max(3, runs // 3))
    for fmt in ("json", "jsonl", "csv"):
        def run(fmt=fmt):
            recs = query(kb, Filters(**ANSWER_QUERY))
            emit_rows(record_rows(recs), RECORD_COLUMNS_ALL, fmt, out=io.StringIO())
            return recs
        out[f"{fmt}, records assembled"] = latency(run, max(3, runs // 3))
    for r in out.values():
        r["us_per_record"] = round(1000 * r["median_ms"] / max(r["results"], 1), 1)
    return out


def bench_search(db: Path, runs: int) -> dict:
    from kbcli.query.search import search

    kb = _kb(db)
    return {term: latency(lambda t=term: search(kb, t, limit=20), runs) for term in SEARCHES}


def bench_ask(db: Path, runs: int) -> dict:
    from kbcli.query.ask import ask

    kb = _kb(db)
    return {q: latency(lambda q=q: ask(kb, q, limit=20).records, runs) for q in QUESTIONS}


# ---------------------------------------------------------------- start-up


def bench_startup(db: Path, runs: int, workdir: Path) -> dict:
    minimal = workdir / "minimal_app.py"
    minimal.write_text("import typer\n\napp = typer.Typer()\n\n\n@app.command()\ndef main(name: str = 'x'):\n"
                       "    print('hello')\n\n\nif __name__ == '__main__':\n    app()\n")
    kb_bin = shutil.which("kb", path=str(Path(PY).parent)) or "kb"
    su_bin = shutil.which("sqlite-utils", path=str(Path(PY).parent)) or "sqlite-utils"
    base = "minimal Typer app (prints one line)"
    cmds = {
        "kb query --mechanism 概念验证中心 --instrument funding --format json":
            [kb_bin, "query", "--mechanism", "概念验证中心", "--instrument", "funding", "--format", "json",
             "--db", str(db)],
        "kb ask \"Which cities fund concept-verification centres?\" --format json":
            [kb_bin, "ask", "Which cities fund concept-verification centres?", "--format", "json", "--db", str(db)],
        # kb's own work alone: kbcli.cli.main without kbcli.console's collector-off start and direct exit
        "kb query (same), without kbcli.console (collector on, full interpreter exit)":
            [PY, "-c", "import sys; from kbcli.cli import main; sys.exit(main())", "query", "--mechanism",
             "概念验证中心", "--instrument", "funding", "--format", "json", "--db", str(db)],
        base: [PY, str(minimal)],
        "sqlite-utils query (same database)":
            [su_bin, "query", str(db), "select id, name_zh from records where id = 'hefei-poc-centre-award'"],
    }
    # Run from bytecode, as an installed package does: with PYTHONDONTWRITEBYTECODE set an editable
    # install would compile every module of kbcli on every run, while Typer's come precompiled.
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "kbcli")], check=True)
    for cmd in cmds.values():  # warm the page cache
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(runs):  # interleaved, so background load hits all alike
        for name, cmd in cmds.items():
            t0 = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[name].append((time.perf_counter() - t0) * 1000)
    out = {}
    for name, ts in times.items():
        ratios = [t / b for t, b in zip(ts, times[base])]  # paired: the runs next to each other
        out[name] = {**summary(ts, 1), "ratio": summary(ratios, 3)}
    return out


# ---------------------------------------------------------------- report


def _fmt(s: dict, unit: str = "") -> str:
    return f"{s['median']}{unit} ({s['min']}–{s['max']})"


def print_startup(s: dict) -> None:
    print("\n## Start-up on the real seed (wall time, median (min–max) of interleaved runs)\n")
    print("| command | ms | × minimal Typer (paired) |")
    print("| --- | ---: | ---: |")
    for k, v in s.items():
        print(f"| {k} | {_fmt(v)} | {_fmt(v['ratio'])} |")


def print_size(n: int, r: dict) -> None:
    print(f"\n## {n} records (seed {r.get('seed_mb')} MB)\n")
    b, f = r.get("build"), r.get("floors")
    if b:
        print("| build | seconds | largest process MB | all processes MB |")
        print("| --- | ---: | ---: | ---: |")
        if f:
            print(f"| floor: libyaml events | {_fmt(f['libyaml_events_s'])} | | |")
        if "load_gc_off_s" in b:
            print(f"| yardstick: yaml.load, collector off | {_fmt(b['load_gc_off_s'])} | | |")
            print(f"| naive: yaml.load | {b['naive_s']} | {b['naive_mb']} | |")
        if f and "raw_inserts_s" in f:
            print(f"| floor: raw inserts of its rows | {_fmt(f['raw_inserts_s'])} | | |")
            print(f"| floor: full-text insert of its text | {_fmt(f['fts_insert_s'])} | | |")
        print(f"| **kb load** (parse, validate, insert, index) | {_fmt(b['kb_load_s'])} | "
              f"{_fmt(b['kb_load_largest_mb'])} | {_fmt(b['kb_load_together_mb'])} |")
        print(f"\n/usr/bin/time -v, largest process: {b['time_v_largest_mb'] and round(b['time_v_largest_mb'])} MB; "
              f"database {b['db_mb']} MB.")
        if "ratio_to_gc_off" in b:
            print(f"kb load ÷ yardstick (paired): {_fmt(b['ratio_to_gc_off'])}; ÷ naive parse: {b['ratio_to_naive']}; "
                  f"memory of all build processes ÷ naive parse: {b['memory_vs_naive']}.")
    if r.get("query"):
        q = r["query"]
        print("\n| query | ids ms (p95) | first 50 records ms | results |")
        print("| --- | ---: | ---: | ---: |")
        for k, v in q["ids"].items():
            print(f"| {k} | {v['median_ms']} ({v['p95_ms']}) | {q['page'][k]['median_ms']} | {v['results']} |")
    if r.get("answers"):
        print("\n| every record of region 陕西, printed | ms | µs per record | records |")
        print("| --- | ---: | ---: | ---: |")
        for fmt, v in r["answers"].items():
            print(f"| {fmt} | {v['median_ms']} | {v['us_per_record']} | {v['results']} |")
    for part, title, count in (("search", "search, first 20", "results"), ("ask", "kb ask, in-process", "records")):
        if r.get(part):
            print(f"\n| {title} | median ms | p95 ms | {count} |")
            print("| --- | ---: | ---: | ---: |")
            for k, v in r[part].items():
                print(f"| {k} | {v['median_ms']} | {v['p95_ms']} | {v['results']} |")


def print_growth(sizes: dict) -> None:
    """The build at every size in one table: how its time and memory grow with the records."""
    built = [(n, r) for n, r in sizes.items() if r.get("build")]
    if len(built) < 2:
        return
    print("\n## The build as the records grow\n")
    print("| records | seed MB | kb load s | µs per record | largest process MB | all processes MB | database MB |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n, r in built:
        b = r["build"]
        s = b["kb_load_s"]["median"]
        print(f"| {n} | {r['seed_mb']} | {s} | {round(1e6 * s / int(n), 1)} | {b['kb_load_largest_mb']['median']} | "
              f"{b['kb_load_together_mb']['median']} | {b['db_mb']} |")
    for n, r in built:
        if r.get("note"):
            print(f"\n{n} records: {r['note']}.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--build-only-sizes", default="", help="sizes built once, with the events floor only (1000000)")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--build-runs", type=int, default=3)
    ap.add_argument("--parts", default=",".join(PARTS), help=f"any of {', '.join(PARTS)}")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out"))
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict = {"python": sys.version.split()[0], "sqlite": sqlite3.sqlite_version, "sizes": {}}

    def save() -> None:
        (out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))

    if "startup" in parts:
        real_db = out / "real.sqlite"
        if real_db.exists():
            real_db.unlink()
        subprocess.run(KB + ["load", str(SEED), "--db", str(real_db)], check=True, capture_output=True)
        results["startup"] = bench_startup(real_db, args.runs, out)
        print_startup(results["startup"])
        save()
    sizes = [int(x) for x in args.sizes.split(",") if x]
    build_only = [int(x) for x in args.build_only_sizes.split(",") if x]
    for n in sizes + build_only:
        seed, db = out / f"seed-{n}.yaml", out / f"kb-{n}.sqlite"
        r: dict = {"seed_mb": round(synthetic_seed(n, seed) / 2**20, 1)}
        results["sizes"][n] = r
        if n in build_only:
            r["build"] = bench_build(seed, db, 1, yardstick=False)
            r["floors"] = {"libyaml_events_s": summary([run_tree(EVENTS + [str(seed)])["s"]])}
            r["note"] = "built once; yaml.load is left out at this size (its memory grows past this machine's)"
        else:
            if "build" in parts or not db.exists():
                r["build"] = bench_build(seed, db, args.build_runs if "build" in parts else 1)
            if "floors" in parts:
                r["floors"] = bench_floors(seed, db, args.build_runs)
            for part, fn in (("query", bench_queries), ("answers", bench_answers), ("search", bench_search),
                             ("ask", bench_ask)):
                if part in parts:
                    r[part] = fn(db, args.runs)
        save()
        seed.unlink()
        print_size(n, r)
    print_growth(results["sizes"])
    print(f"\nresults: {out / 'results.json'}")


if __name__ == "__main__":
    main()
