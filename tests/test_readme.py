"""The README stays true: its set-up commands are what CI runs, its tour is real output,
and every command is documented."""

from __future__ import annotations

import os
import re
import shlex

import pytest
from conftest import ROOT

README = ROOT / "README.md"


def console_blocks() -> list[tuple[str, str]]:
    """(command line, expected stdout) for every `$ kb ...` line in ```console blocks."""
    text = README.read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```console\n(.*?)```", text, re.DOTALL):
        current, lines = None, []
        for line in block.splitlines():
            if line.startswith("$ kb "):
                if current is not None:
                    out.append((current, "\n".join(lines)))
                current, lines = line[2:], []
            else:
                lines.append(line)
        if current is not None:
            out.append((current, "\n".join(lines)))
    return out


@pytest.mark.parametrize("command,expected", console_blocks(), ids=lambda x: x if x.startswith("kb ") else "")
def test_tour_output_is_real(kb, real_db, command, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = shlex.split(command)[1:]
    result = kb(*args, db=None, env={"KB_DB": str(real_db)})
    assert result.exit_code == 0, result.stderr
    got = "\n".join(l.rstrip() for l in result.stdout.rstrip("\n").splitlines())
    if os.environ.get("KB_UPDATE_README"):
        text = README.read_text(encoding="utf-8")
        block = f"$ {command}\n{expected}" if expected else f"$ {command}"
        if block in text:
            README.write_text(text.replace(block, f"$ {command}\n{got}".rstrip("\n"), 1), encoding="utf-8")
        return
    assert got == expected.rstrip("\n"), f"README output of `{command}` is out of date:\n{got}"


def _marked(marker: str) -> str:
    text = README.read_text(encoding="utf-8")
    m = re.search(rf"<!-- {marker} -->\n```sh\n(.+?)\n```", text)
    assert m, marker
    return m.group(1)


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "test-command" in ci and "README.md" in ci, ".ci/run takes the test command from the README"
    assert _marked("test-command").endswith("python -m pytest")
    assert _marked("slow-test-command") == ".venv/bin/python -m pytest -m slow"
    assert "slow-test-command" in ci and "pytest -m timing --count 5" in ci, \
        ".ci/run runs the slow tests and repeats the timing-sensitive ones"
    assert "kb ask \"Which cities fund concept-verification centres?\"" in _marked("run-command")


def test_every_command_is_documented():
    from kbcli.cli import COMMANDS

    text = README.read_text(encoding="utf-8")
    for name in COMMANDS:
        assert re.search(rf"\bkb {re.escape(name)}\b", text), f"kb {name} is not in the README"


def test_every_command_has_help(cli):
    from kbcli.cli import COMMANDS

    for name in COMMANDS:
        result = cli(name, "--help")
        assert result.exit_code == 0 and "Usage: kb " + name in result.stdout
        assert len(result.stdout.split("\n\n")[1].strip()) > 20, f"kb {name} needs a description"
