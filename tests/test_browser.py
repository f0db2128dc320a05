"""kb serve in a real browser: headless Chromium (Debian's chromium, driven by Playwright's Python client,
which downloads no browser of its own) searches 中试 and 概念验证, facets by region, opens a record and
sees its quotes with the do-not-cite notice. Screenshots go to $KB_SCREENSHOT_DIR (CI keeps them) or the
test's own folder.

The server listens on 127.0.0.1 on a free port and stops by itself (--stop-after) even if the test dies.
Where Chromium or Playwright is missing the test skips, except under CI, where it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("KB_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _need(what: str, ok: bool) -> None:
    if not ok:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is missing (.ci/run installs it)")
        pytest.skip(f"{what} is missing")


@pytest.fixture(scope="module")
def server(real_db):
    _need("Datasette (the web extra)", shutil.which("datasette", path=str(Path(sys.executable).parent)) is not None)
    exe = shutil.which("kb", path=str(Path(sys.executable).parent))
    proc = subprocess.Popen([exe, "serve", "--port", "0", "--stop-after", "180", "--db", str(real_db)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    assert line.startswith("kb: serving http://127.0.0.1:"), line
    yield line.split()[2]  # http://127.0.0.1:PORT/kb
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def page():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("playwright (the test extra)", False)
    _need(f"Chromium at {CHROMIUM}", Path(CHROMIUM).exists())
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        pg = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        pg.set_default_timeout(30_000)
        yield pg
        browser.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("KB_SCREENSHOT_DIR") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _rows_shown(pg) -> int:
    """The row count Datasette prints above a table ("15 rows where search matches ...")."""
    m = re.search(r"([\d,]+) rows? where", pg.inner_text("body"))
    assert m, pg.inner_text("body")[:500]
    return int(m.group(1).replace(",", ""))


def _search(pg, server: str, text: str) -> int:
    pg.goto(f"{server}/records")
    pg.fill("#_search", text)
    pg.press("#_search", "Enter")
    pg.wait_for_load_state("networkidle")
    assert "_search=" in pg.url
    return _rows_shown(pg)


def test_search_facet_and_record_page_in_a_browser(server, page, shots, kb):
    import json

    def n_all_parts(text: str) -> int:
        return len(json.loads(kb("search", text, "--limit", "1000", "-f", "json").stdout))

    assert _search(page, server, "中试") == n_all_parts("中试") == 15
    page.locator("table.rows-and-columns").screenshot(path=str(shots / "search-zhongshi.png"))
    assert _search(page, server, "概念验证") == n_all_parts("概念验证")
    assert "概念验证" in page.inner_text("table.rows-and-columns")  # the matching text shows in the rows
    page.locator("table.rows-and-columns").screenshot(path=str(shots / "search-poc.png"))

    # facet by region: the facet's count is the number of rows its link keeps
    page.goto(f"{server}/records")
    facet = page.locator(".facet-info", has_text="regions").first
    link = facet.locator("a", has_text="hefei").first
    count = int(link.locator("xpath=..").inner_text().split()[-1].replace(",", ""))
    link.click()
    page.wait_for_load_state("networkidle")
    assert "regions__arraycontains=hefei" in page.url and _rows_shown(page) == count > 0
    page.locator(".facet-results").screenshot(path=str(shots / "facet-hefei.png"))

    # open a record from the list: its quotes with source and locator, and the request not to cite
    page.click("a[href$='/records/hefei-poc-centre-award']")
    page.wait_for_load_state("networkidle")
    body = page.inner_text("body")
    assert "合肥市概念验证中心奖补" in body and "Quotes (" in body
    assert "对为实验阶段的科技成果提供概念验证" in body and "qinchuangyuan-brief-2023-01" in body
    notice = page.locator(".kb-quotes .kb-restricted").first
    assert notice.is_visible() and "内部研究资料 请勿引用外传" in notice.inner_text()
    page.screenshot(path=str(shots / "record-hefei-poc-centre-award.png"), full_page=True)
