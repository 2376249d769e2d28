"""`timebank export --format csv`: exchanges and balances that a spreadsheet opens as they are."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from api.cli import main
from api.commands.demo import fill
from api.commands.export_csv import write_spreadsheets
from ledger import ExchangeRequest, Ledger, parse_database_url


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as table:
        return list(csv.DictReader(table))


def test_the_tables_agree_with_the_ledger_for_a_year_of_activity(tmp_path: Path) -> None:
    ledger = Ledger(
        parse_database_url("memory://"), clock=lambda: datetime(2025, 6, 30, tzinfo=UTC)
    )
    summary = fill(ledger, seed=4)
    exchanges_csv, balances_csv, _ = write_spreadsheets(ledger, tmp_path, None)
    exchanges, balances = rows(exchanges_csv), rows(balances_csv)
    assert len(exchanges) == summary.exchanges
    statuses = Counter(r["status"] for r in exchanges)
    assert statuses == {
        "completed": summary.completed,
        "pending": summary.pending,
        "rejected": summary.rejected,
        "reversed": summary.reversed,
    }
    assert len(balances) == summary.accounts
    assert sum(int(r["balance"]) for r in balances) == 0
    for row in balances[::25]:
        account = ledger.get_account(row["account"])
        assert (int(row["balance"]), int(row["given"]), int(row["received"])) == (
            account.balance,
            account.given,
            account.received,
        )
        assert float(row["balance_hours"]) == round(account.balance / 60, 2)
    ledger.close()


def test_one_organisations_tables_hold_its_accounts_and_the_exchanges_it_took_part_in(
    tmp_path: Path,
) -> None:
    ledger = Ledger(
        parse_database_url("memory://"), clock=lambda: datetime(2025, 6, 30, tzinfo=UTC)
    )
    fill(ledger, seed=4)
    exchanges_csv, balances_csv, _ = write_spreadsheets(ledger, tmp_path, "oakwood-day-service")
    assert {r["organisation"] for r in rows(balances_csv)} == {"oakwood-day-service"}
    for row in rows(exchanges_csv):
        parties = {row["giver"].split(":")[0], row["receiver"].split(":")[0]}
        assert "oakwood-day-service" in parties
    ledger.close()


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_written_inert(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = Ledger(parse_database_url(sqlite_url))
    ledger.register_organisation("riverside", "Riverside")
    for ref in ("a", "-b"):
        ledger.open_account("riverside", ref)
    note = '=HYPERLINK("http://example.invalid","help")'
    request = ExchangeRequest("riverside:a", "riverside:-b", 60, date(2025, 1, 2), None, note)
    ledger.record_exchange("riverside", request)
    ledger.close()
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", sqlite_url)

    assert main(["export", "--format", "csv", "--out", str(tmp_path)]) == 0
    [exchange] = rows(tmp_path / "exchanges.csv")
    assert exchange["note"] == "'" + note
    assert (exchange["minutes"], exchange["hours"], exchange["category"]) == ("60", "1.0", "")
    refs = {r["ref"]: r["balance"] for r in rows(tmp_path / "balances.csv")}
    assert refs == {"a": "60", "'-b": "-60"}
