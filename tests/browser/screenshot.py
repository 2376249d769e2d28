"""Regenerate docs/screenshots/overview.png (the overview of the demo's timebank) and
docs/screenshots/participation.png (its participation page).

    .venv/bin/python -m tests.browser.screenshot                  # the overview
    .venv/bin/python -m tests.browser.screenshot participation    # the participation page
    .venv/bin/python -m tests.browser.screenshot overview participation

Fills a temporary SQLite database with `timebank demo --seed 2024`, serves it with
`timebank serve`, signs in with a broker key and photographs the overview in Debian's
Chromium. The demo's dates follow today's, so the picture changes from day to day.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.support import ROOT, created, sign_in, start_site

SHOTS = ROOT / "docs" / "screenshots"
ORG = "riverside-timebank"
PAGES = {"overview": f"/app/o/{ORG}", "participation": f"/app/o/{ORG}/participation"}


def main(names: list[str]) -> int:
    names = names or ["overview"]
    unknown = [name for name in names if name not in PAGES]
    if unknown:
        print(f"no such page: {', '.join(unknown)} (choose from {', '.join(PAGES)})")
        return 2
    with tempfile.TemporaryDirectory(prefix="timebank-screenshot-") as directory:
        workdir = Path(directory)
        url = f"sqlite:///{workdir}/demo.sqlite3"
        env = {**os.environ, "TIMEBANK_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
        demo = [sys.executable, "-m", "api.cli", "demo", "--seed", "2024"]
        subprocess.run(demo, env=env, cwd=workdir, check=True, capture_output=True)
        site = start_site(workdir, url)
        try:
            with site.api() as admin:
                key = created(admin, "/v1/keys", {"role": "broker", "organisation": ORG})["key"]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                sign_in(page, site, key)
                SHOTS.mkdir(parents=True, exist_ok=True)
                for name in names:
                    page.goto(f"{site.base_url}{PAGES[name]}")
                    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
                    print(f"wrote {(SHOTS / f'{name}.png').relative_to(ROOT)}")
                browser.close()
        finally:
            site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
