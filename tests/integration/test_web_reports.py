"""The participation page, its view for funders, the funder CSV and the printable statement
(HTML and PDF), in process."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from ledger import ExchangeRequest, GiftRequest, Ledger, parse_database_url
from tests.integration.web_support import ORG, Pages, pages_of
from tests.unit.support import Clock

PDFTOTEXT = "pdftotext"


def pdftotext() -> str:
    """Debian's poppler-utils, installed here when missing (as root, with apt-get)."""
    found = shutil.which(PDFTOTEXT)
    if found is None and shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "poppler-utils"],
        ):
            subprocess.run(command, env=env, timeout=600, check=False, capture_output=True)
        found = shutil.which(PDFTOTEXT)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pdftotext is missing and apt-get install poppler-utils did not provide it")
        pytest.skip("pdftotext is missing")
    return found


@pytest.fixture
def pages() -> Iterator[Pages]:
    """north: ann gave bob 2 h on 1 June 2024; on 1 July bob gave ann 30 min and ann gave
    45 min of her credits to bob."""
    clock = Clock()
    ledger = Ledger(parse_database_url("memory://"), clock=clock)
    try:
        ledger.register_organisation(ORG, "North")
        for ref in ("ann", "bob"):
            ledger.open_account(ORG, ref)
        broker = ledger.issue_key("broker", ORG).key
        ledger.record_exchange(ORG, ExchangeRequest("north:ann", "north:bob", 120))
        clock.advance(30)
        ledger.record_exchange(ORG, ExchangeRequest("north:bob", "north:ann", 30))
        ledger.make_gift(ORG, GiftRequest("north:ann", "north:bob", 45))
        with pages_of(ledger, broker=broker) as found:
            found.sign_in()
            yield found
    finally:
        ledger.close()


def test_the_participation_page_counts_new_and_returning_members(pages: Pages) -> None:
    page = pages.client.get(f"/app/o/{ORG}/participation?from=2024-06-01&to=2024-07-31")
    assert page.status_code == 200, page.text
    assert "<svg" in page.text
    assert 'class="heat-map"' in page.text
    assert '<td class="num">2</td><td class="num">2</td><td class="num">0</td>' in page.text


def test_the_view_for_funders_hides_small_counts(pages: Pages) -> None:
    page = pages.client.get(
        f"/app/o/{ORG}/participation?from=2024-06-01&to=2024-07-31&view=funders"
    )
    assert page.status_code == 200
    assert "hidden" in page.text
    assert '<td class="num">2</td>' not in page.text
    overview = pages.client.get(f"/app/o/{ORG}?period=all&view=funders")
    assert overview.status_code == 200
    assert "for funders" in overview.text


def test_the_funder_csv_applies_the_organisations_min_count(pages: Pages) -> None:
    pages.ledger.set_report_min_count(ORG, 3)
    pages.ledger.record_exchange(ORG, ExchangeRequest("north:ann", "north:bob", 15))
    assert pages.client.get(f"/app/o/{ORG}").status_code == 200
    models_ready = pages.client.get(
        f"/v1/organisations/{ORG}?min_position={pages.ledger.head_position()}",
        headers={"authorization": f"Bearer {pages.broker}"},
    )
    assert models_ready.json()["report_min_count"] == 3
    report = pages.client.get(f"/app/o/{ORG}/report.csv?period=all").text
    assert "total,all,active_accounts,\r\n" in report
    assert "suppressed,active_accounts,hidden,\r\n" in report
    assert "total,all,gifted_minutes,45\r\n" in report


def test_the_csv_from_the_view_for_funders_hides_what_that_view_hides(pages: Pages) -> None:
    pages.ledger.record_exchange(ORG, ExchangeRequest("north:ann", "north:bob", 15))
    view = pages.client.get(f"/app/o/{ORG}?period=all&view=funders")  # nothing set: 5
    assert 'report.csv?period=all&amp;view=funders"' in view.text
    funders = pages.client.get(f"/app/o/{ORG}/report.csv?period=all&view=funders").text
    assert "suppressed,active_accounts,hidden,\r\n" in funders  # fewer than 5 active accounts
    ours = pages.client.get(f"/app/o/{ORG}/report.csv?period=all").text
    assert "suppressed," not in ours
    assert "total,all,active_accounts,2\r\n" in ours


def test_a_printable_statement_has_the_opening_and_closing_balances(pages: Pages) -> None:
    page = pages.client.get(f"/app/o/{ORG}/statement?ref=ann&from=2024-06-15&to=2024-07-31")
    assert page.status_code == 200, page.text
    assert '<dd id="opening">2 h</dd>' in page.text
    assert '<dd id="closing">45 min</dd>' in page.text
    assert "<td>gift</td>" in page.text


def test_the_pdf_statement_reads_the_same_balances(pages: Pages, tmp_path: Path) -> None:
    tool = pdftotext()
    answer = pages.client.get(f"/app/o/{ORG}/statement.pdf?ref=ann&from=2024-06-15&to=2024-07-31")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(answer.content)
    text = subprocess.run(
        [tool, "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Opening balance: 2 h" in text
    assert "Closing balance: 45 min" in text
    assert "bob" in text
    assert "gift" in text
    assert date(2024, 7, 1).isoformat() in text
