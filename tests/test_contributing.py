"""CONTRIBUTING.md stays true: its layer map is the architecture test's, every `kb` and `pytest`
command line in it parses (with --help, or as pytest collects), every path it names exists, and
the README links to it."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest
from conftest import ROOT
from test_architecture import ALLOWED, SHARED

PAGE = ROOT / "CONTRIBUTING.md"


def _text() -> str:
    return PAGE.read_text(encoding="utf-8")


def command_lines() -> list[list[str]]:
    """Every command of the page's ```sh blocks as argv (a line's ``&&``-joined commands apart,
    comments dropped), with ``.venv/bin/`` taken off the program's name."""
    out = []
    for block in re.findall(r"```sh\n(.*?)```", _text(), re.DOTALL):
        for line in block.splitlines():
            for command in line.split(" && "):
                argv = shlex.split(command, comments=True)
                if argv:
                    argv[0] = argv[0].removeprefix(".venv/bin/")
                    out.append(argv)
    return out


def _kb_lines() -> list[list[str]]:
    return [argv[1:] for argv in command_lines() if argv[0] == "kb"]


def _pytest_lines() -> list[list[str]]:
    return [argv[3:] for argv in command_lines() if argv[:3] == ["python", "-m", "pytest"]]


def test_the_layer_map_is_the_architecture_tests():
    table = re.search(r"<!-- layer-map -->\n(.*?)<!-- /layer-map -->", _text(), re.DOTALL)
    assert table, "the layer map sits between <!-- layer-map --> and <!-- /layer-map -->"
    rows = re.findall(r"^\| `kbcli/(\w+)` \| ([\w, ]+) \|$", table.group(1), re.MULTILINE)
    assert {folder: set(may.split(", ")) for folder, may in rows} == ALLOWED
    for helper in SHARED - {"__init__"}:
        assert f"`kbcli/{helper}.py`" in _text(), f"the shared helper kbcli/{helper}.py is not named"


def test_the_page_names_commands_of_both_kinds():
    assert len(_kb_lines()) >= 10 and len(_pytest_lines()) >= 5
    assert ["-m", "slow"] in _pytest_lines() and ["-m", "timing", "--count", "5"] in _pytest_lines()


@pytest.mark.parametrize("args", _kb_lines(), ids=" ".join)
def test_every_kb_command_line_parses(cli, args):
    """Its command and options exist (an unknown option fails even beside --help)."""
    result = cli(*args, "--help")
    assert result.exit_code == 0, f"kb {' '.join(args)}: {result.stderr or result.stdout}"


@pytest.mark.slow  # a pytest process per line, each collecting: about 10 s of CPU
def test_every_pytest_command_line_parses_and_finds_its_tests():
    """Each pytest line as pytest reads it: its options and marks exist, the tests it names exist,
    and it selects at least one test. Collected in one process (``-n 0``), on the whole suite only
    where the line names no file."""
    for args in _pytest_lines():
        where = [] if any(a.startswith("tests/") for a in args) else ["tests/test_dates.py", "tests/test_progress.py"]
        run = subprocess.run([sys.executable, "-m", "pytest", *args, *where, "--collect-only", "-q", "-n", "0",
                              "-p", "no:cacheprovider"], capture_output=True, text=True, cwd=ROOT)
        assert run.returncode == 0, f"pytest {' '.join(args)}: {run.stdout[-2000:]}{run.stderr[-2000:]}"


def test_every_path_it_names_exists():
    named = set(re.findall(r"`((?:kbcli|tests|benchmarks|data|\.ci)/[\w./-]*)`", _text()))
    assert len(named) >= 20
    for path in named:
        assert (ROOT / path.rstrip("/")).exists(), f"CONTRIBUTING.md names {path}, which does not exist"


def test_the_readme_links_to_it():
    assert "(CONTRIBUTING.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
