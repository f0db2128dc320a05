"""The harness of the hostile-input corpus (tests/test_hostile_*.py).

Every case runs kb once, in a subprocess where signals, real stdio or peak
memory matter and in process otherwise, and checks with ``expect`` what every
case must hold: the exit code, the message, no traceback, bounded time, and
(with ``snapshot``) that nothing changed. Each ``expect`` records the case
under its category; the session ends with the corpus size by category and the
slowest and the most memory-hungry case (``report``, printed by conftest).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
KB = [sys.executable, "-m", "kbcli"]
KB_SCRIPT = [str(Path(sys.executable).with_name("kb"))]  # what users run: the script whose first lines catch signals
CATEGORIES = ("sql", "seeds", "databases", "signals", "concurrency", "arguments", "files", "outputs", "web")

# (category, case, seconds, peak RSS in MB or None) of every case checked
LOG: list[tuple[str, str, float, float | None]] = []

# What no output of kb may hold raw: escapes, BEL, bidirectional overrides and isolates.
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\u2066", "\u200f")


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float
    rss_mb: float | None = None

    def lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def _env(env: dict | None) -> dict:
    full = dict(os.environ)
    full.pop("COLUMNS", None)
    full.update(env or {})
    return {k: v for k, v in full.items() if v is not None}


class Process:
    """kb in a subprocess; ``finish`` reaps it with its resource usage (peak RSS)."""

    def __init__(self, args, env: dict | None = None, stdin=subprocess.DEVNULL, stdout=None,
                 cwd=None, new_session: bool = False, argv0: list | None = None):
        self._out = tempfile.TemporaryFile()
        self._err = tempfile.TemporaryFile()
        self.t0 = time.monotonic()
        self.p = subprocess.Popen([*(argv0 or KB), *args], stdin=stdin,
                                  stdout=self._out if stdout is None else stdout, stderr=self._err,
                                  env=_env(env), cwd=cwd or ROOT,
                                  start_new_session=new_session)
        self.pid = self.p.pid

    def stderr_so_far(self) -> str:
        """What kb has written to stderr until now (it is still running)."""
        return os.pread(self._err.fileno(), 1 << 20, 0).decode("utf-8", "replace")

    def wait_for(self, text: str, timeout: float = 60) -> None:
        """Wait until kb has written ``text`` on stderr: a state, not a guess at how long it takes."""
        wait_until(lambda: text in self.stderr_so_far(), timeout, f"{text!r} on stderr",
                   lambda: self.p.poll() is not None)

    def _peak(self) -> float | None:
        """VmHWM, the process's peak resident memory in MB. (wait4's ru_maxrss is no use here: Linux
        carries the high-water mark across exec, so a child forked from a big pytest looks big.)"""
        try:
            with open(f"/proc/{self.pid}/status", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return None

    def finish(self, timeout: float = 60) -> Run:
        peak = None
        while True:
            seen = self._peak()
            if seen is not None:
                peak = max(peak or 0, seen)
            try:
                pid, status, _ = os.wait4(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped already, by a Popen.poll() that saw it end
                pid, status = self.pid, _wait_status(self.p.returncode)
            if pid:
                break
            if time.monotonic() - self.t0 > timeout:
                self.p.kill()
                os.wait4(self.pid, 0)
                raise AssertionError(f"kb did not end within {timeout} s")
            time.sleep(0.005)
        seconds = time.monotonic() - self.t0
        self.p.returncode = code = os.waitstatus_to_exitcode(status)
        self._out.seek(0)
        self._err.seek(0)
        out = self._out.read().decode("utf-8", "replace")
        err = self._err.read().decode("utf-8", "replace")
        self._out.close()
        self._err.close()
        return Run(code, out, err, seconds, peak)


def wait_until(ready, timeout: float = 60, what: str = "the state waited for", ended=None) -> None:
    """Poll ``ready()`` until it is true; fail after ``timeout`` s, or as soon as ``ended()`` is (the
    process waited on has exited before reaching the state)."""
    t = time.monotonic()
    while not ready():
        if ended is not None and ended():
            if ready():
                return
            raise AssertionError(f"kb ended before {what}")
        assert time.monotonic() - t < timeout, f"no {what} within {timeout} s"
        time.sleep(0.01)


def cpu_seconds(pid: int) -> float:
    """The CPU time a process has used (user and system), from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_files(pid: int) -> set[str]:
    """The files a process has open, from /proc."""
    out = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                out.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
            except OSError:
                pass
    except OSError:
        pass
    return out


def _wait_status(code: int) -> int:
    """The wait status that os.waitstatus_to_exitcode turns back into ``code`` (Popen's returncode)."""
    return (-code) & 0x7F if code < 0 else (code & 0xFF) << 8


def kb_process(*args, timeout: float = 60, **kw) -> Run:
    """kb in a subprocess, to its end."""
    return Process(args, **kw).finish(timeout)


_RUNNER = CliRunner()


