"""Shared fixtures: an isolated cache, a database built once from the real seed, a CLI runner."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "seed.yaml"
SEEDS = Path(__file__).parent / "seeds"
GOOD = SEEDS / "good.yaml"

# A shell that starts a job in the background (`pytest &`, a CI runner without job control) starts it with
# SIGINT ignored, and every process it starts inherits that: the tests' Ctrl-C would never reach kb. A handler
# of our own is reset to the default in each child at exec, so kb meets SIGINT as it does in a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _build_each_app_once() -> None:
    """typer.testing's CliRunner builds the whole Click command tree from the app's function signatures on
    every invoke (tens of milliseconds for kb's commands, more than most commands take to run), and the
    tests invoke kb in process thousands of times: build it once per app and reuse it, as the `kb`
    program builds it once per run (a Click command keeps no state from one invocation to the next)."""
    import typer.testing

    build = getattr(typer.testing, "_get_command", None)
    if build is None or getattr(build, "kb_cached", False):  # another typer: every invoke builds, slower
        return
    built: dict[int, tuple[object, object]] = {}

    def get_command(app):
        if id(app) not in built:
            built[id(app)] = (app, build(app))  # the app is kept, so its id is never reused
        return built[id(app)][1]

    get_command.kb_cached = True  # type: ignore[attr-defined]
    typer.testing._get_command = get_command


_build_each_app_once()


def pytest_configure(config):
    """`pytest` alone (the README's test command) runs the fast tests: with no ``-m`` and no file or test
    named, the tests marked ``slow`` are left out (``pytest -m slow`` runs them; CI runs both). Every
    process decides alike: pytest-xdist's workers see the same command line."""
    if not config.option.markexpr and config.args_source == pytest.Config.ArgsSource.TESTPATHS:
        config.option.markexpr = "not slow"


def pytest_addoption(parser):
    parser.addoption("--csl-dir", default=os.environ.get("KB_CSL_DIR"),
                     help="Folder of the official CSL styles (../shared/csl); also KB_CSL_DIR. "
                          "Given, the citation client tests run and fail when pandoc cannot.")
    parser.addoption("--sources", default=os.environ.get("KB_SOURCES"),
                     help="Folder of the source texts (../shared/sources); also KB_SOURCES.")


def _folder(request, option: str, what: str) -> Path:
    """A folder given by option or environment: absent, the test skips; given but missing, it fails."""
    value = request.config.getoption(option)
    if not value:
        pytest.skip(f"no {what} folder given ({option} or its environment variable)")
    path = Path(value)
    if not path.is_dir():
        pytest.fail(f"{what} folder {path} does not exist")
    return path


@pytest.fixture(scope="session")
def csl_dir(request) -> Path:
    return _folder(request, "--csl-dir", "CSL styles")


@pytest.fixture(scope="session")
def sources_dir(request) -> Path:
    return _folder(request, "--sources", "sources")


def check_format(out: str, fmt: str) -> None:
    """Output of one --format is well formed: json parses, csv/tsv rows have the header's width, md is a
    table or a detail view, and nothing sends a terminal escape when stdout is not a terminal."""
    import csv
    import io

    assert out.strip(), "data on stdout"
    assert "kb:" not in out, "messages stay on stderr"
    if fmt == "json":
        json.loads(out)
    elif fmt == "jsonl":
        for line in out.splitlines():
            json.loads(line)
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(out)))
        assert len({len(r) for r in rows}) == 1, "every csv row has the header's width"
    elif fmt == "tsv":
        assert len({len(r.split("\t")) for r in out.splitlines()}) == 1
    elif fmt == "md":
        assert out.startswith(("| ", "## "))
    assert "\x1b" not in out, "no terminal escapes when stdout is not a terminal"


@contextmanager
def cpu_at_most(seconds: float) -> Iterator[None]:
    """The block takes at most ``seconds`` of this process's CPU time: a bound on the work done, which
    other processes on a busy machine cannot break as they can a wall-clock deadline."""
    start = time.process_time()
    yield
    used = time.process_time() - start
    assert used <= seconds, f"took {used:.2f} s of CPU, more than {seconds} s"


def result_ids(result) -> list[str]:
    """The ids in a successful JSON result of kb query or kb search."""
    assert result.exit_code == 0, result.stderr
    return [r["id"] for r in json.loads(result.stdout)]


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Every test gets its own cache dir and no inherited KB_* settings, nor a terminal size: pytest-xdist's
    workers have COLUMNS=80 and LINES=24 in their environment, which a kb started in a pseudo-terminal
    would take over the terminal's own size."""
    monkeypatch.setenv("KB_CACHE_DIR", str(tmp_path / "cache"))
    for var in ("KB_DB", "KB_SEED", "NO_COLOR", "KB_PLAIN", "KB_CSL_DIR", "KB_SOURCES", "COLUMNS", "LINES"):
        monkeypatch.delenv(var, raising=False)


def _built(tmp_path_factory, seed: Path, name: str) -> Path:
    from kbcli.store.build import build

    path = tmp_path_factory.mktemp(name) / f"{name}.sqlite"
    build(seed, path)
    return path


@pytest.fixture(scope="session")
def real_db(tmp_path_factory) -> Path:
    """A database of the real seed, built once per test session."""
    return _built(tmp_path_factory, SEED, "kb")


@pytest.fixture(scope="session")
def app():
    from kbcli.cli import app

    return app


@pytest.fixture
def kb(app, real_db):
    """Run `kb ARGS...` on the real database; returns the typer.testing Result."""
    runner = CliRunner()

    def run(*args: str, db: Path | None = real_db, env: dict | None = None):
        argv = list(args)
        if db is not None:
            argv += ["--db", str(db)]
        return runner.invoke(app, argv, env=env)

    return run


@pytest.fixture
def cli(app):
    """Run `kb ARGS...` with no database option added."""
    runner = CliRunner()

    def run(*args: str, env: dict | None = None, input: str | None = None):
        return runner.invoke(app, list(args), env=env, input=input)

    return run


@pytest.fixture(scope="session")
def mini_db(tmp_path_factory) -> Path:
    """A database of tests/seeds/good.yaml: a stable, tiny fixture."""
    return _built(tmp_path_factory, GOOD, "mini")


def pytest_sessionfinish(session):
    """A pytest-xdist worker hands the cases of the hostile-input corpus it checked to the controller."""
    import sys

    hostile = sys.modules.get("hostile")
    if hasattr(session.config, "workeroutput") and hostile is not None:
        session.config.workeroutput["hostile_log"] = [list(case) for case in hostile.LOG]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """The controller gathers every worker's cases of the corpus (pytest-xdist's hook)."""
    cases = getattr(node, "workeroutput", {}).get("hostile_log")
    if cases:
        import hostile

        hostile.LOG.extend(tuple(case) for case in cases)


def pytest_terminal_summary(terminalreporter):
    """The hostile-input corpus in numbers: cases by category, the slowest and hungriest case."""
    import sys

    hostile = sys.modules.get("hostile")
    if hostile is not None and hostile.LOG:
        for line in hostile.report():
            terminalreporter.write_line(line)
