"""The malformed-seed corpus: every problem reported at once, each at the right line, column and field.

Each file in tests/seeds/bad/ departs from tests/seeds/good.yaml and states what
`kb validate` must report in `# expect: LINE:COL PATH | MESSAGE` header lines.
"""

from __future__ import annotations

import re

import pytest
from conftest import GOOD, SEEDS

BAD = sorted((SEEDS / "bad").glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (\d+):(\d+) (\S+) \| (.+)$")


def expectations(path):
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = EXPECT.match(line)
        if m:
            line_no, col, field, msg = m.groups()
            out.append((int(line_no), int(col), None if field == "-" else field, msg))
    return out


def test_corpus_is_large_enough():
    assert len(BAD) >= 20
    assert all(expectations(p) for p in BAD), "every malformed seed states what it expects"


def test_good_seed_is_valid(cli):
    result = cli("validate", str(GOOD))
    assert result.exit_code == 0, result.stderr
    assert "valid" in result.stderr and result.stdout == ""


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_malformed_seed(cli, path):
    result = cli("validate", str(path))
    assert result.exit_code == 1
    assert result.stdout == "", "problems go to stderr"
    assert "Traceback" not in result.stderr
    lines = [l for l in result.stderr.splitlines() if not l.startswith("kb: ")]
    want = expectations(path)
    assert len(lines) == len(want), result.stderr
    for (line_no, col, field, msg), got in zip(want, lines):
        prefix = f"{path}:{line_no}:{col}: "
        assert got.startswith(prefix), f"expected {prefix!r} in {got!r}"
        assert msg in got, got
        if field:
            assert got.endswith(f"(at {field})"), got
    assert f"{len(want)} problem" in result.stderr


def test_load_reports_the_same_problems(cli, tmp_path):
    path = SEEDS / "bad" / "30-several-problems.yaml"
    result = cli("load", str(path), "--db", str(tmp_path / "x.sqlite"))
    assert result.exit_code == 1
    assert result.stderr.count(str(path)) == 3
    assert not (tmp_path / "x.sqlite").exists()


def test_a_seed_path_that_names_nothing_is_a_usage_error_everywhere(cli, tmp_path):
    missing = str(tmp_path / "missing.yaml")
    for args in (("validate", missing), ("load", missing, "--db", str(tmp_path / "x.sqlite")),
                 ("query", "--seed", missing), ("coverage", "--seed", missing)):
        result = cli(*args)
        assert result.exit_code == 2, args
        assert result.stderr.strip() == f"kb: no seed at {missing}", args
    assert not (tmp_path / "x.sqlite").exists()


def test_unreadable_seed(cli, tmp_path):
    folder = tmp_path / "a-folder.yaml"
    folder.mkdir()
    result = cli("validate", str(folder))
    assert result.exit_code == 1
    assert "cannot read the seed" in result.stderr