def kb_inprocess(*args, env: dict | None = None, input: str | None = None) -> Run:
    """kb through typer's test runner, in this process."""
    from kbcli.cli import app

    t0 = time.monotonic()
    result = _RUNNER.invoke(app, list(args), env=env, input=input)
    seconds = time.monotonic() - t0
    exc = result.exception
    assert exc is None or isinstance(exc, SystemExit), f"kb raised {exc!r}"
    return Run(result.exit_code, result.stdout, result.stderr, seconds)


def expect(run: Run, code: int, message: str | None = None, *, category: str, case: str,
           seconds: float = 10, lines: int | None = 1, out: str | None = None, clean: bool = True) -> Run:
    """What every hostile case must hold: the exit code, the message (on stderr), no
    traceback, at most ``seconds``, ``lines`` lines on stderr (None: any number), and no raw
    escape or bidi control in anything printed."""
    assert category in CATEGORIES
    where = f"[{category}] {case}: exit {run.code}, stderr {run.err[-2000:]!r}"
    assert "Traceback" not in run.err and "Traceback" not in run.out, where
    assert "Exception ignored" not in run.err, where
    assert run.code == code, where
    if message is not None:
        assert message in run.err, where
    if lines is not None:
        assert len(run.lines()) == lines, where
    if out is not None:
        assert run.out == out, where
    if clean:
        for ch in RAW:
            assert ch not in run.err, f"raw {ch!r} on stderr: " + where
            assert ch not in run.out, f"raw {ch!r} on stdout: " + where
    assert run.seconds < seconds, f"took {run.seconds:.1f} s: " + where
    LOG.append((category, case, run.seconds, run.rss_mb))
    return run


def snapshot(*paths: Path) -> dict[str, str]:
    """Every file under ``paths`` (files or folders) with its SHA-256: compare before and after."""
    out = {}
    for base in paths:
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file()) if base.exists() else []
        for p in files:
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def report() -> list[str]:
    """The corpus in numbers, for the end of the session."""
    if not LOG:
        return []
    counts = Counter(c for c, _ in {(c, case) for c, case, *_ in LOG})  # a case run by several processes counts once
    slow = max(LOG, key=lambda r: r[2])
    hungry = max((r for r in LOG if r[3] is not None), key=lambda r: r[3], default=None)
    lines = [f"hostile-input corpus: {sum(counts.values())} cases ({len(LOG)} kb runs): "
             + ", ".join(f"{c} {counts[c]}" for c in CATEGORIES if counts[c])]
    # the signals sent at random instants (test_hostile_signals): what each met
    met = Counter(case.rsplit(": ", 1)[1] for c, case, *_ in LOG if c == "signals" and " s, " in case)
    if met:
        lines.append("  signals at random instants: " + ", ".join(f"{n} {what}" for what, n in met.most_common()))
    lines.append(f"  slowest: [{slow[0]}] {slow[1]}: {slow[2]:.2f} s"
                 + (f", peak RSS {slow[3]:.0f} MB" if slow[3] else ""))
    if hungry:
        lines.append(f"  most memory: [{hungry[0]}] {hungry[1]}: peak RSS {hungry[3]:.0f} MB in {hungry[2]:.2f} s")
    out = os.environ.get("KB_HOSTILE_REPORT")
    if out:
        Path(out).write_text(json.dumps({"counts": counts, "cases": LOG}, indent=1), encoding="utf-8")
    return lines


def big_seed(path: Path, n: int) -> Path:
    """tests/seeds/good.yaml with its practice copied ``n`` times: a seed that takes a while to build."""
    good = (ROOT / "tests" / "seeds" / "good.yaml").read_text(encoding="utf-8")
    head, _, practice = good.partition("practices:\n")
    parts = [head, "practices:\n"]
    for i in range(n):
        parts.append(practice.replace("id: xian-poc", f"id: xian-poc-{i}", 1))
    path.write_text("".join(parts), encoding="utf-8")
    return path


def unprivileged() -> dict:
    """Process arguments that run kb so that file permissions apply to it: root ignores them, so
    as root kb runs without the capabilities that override them (setpriv, from util-linux)."""
    if os.geteuid() != 0:
        return {}
    return {"argv0": ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--", *KB]}


# ---------------------------------------------------------------- where a process is as a signal is sent
def _mask(pid: int, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1], 16)
                if line.startswith("State:") and "Z" in line.split()[1]:
                    return None
    except OSError:
        return None
    return None


def signal_state(pid: int) -> str:
    """Where kb is as the signal is sent: "start" (the interpreter has not reached kb's first line: no handler
    for SIGTERM yet), "kb" (kb's handlers in place), "settled" (the outcome settled: signals ignored) or
    "ended". Handlers are only ever added, then ignored, so what is read here still holds when the signal lands."""
    caught, ignored = _mask(pid, "SigCgt"), _mask(pid, "SigIgn")
    if caught is None or ignored is None:
        return "ended"
    bit = 1 << (signal.SIGTERM - 1)
    if ignored & bit:
        return "settled"
    return "kb" if caught & bit else "start"
