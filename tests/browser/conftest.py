"""Browser tests: Debian's Chromium, driven by Playwright, against `timebank serve`.

Chromium comes from Debian's `chromium` package, installed here when /usr/bin/chromium is
missing (as root, with apt-get). Playwright's own browser downloads are never used. Without
a browser these tests are skipped on a laptop, and fail under CI=true.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.support import Site, start_site

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_SECONDS = 600
ACTION_MS = 10_000


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def unavailable(message: str) -> None:
    if in_ci():
        pytest.fail(f"{message}, and CI=true: the browser tests must run in CI")
    pytest.skip(f"{message}: browser tests skipped")


def install_chromium() -> None:
    """apt-get install chromium, when this process may (root, with apt-get)."""
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        subprocess.run(command, env=env, timeout=INSTALL_SECONDS, check=False, capture_output=True)


@pytest.fixture(scope="session")
def chromium() -> str:
    if not CHROMIUM.exists():
        install_chromium()
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing and `apt-get install chromium` did not provide it")
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    site = start_site(tmp_path_factory.mktemp("site"))
    yield site
    site.stop()


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator[Browser]:
    try:
        playwright = sync_playwright().start()
    except Exception as error:  # the driver ships in the wheel; say so if it will not start
        unavailable(f"Playwright's driver did not start ({error})")
        raise
    browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(ACTION_MS)
    page = context.new_page()
    yield page
    context.close()
