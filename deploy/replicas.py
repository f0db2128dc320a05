"""Replicas of kb serve behind HAProxy, on this machine's loopback, started and stopped by one command.

    python deploy/replicas.py run --db kb.db [--replicas 2] [--port 8080]    # until Ctrl-C or SIGTERM
    python deploy/replicas.py start --db kb.db --dir RUN [...]               # in the background; then
    python deploy/replicas.py status --dir RUN                               # each replica UP or DOWN
    python deploy/replicas.py stop --dir RUN                                 # everything it started

Each replica is ``kb serve --port 0 --host 127.0.0.1`` on its own copy of the database (made once by
``kb serve --metadata RUN/site``: the file is immutable, so copies never drift); HAProxy (Debian's
``haproxy``) balances them round robin with a health check on ``/-/health`` (deploy/haproxy.cfg.in).
``start`` returns once HAProxy reports every replica UP. Everything listens on 127.0.0.1 only; a
public deployment puts the same configuration on each host (README, "Publishing").

Used by tests/test_load.py and benchmarks/load.py through ``Cluster``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Self

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "haproxy.cfg.in"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kb_executable() -> str:
    return shutil.which("kb", path=str(Path(sys.executable).parent)) or shutil.which("kb") or "kb"


class Cluster:
    """``replicas`` kb serve processes behind one HAProxy on 127.0.0.1:``port`` (0: a free port)."""

    def __init__(self, db: Path, replicas: int = 2, port: int = 0, run_dir: Path | None = None,
                 stop_after: float = 3600, haproxy: str = "haproxy"):
        self.db, self.n, self.stop_after, self.haproxy = Path(db), replicas, stop_after, haproxy
        self.port = port or free_port()
        self.dir = Path(run_dir) if run_dir else Path(tempfile.mkdtemp(prefix="kb-replicas-"))
        self.replicas: list[tuple[subprocess.Popen, int]] = []
        self.balancer: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> Self:
        try:
            self._start(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, timeout: float) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        site = self.dir / "site"
        subprocess.run([kb_executable(), "serve", "--metadata", str(site), "--db", str(self.db)], check=True,
                       capture_output=True, timeout=timeout)
        for i in range(self.n):
            copy = self.dir / f"replica{i}.db"  # each replica its own file, as on its own host
            shutil.copyfile(site / "kb.db", copy)
            log = self.dir / f"replica{i}.log"
            with open(log, "w") as err:  # the replica writes its messages there, first the URL it serves
                proc = subprocess.Popen([kb_executable(), "serve", "--port", "0", "--host", "127.0.0.1",
                                         "--stop-after", str(self.stop_after), "--db", str(copy)],
                                        stdout=subprocess.DEVNULL, stderr=err)
            self.replicas.append((proc, 0))
            port = self._bound(proc, log, timeout)
            self.replicas[-1] = (proc, port)
        servers = "\n".join(f"    server r{i} 127.0.0.1:{port} check" for i, (_, port) in enumerate(self.replicas))
        cfg = TEMPLATE.read_text(encoding="utf-8").replace("@SOCKET@", str(self.dir / "haproxy.sock")) \
            .replace("@BIND@", f"127.0.0.1:{self.port}").replace("@SERVERS@", servers)
        (self.dir / "haproxy.cfg").write_text(cfg, encoding="utf-8")
        check = subprocess.run([self.haproxy, "-c", "-q", "-f", str(self.dir / "haproxy.cfg")], check=False,
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy refuses the configuration: {check.stderr.strip()}")
        self.balancer = subprocess.Popen([self.haproxy, "-db", "-f", str(self.dir / "haproxy.cfg")],
                                         stdout=subprocess.DEVNULL, stderr=open(self.dir / "haproxy.log", "w"))  # noqa: SIM115
        self._write_state()
        self.wait(lambda states: len(states) == self.n and all(s == "UP" for s in states.values()), timeout)

    @staticmethod
    def _bound(proc: subprocess.Popen, log: Path, timeout: float) -> int:
        """The port a replica listens on, from the line it writes once its socket is bound."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = log.read_text(encoding="utf-8", errors="replace")
            for line in text.splitlines():
                if line.startswith("kb: serving http://127.0.0.1:"):
                    return int(line.split()[2].split(":")[2].split("/")[0])
            if proc.poll() is not None:
                raise RuntimeError(f"a replica did not start: {text.strip()[-300:]}")
            time.sleep(0.05)
        raise TimeoutError("a replica did not start in time")

    def _write_state(self) -> None:
        state = {"url": self.url, "balancer": self.balancer.pid if self.balancer else None,
                 "replicas": [{"pid": p.pid, "port": port} for p, port in self.replicas]}
        (self.dir / "state.json").write_text(json.dumps(state, indent=1), encoding="utf-8")

    def states(self) -> dict[str, str]:
        """Each replica's state as HAProxy sees it (UP, DOWN, ...), from its stats socket."""
        return socket_states(self.dir / "haproxy.sock")

    def wait(self, ok, timeout: float = 60) -> dict[str, str]:
        """Until ``ok(states)`` holds (polling HAProxy's stats socket); raises TimeoutError after ``timeout``."""
        deadline = time.monotonic() + timeout
        states: dict[str, str] = {}
        while time.monotonic() < deadline:
            if self.balancer is not None and self.balancer.poll() is not None:
                raise RuntimeError(f"haproxy exited ({self.balancer.returncode}): "
                                   f"{(self.dir / 'haproxy.log').read_text(errors='replace')[-500:]}")
            try:
                states = self.states()
            except OSError:
                states = {}
            if ok(states):
                return states
            time.sleep(0.05)
        raise TimeoutError(f"replicas did not reach the expected state: {states}")

    def stop(self) -> None:
        """Stop everything this cluster started (the balancer, then the replicas), waiting for each."""
        procs = ([self.balancer] if self.balancer else []) + [p for p, _ in self.replicas]
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=15)
        self.balancer, self.replicas = None, []

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def socket_states(sock_path: Path) -> dict[str, str]:
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(2)
        s.connect(str(sock_path))
        s.sendall(b"show stat\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    lines = data.decode().splitlines()
    head = lines[0].lstrip("# ").split(",")
    out = {}
    for line in lines[1:]:
        row = dict(zip(head, line.split(",")))
        if row.get("pxname") == "replicas" and row.get("svname") not in ("BACKEND", "FRONTEND", None):
            out[row["svname"]] = row.get("status", "").split()[0] if row.get("status") else ""
    return out


def _stop_dir(run_dir: Path) -> None:
    state = json.loads((run_dir / "state.json").read_text(encoding="utf-8"))
    pids = [state.get("balancer")] + [r["pid"] for r in state.get("replicas", [])]
    for pid in pids:
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 15
    for pid in pids:
        while pid and time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=["run", "start", "status", "stop"])
    ap.add_argument("--db", help="the database to serve (kb load --db FILE)")
    ap.add_argument("--replicas", type=int, default=2)
    ap.add_argument("--port", type=int, default=8080, help="HAProxy's port on 127.0.0.1 (0: a free one)")
    ap.add_argument("--dir", help="where the copies, the configuration and the logs go (start/status/stop)")
    args = ap.parse_args(argv)
    run_dir = Path(args.dir) if args.dir else None
    if args.action in ("status", "stop"):
        if run_dir is None:
            ap.error("--dir is needed")
        if args.action == "stop":
            _stop_dir(run_dir)
            print(f"stopped the replicas of {run_dir}")
        else:
            print(json.dumps(socket_states(run_dir / "haproxy.sock"), indent=1))
        return 0
    if not args.db or args.replicas < 1:
        ap.error("--db is needed, and at least one replica")
    cluster = Cluster(Path(args.db), args.replicas, args.port, run_dir,
                      stop_after=10 ** 9 if args.action == "start" else 3600 * 24 * 365)
    cluster.start()
    print(f"{cluster.url}/kb  {args.replicas} replica(s) UP behind HAProxy; run files in {cluster.dir}", flush=True)
    if args.action == "start":
        return 0
    stopped = []
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, lambda signum, frame: stopped.append(signum))
    try:
        while not stopped:
            time.sleep(0.2)
    finally:
        cluster.stop()
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
