"""An import's dry run and the import itself agree, and agree with the ledger: the rows a dry
run refuses are the rows the ledger refuses, and the import records exactly when there are
none. Small random files with limits near the edge, recorded in chunks of three rows."""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.cli import main
from api.imports import recording
from domain.errors import LedgerError
from ledger import ExchangeRequest, Ledger, parse_database_url

REFS = ["a", "b", "c", "new-1", "new-2", "oakwood:p-1", "oakwood:gone"]
ROWS = st.lists(
    st.tuples(
        st.sampled_from(REFS),
        st.sampled_from(REFS),
        st.sampled_from([1, 10, 29, 30, 31, 45, 60, 61, 90]),
    ),
    min_size=1,
    max_size=8,
)


def prepare(url: str, credit_limit: int, max_balance: int | None) -> None:
    """riverside: a, b (its own limit of 30), c (closed); oakwood: p-1."""
    ledger = Ledger(parse_database_url(url))
    ledger.register_organisation("riverside", "Riverside", credit_limit, max_balance)
    ledger.register_organisation("oakwood", "Oakwood")
    ledger.open_account("riverside", "a")
    ledger.open_account("riverside", "b", credit_limit=30)
    ledger.open_account("riverside", "c")
    ledger.close_account("riverside:c", None)
    ledger.open_account("oakwood", "p-1")
    ledger.close()


def refused_lines(err: str, path: str) -> set[int]:
    return {int(line.split(":")[1]) for line in err.splitlines() if line.startswith(f"{path}:")}


def full_id(ref: str) -> str:
    """As the import reads a row: a bare ref is riverside's."""
    return ref if ":" in ref else f"riverside:{ref}"


def account_ids(rows: list[tuple[str, str, int]]) -> list[tuple[str, str]]:
    return [(full_id(giver), full_id(receiver)) for giver, receiver, _ in rows]


def refused_by_the_ledger(
    url: str, rows: list[tuple[str, str, int]], create: bool, limit: int | None
) -> set[int]:
    """The lines of the rows the ledger refuses, each recorded on its own in file order,
    after opening the accounts an import would open."""
    ledger = Ledger(parse_database_url(url))
    try:
        parties = account_ids(rows)
        missing = {a for pair in parties for a in pair if a.startswith("riverside:new-")}
        for account_id in sorted(missing) if create else []:
            ledger.open_account("riverside", account_id.split(":")[1], credit_limit=limit)
        refused = set()
        for line, ((giver, receiver), row) in enumerate(zip(parties, rows, strict=True), 2):
            try:
                ledger.record_exchange("riverside", ExchangeRequest(giver, receiver, row[2]))
            except LedgerError:
                refused.add(line)
        return refused
    finally:
        ledger.close()


def balances(url: str) -> dict[str, int]:
    ledger = Ledger(parse_database_url(url))
    found = {}
    for account_id in map(full_id, ("a", "b", "c", "new-1", "new-2", "oakwood:p-1")):
        with contextlib.suppress(LedgerError):
            found[account_id] = ledger.get_account(account_id).balance
    ledger.close()
    return found


def events(url: str) -> int:
    ledger = Ledger(parse_database_url(url))
    count = ledger.recorder.max_notification_id() or 0
    ledger.close()
    return count


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=ROWS,
    credit_limit=st.sampled_from([30, 60]),
    max_balance=st.sampled_from([None, 60]),
    create=st.booleans(),
    new_limit=st.sampled_from([None, 90]),
)
def test_the_dry_run_refuses_what_the_ledger_refuses_and_the_import_records_otherwise(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    rows: list[tuple[str, str, int]],
    credit_limit: int,
    max_balance: int | None,
    create: bool,
    new_limit: int | None,
) -> None:
    with tempfile.TemporaryDirectory() as directory, monkeypatch.context() as patch:
        url, ledger_url = (f"sqlite:///{directory}/{name}.sqlite3" for name in ("import", "ledger"))
        prepare(url, credit_limit, max_balance)
        prepare(ledger_url, credit_limit, max_balance)
        patch.setenv("TIMEBANK_DATABASE_URL", url)
        patch.setattr(recording, "CHUNK", 3)
        path = str(Path(directory) / "rows.csv")
        lines = [f"{g},{r},{m},2024-03-01" for g, r, m in rows]
        Path(path).write_text("giver,receiver,minutes,service_date\n" + "\n".join(lines) + "\n")
        options = ["--organisation", "riverside"] + (["--create-accounts"] if create else [])
        options += [] if new_limit is None else ["--credit-limit", str(new_limit)]
        capsys.readouterr()

        dry_status = main(["import", path, *options, "--dry-run"])
        dry_refused = refused_lines(capsys.readouterr().err, path)
        before = events(url)
        status = main(["import", path, *options])
        refused = refused_lines(capsys.readouterr().err, path)

        assert dry_refused == refused_by_the_ledger(ledger_url, rows, create, new_limit)
        assert (dry_status == 0) == (status == 0) == (dry_refused == set())
        assert refused == dry_refused
        if status == 0:
            assert balances(url) == balances(ledger_url)
        else:
            assert events(url) == before, "a refused file records nothing"


def key_rows(url: str) -> list[tuple[str, ...]]:
    path = url.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(path)) as db:
        return sorted(db.execute("SELECT key_id, account, wrapped FROM ledger_data_keys"))


def test_a_dry_run_of_notes_leaves_the_key_table_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Sealing a note makes its accounts' data keys; a dry run must make none (nor record)."""
    url = f"sqlite:///{tmp_path}/import.sqlite3"
    prepare(url, 60, None)
    ledger = Ledger(parse_database_url(url))
    ledger.record_exchange("riverside", ExchangeRequest("riverside:a", "riverside:b", 5, note="x"))
    ledger.close()
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", url)
    path = tmp_path / "rows.csv"
    path.write_text(
        "giver,receiver,minutes,service_date,note\n"
        "a,b,10,2024-03-01,a lift to the clinic\n"
        "new-1,a,10,2024-03-01,shopping for Ann\n"
    )
    before, events_before = key_rows(url), events(url)
    assert len(before) == 2  # so the check below can fail

    options = [str(path), "--organisation", "riverside", "--create-accounts"]
    assert main(["import", *options, "--dry-run"]) == 0, capsys.readouterr().err
    assert (key_rows(url), events(url)) == (before, events_before)
    assert main(["import", *options]) == 0
    assert len(key_rows(url)) == 3  # the import itself makes new-1's key
