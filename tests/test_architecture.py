"""The layers import one way; the query path stays light at start-up."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest
from conftest import ROOT

PKG = ROOT / "kbcli"
# what each layer may import from the package (besides the shared helpers text, dates, errors, paths and shape)
ALLOWED = {
    "seed": {"seed"},
    "store": {"seed", "store"},
    "query": {"store", "query"},
    "curate": {"seed", "curate"},
    "cite": {"query", "store", "cite", "render"},
    "render": {"render"},
    # the web's record and source pages carry kb cite's GB/T 7714 and BibTeX, as the command prints them
    "publish": {"store", "query", "cite", "publish"},
    "cli": {"seed", "store", "query", "curate", "cite", "render", "publish", "cli"},
}
SHARED = {"text", "dates", "errors", "paths", "shape", "__init__"}


def imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, 0
        elif isinstance(node, ast.ImportFrom):
            yield (node.module or ""), node.level


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layers_import_one_way(layer):
    for path in (PKG / layer).rglob("*.py"):
        depth = len(path.relative_to(PKG / layer).parts) - 1  # kbcli/publish/datasette_kb/: one deeper
        for name, level in imports(path):
            level -= depth
            top = name.split(".")[0]
            if top in ("datasette", "uvicorn", "markupsafe"):
                assert layer == "publish", f"{path.name} imports {name}: only kbcli.publish uses Datasette"
            if top in ("typer", "click"):
                assert layer == "cli", f"{path.name} imports {name}: only kbcli.cli uses Typer"
            if top == "rich":
                assert layer in ("render",), f"{path.name} imports rich: only kbcli.render does"
            if level == 2 and name:  # from ..x import
                target = name.split(".")[0]
                assert target in ALLOWED[layer] | SHARED, f"kbcli/{layer}/{path.name} imports kbcli.{name}"
            if level == 0 and top == "kbcli":
                target = name.split(".")[1] if "." in name else ""
                assert target in ALLOWED[layer] | SHARED, f"kbcli/{layer}/{path.name} imports {name}"


def test_no_click_exceptions_or_click_testing():
    for path in PKG.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import click" not in text and "click.testing" not in text, path


def _modules_loaded(*args: str, env: dict | None = None) -> set[str]:
    """The modules a `kb` run imports, from ``-X importtime``."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "kbcli", *args],
                         capture_output=True, text=True, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr
    return {line.split("|")[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}


def test_query_path_imports_nothing_heavy(real_db):
    modules = _modules_loaded("query", "--mechanism", "概念验证中心", "--instrument", "funding", "--format", "json",
                              "--db", str(real_db))
    for heavy in ("rich", "sqlite_utils", "yaml", "kbcli.seed", "kbcli.seed.models", "kbcli.cite", "kbcli.curate",
                  "kbcli.store.build", "kbcli.store.builder", "kbcli.store.writer", "kbcli.store.lock",
                  "kbcli.store.lines", "multiprocessing", *PLOTTING, *CHARTS,
                  "kbcli.render.graphs", "kbcli.query.graph", "kbcli.query.chart", "kbcli.query.compare",
                  "kbcli.query.timeline", "kbcli.query.relations", "kbcli.publish", "datasette", "uvicorn",
                  "kbcli.cli.web_cmds"):
        assert heavy not in modules, f"kb query imports {heavy}"
    for other in ("kbcli.cli.cite_cmds", "kbcli.cli.curate_cmds", "kbcli.cli.seed_cmds", "kbcli.cli.data_cmds",
                  "kbcli.cli.landscape_cmds"):
        assert other not in modules, f"kb query builds {other}: only the command being run should load"


# the plotting libraries: plotext (kb chart in the terminal) and matplotlib with what it brings (the plot extra)
PLOTTING = ("plotext", "matplotlib", "numpy", "PIL", "kiwisolver", "fontTools")
# the chart renderers: the words around a chart, the terminal's (plotext) and the files' (matplotlib)
CHARTS = ("kbcli.render.chart_words", "kbcli.render.chart_terminal", "kbcli.render.charts")


def test_plotting_libraries_are_imported_by_the_chart_renderer_only():
    for path in PKG.rglob("*.py"):
        for name, _ in imports(path):
            if name.split(".")[0] == "plotext":
                assert path == PKG / "render" / "chart_terminal.py", f"{path.relative_to(PKG)} imports {name}"
            elif name.split(".")[0] in PLOTTING:
                assert path == PKG / "render" / "charts.py", f"{path.relative_to(PKG)} imports {name}"


def test_chart_and_graph_load_only_what_they_draw_with(real_db):
    terminal = _modules_loaded("chart", "technology-contract-turnover", "--owner", "中国", "--db", str(real_db))
    assert "plotext" in terminal and "matplotlib" not in terminal and "numpy" not in terminal
    assert "kbcli.render.charts" not in terminal, "the terminal's chart loads not the files' renderer"
    graph = _modules_loaded("graph", "law-sttl", "--format", "mermaid", "--db", str(real_db))
    assert not set(PLOTTING) & graph and not set(CHARTS) & graph
    compare = _modules_loaded("compare", "合肥", "杭州", "--format", "json", "--db", str(real_db))
    assert not set(PLOTTING) & compare


def test_a_touched_but_unchanged_seed_costs_a_hash_not_the_build_modules(tmp_path):
    """The stored mtime never updates (the database opens read-only), so this check runs every time."""
    seed = tmp_path / "seed.yaml"
    seed.write_bytes((ROOT / "tests" / "seeds" / "good.yaml").read_bytes())
    env = {**os.environ, "KB_SEED": str(seed), "KB_CACHE_DIR": str(tmp_path / "cache")}
    assert "kbcli.store.build" in _modules_loaded("list", env=env)  # first use builds
    os.utime(seed, ns=(seed.stat().st_atime_ns, seed.stat().st_mtime_ns + 10**9))
    modules = _modules_loaded("list", env=env)
    assert "kbcli.store.build" not in modules and "kbcli.seed.models" not in modules


def test_the_plugins_load_nothing_of_kbcli_until_they_meet_a_kb_database():
    """Datasette and sqlite-utils import kbcli's plugins in every run, on any database."""
    code = "import kbcli.publish.sqlite_utils_plugin, kbcli.publish.datasette_kb"
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    modules = {line.split("|")[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    for heavy in ("kbcli.query", "kbcli.query.search", "kbcli.store.db", "kbcli.seed", "rich", "typer"):
        assert heavy not in modules, f"the plugins import {heavy}"


def test_serve_is_the_only_command_that_imports_datasette(real_db):
    for args in (("list",), ("export", "figures"), ("sql", "SELECT 1")):
        modules = _modules_loaded(*args, "--db", str(real_db))
        assert "datasette" not in modules and "kbcli.publish" not in modules, args
