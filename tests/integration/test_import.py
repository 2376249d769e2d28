"""`timebank import`: all or nothing per file, each bad row named, nothing recorded twice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from api.cli import main
from domain.errors import Conflict
from ledger import Ledger, parse_database_url
from ledger.texts import note_place
from projections.events import LogEvent, read_log

Run = Callable[..., tuple[int, str, str]]


def open_ledger(url: str) -> Ledger:
    return Ledger(parse_database_url(url))


def prepare(url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Two organisations, one account at the day service; the command reads this database."""
    ledger = open_ledger(url)
    ledger.register_organisation("riverside", "Riverside Timebank", credit_limit=120)
    ledger.register_organisation("oakwood", "Oakwood Day Service")
    ledger.open_account("oakwood", "p-17")
    ledger.close()
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", url)
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """For what depends on the store: recording and recognising a file already recorded."""
    return prepare(str(request.getfixturevalue(f"{request.param}_url")), monkeypatch)


@pytest.fixture
def db(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """For the command's own logic, which does not depend on the store."""
    return prepare(sqlite_url, monkeypatch)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def run(*args: str) -> tuple[int, str, str]:
        status = main(["import", *args])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str], str]:
    def write(text: str, name: str = "exchanges.csv") -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def events(url: str) -> int:
    ledger = open_ledger(url)
    count = ledger.recorder.max_notification_id() or 0
    ledger.close()
    return count


def balances(url: str, *account_ids: str) -> list[int]:
    ledger = open_ledger(url)
    found = [ledger.get_account(a).balance for a in account_ids]
    ledger.close()
    return found


GOOD = """giver,receiver,minutes,service_date,category,note
m-001,m-002,60,2024-03-04,gardening,front garden
m-002,m-003,90,2024-03-09,lifts,
m-001,oakwood:p-17,30,2024-03-15,cooking,"lunch club"
"""


def test_a_csv_file_is_recorded_with_its_accounts(url: str, run: Run, write: Callable[..., str]):
    status, out, _ = run(write(GOOD), "--organisation", "riverside", "--create-accounts")
    assert status == 0
    assert "3 new exchange(s), 2 completed and 1 awaiting confirmation" in out
    assert balances(url, "riverside:m-001", "riverside:m-002", "riverside:m-003") == [60, 30, -90]
    ledger = open_ledger(url)
    recorded = [e.data for e in read_log(ledger.recorder, 0, 1000) if e.type == "Exchange.Recorded"]
    ledger.close()
    assert [(r["minutes"], r["service_date"], r["category"]) for r in recorded] == [
        (60, "2024-03-04", "gardening"),
        (90, "2024-03-09", "lifts"),
        (30, "2024-03-15", "cooking"),
    ]
    assert recorded[2]["awaiting"] == "oakwood"


def test_importing_the_same_file_twice_records_it_once(
    url: str, run: Run, write: Callable[..., str]
) -> None:
    path = write(GOOD)
    assert run(path, "--organisation", "riverside", "--create-accounts")[0] == 0
    after_first = events(url)
    status, out, _ = run(path, "--organisation", "riverside", "--create-accounts")
    assert status == 0
    assert "nothing new: all 3 row(s) were recorded by an earlier run" in out
    assert events(url) == after_first
    assert balances(url, "riverside:m-001") == [60]


def test_a_file_with_one_bad_row_records_nothing_and_names_the_row(
    url: str, run: Run, write: Callable[..., str]
) -> None:
    path = write(GOOD + "m-003,m-001,sixty,2024-03-20,,\n")
    before = events(url)
    status, _, err = run(path, "--organisation", "riverside", "--create-accounts")
    assert status == 1
    assert f"{path}:5: minutes: 'sixty' is not a whole number of minutes" in err
    assert "Nothing recorded: 1 of 4 rows refused." in err
    assert events(url) == before


def test_every_bad_row_is_named_with_its_line(db: str, run: Run, write: Callable[..., str]) -> None:
    text = (
        "giver,receiver,minutes,service_date,category,note\n"
        "m-001,m-002,60,2024-03-04,,\n"  # line 2: fine
        'm-001,m-002,60,2024-03-05,,"a note\nover two lines"\n'  # lines 3-4: fine
        "m-002,m-002,30,2024-03-06,,\n"  # line 5: same account
        "m-003,m-001,30,2999-01-01,,\n"  # line 6: in the future
        "m-004,m-001,30,05/03/2024,Garden Work,\n"  # line 7: date and category
        "m-004,elsewhere:x,30,2024-03-07,,\n"  # line 8: no such organisation's account
        "m-005,m-006,200,2024-03-08,,\n"  # line 9: below the credit limit of 120
    )
    path = write(text)
    before = events(db)
    status, _, err = run(path, "--organisation", "riverside", "--create-accounts")
    assert status == 1
    named = sorted({int(line.split(":")[1]) for line in err.splitlines() if line.startswith(path)})
    assert named == [5, 6, 7, 8, 9]
    assert "same account" in err
    assert "service_date must not be in the future" in err
    assert "category must be 1 to 40 lower-case letters, digits and hyphens" in err
    assert "^[a-z" not in err, "no regular expression for people to read"
    assert "no account elsewhere:x" in err
    assert "riverside:m-006 would go to -200 minutes, below its credit limit of -120" in err
    assert events(db) == before


def test_hours_out_of_range_are_named_in_hours(
    db: str, run: Run, write: Callable[..., str]
) -> None:
    path = write("giver,receiver,hours,service_date\nm-001,m-002,0,2024-03-04\n")

    status, _, err = run(path, "--organisation", "riverside", "--create-accounts")

    assert status == 1
    assert f"{path}:2: hours: 0 hours is 0 minutes; an exchange is 1 minute to 24 hours" in err
    assert "minutes must be between" not in err


def test_limits_carry_from_row_to_row_and_new_accounts_take_the_given_limit(
    db: str, run: Run, write: Callable[..., str]
) -> None:
    text = "giver,receiver,hours,service_date\na,b,1.5,2024-01-01\nc,b,1,2024-01-02\n"
    path = write(text)
    status, _, err = run(path, "--organisation", "riverside", "--create-accounts")
    assert status == 1
    assert f"{path}:3: riverside:b would go to -150 minutes" in err
    status, _, _ = run(
        path, "--organisation", "riverside", "--create-accounts", "--credit-limit", "600"
    )
    assert status == 0
    assert balances(db, "riverside:b") == [-150]


def test_unknown_accounts_are_refused_unless_the_import_may_open_them(
    db: str, run: Run, write: Callable[..., str]
) -> None:
    path = write("giver,receiver,minutes,service_date\nm-1,oakwood:p-99,30,2024-01-01\n")
    status, _, err = run(path, "--organisation", "riverside")
    assert status == 1
    assert "no account riverside:m-1 (open it first, or import with --create-accounts)" in err
    status, _, err = run(path, "--organisation", "riverside", "--create-accounts")
    assert status == 1
    assert "no account oakwood:p-99 (an import opens its own organisation's accounts only)" in err


def test_a_dry_run_checks_everything_and_records_nothing(
    db: str, run: Run, write: Callable[..., str]
) -> None:
    before = events(db)
    status, out, _ = run(
        write(GOOD), "--organisation", "riverside", "--create-accounts", "--dry-run"
    )
    assert status == 0
    assert "nothing recorded" in out
    assert "3 new exchange(s)" in out
    assert "3 new account(s)" in out
    assert events(db) == before


def test_an_interrupted_import_finishes_on_a_second_run_without_duplicates(
    db: str, run: Run, write: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.commands.importer as importer
    from api.imports import recording

    monkeypatch.setattr(recording, "CHUNK", 2)
    rows = "".join(f"m-{i % 4},m-{(i + 1) % 4},10,2024-02-{i + 1:02d}\n" for i in range(7))
    path = write("giver,receiver,minutes,service_date\n" + rows)
    real_record = importer.record

    def failing_on_the_third_chunk(ledger: Ledger, org: str, chunk: recording.Chunk):  # type: ignore[no-untyped-def]
        if chunk.index == 2:
            raise Conflict("too many concurrent changes to the same records; try again")
        return real_record(ledger, org, chunk)

    monkeypatch.setattr(importer, "record", failing_on_the_third_chunk)
    status, _, err = run(path, "--organisation", "riverside", "--create-accounts")
    assert status == 1
    assert "Stopped at chunk 3 of 4 (rows from line 6)" in err
    monkeypatch.setattr(importer, "record", real_record)
    status, out, _ = run(path, "--organisation", "riverside", "--create-accounts")
    assert status == 0
    assert "3 new exchange(s)" in out
    assert "4 row(s) were recorded by an earlier run" in out
    ledger = open_ledger(db)
    recorded = [e for e in read_log(ledger.recorder, 0, 1000) if e.type == "Exchange.Recorded"]
    ledger.close()
    assert len(recorded) == 7


def opened(ledger: Ledger, event: LogEvent) -> dict[str, Any]:
    """The event's data with its note opened (notes are sealed before they are events)."""
    exchange_id = event.stream.removeprefix("exchange:")
    return {**event.data, "note": ledger.texts.open(event.data["note"], note_place(exchange_id))[0]}


def test_a_timeoverflow_report_maps_from_to_receiver_and_to_to_giver(
    db: str, run: Run, write: Callable[..., str]
) -> None:
    text = (
        "Fecha,from,from ID,to,to ID,post,post ID,Motivo,quantity\n"
        "2024-02-01 10:15:00 +0100,Ana (12),12,Bea (7),7,Jardín,31,Poda del seto,1.5\n"
        "2024-02-10 09:00:00 +0100,Riverside,0,Ana (12),12,,,,0.33\n"
    )
    status, _, err = run(
        write(text), "--organisation", "riverside", "--format", "timeoverflow", "--create-accounts"
    )
    assert status == 0, err
    assert balances(db, "riverside:7", "riverside:12", "riverside:org") == [90, -70, -20]
    ledger = open_ledger(db)
    log = read_log(ledger.recorder, 0, 1000)
    first = next(opened(ledger, e) for e in log if e.type == "Exchange.Recorded")
    ledger.close()
    kinds = {e.data["ref"]: e.data["kind"] for e in log if e.type == "Account.Opened"}
    assert kinds["org"] == "organisation"
    assert (first["service_date"], first["note"]) == ("2024-02-01", "Poda del seto")
    assert "Ana" not in str([e.data for e in log])


def test_notes_can_be_left_out(db: str, run: Run, write: Callable[..., str]) -> None:
    status, _, _ = run(
        write(GOOD), "--organisation", "riverside", "--create-accounts", "--no-notes"
    )
    assert status == 0
    ledger = open_ledger(db)
    notes = [e.data["note"] for e in read_log(ledger.recorder, 0, 100) if "note" in e.data]
    ledger.close()
    assert notes == [None, None, None]


def test_timeoverflow_rows_of_deleted_members_are_refused_not_merged(
    db: str, run: Run, write: Callable[..., str]
) -> None:
    text = (
        "Date,from,from ID,to,to ID,post,post ID,Reason,quantity\n"
        "2024-02-01 10:15:00 +0100,deleted_user,deleted_user,Bea (7),7,,,,1\n"
    )
    path = write(text)
    status, _, err = run(
        path, "--organisation", "riverside", "--format", "timeoverflow", "--create-accounts"
    )
    assert status == 1
    assert f"{path}:2: receiver: the report shows deleted_user instead of a member ID" in err


def test_a_file_that_is_not_a_timeoverflow_report_is_refused_at_its_header(
    db: str, run: Run, write: Callable[..., str]
) -> None:
    status, _, err = run(write(GOOD), "--organisation", "riverside", "--format", "timeoverflow")
    assert status == 1
    assert "not a TimeOverflow transfers report" in err


def test_a_community_weaver_export_maps_provider_recipient_hours_and_category(
    db: str, run: Run, write: Callable[..., str]
) -> None:
    text = (
        "Exchange ID,Service Date,Provider,Provider ID,Recipient,Recipient ID,"
        "Service Category,Hours,Description\n"
        "501,01/05/2024,Pat Doe,101,Sam Roe,102,Home & Garden,2.00,Raked leaves\n"
    )
    status, _, err = run(
        write(text),
        "--organisation",
        "riverside",
        "--format",
        "communityweaver",
        "--create-accounts",
        "--credit-limit",
        "600",
        "--date-format",
        "%m/%d/%Y",
    )
    assert status == 0, err
    assert balances(db, "riverside:101", "riverside:102") == [120, -120]
    ledger = open_ledger(db)
    log = read_log(ledger.recorder, 0, 1000)
    recorded = next(opened(ledger, e) for e in log if e.type == "Exchange.Recorded")
    ledger.close()
    assert (recorded["category"], recorded["note"]) == ("home-garden", "Raked leaves")
    assert recorded["service_date"] == "2024-01-05"
    assert "Pat" not in str([e.data for e in log])


def test_spreadsheet_csv_with_semicolons_and_a_byte_order_mark_is_read(
    db: str, run: Run, tmp_path: Path
) -> None:
    path = tmp_path / "excel.csv"
    path.write_text("giver;receiver;hours;service_date\nm-1;m-2;0,5;2024-01-01\n", "utf-8-sig")
    status, _, err = run(str(path), "--organisation", "riverside", "--create-accounts")
    assert status == 0, err
    assert balances(db, "riverside:m-1") == [30]


def test_an_unknown_column_or_organisation_is_refused_before_any_row(
    db: str, run: Run, write: Callable[..., str]
) -> None:
    status, _, err = run(
        write("giver,receiver,minutes,service_date,name\n"), "--organisation", "riverside"
    )
    assert status == 1
    assert "unknown column(s) name" in err
    status, _, err = run(write(GOOD), "--organisation", "nowhere")
    assert status == 2
    assert "no organisation 'nowhere'" in err


NAMED_REPORT = (
    "Date,from,from ID,to,to ID,post,post ID,Reason,quantity\n"
    "2024-02-01 10:15:00 +0100,Zebedee Quill (12),12,Bea Marsh (7),7,Garden,31,Pruned,1.5\n"
    "2024-02-10 09:00:00 +0100,Riverside Timebank,0,Zebedee Quill (12),12,,,,0.5\n"
)


def directory(url: str, *account_ids: str) -> dict[str, str]:
    ledger = open_ledger(url)
    names = ledger.display_names(list(account_ids))
    ledger.close()
    return names


def test_an_import_fills_display_names_and_no_name_reaches_an_event_or_export(
    url: str, run: Run, write: Callable[..., str], tmp_path: Path
) -> None:
    args = ("--organisation", "riverside", "--format", "timeoverflow", "--create-accounts")
    status, out, err = run(write(NAMED_REPORT), *args)
    assert status == 0, err
    assert "2 display name(s) set." in out
    found = directory(url, "riverside:12", "riverside:7", "riverside:org")
    assert found == {"riverside:12": "Zebedee Quill", "riverside:7": "Bea Marsh"}
    ledger = open_ledger(url)
    log = str(read_log(ledger.recorder, 0, 1000))  # every field of every event
    ledger.close()
    assert main(["export", "--out", str(tmp_path / "all.jsonl")]) == 0
    csv_args = ["--format", "csv", "--organisation", "riverside"]
    assert main(["export", "--out", str(tmp_path / "csv"), *csv_args]) == 0
    exports = [tmp_path / "all.jsonl", *(tmp_path / "csv").iterdir()]
    exported = [p.read_text() for p in exports]
    for name in ("Zebedee", "Quill", "Marsh"):
        assert name not in log
        assert not any(name in text for text in exported)


def test_a_dry_run_sets_no_display_name(db: str, run: Run, write: Callable[..., str]) -> None:
    args = ("--organisation", "riverside", "--format", "timeoverflow", "--create-accounts")
    status, out, _ = run(write(NAMED_REPORT), *args, "--dry-run")
    assert status == 0
    assert "2 display name(s) in the file, none set." in out
    ledger = open_ledger(db)
    ledger.open_account("riverside", "12")
    ledger.close()
    assert directory(db, "riverside:12", "riverside:7") == {}


def test_only_the_importing_organisations_accounts_without_a_name_are_named(
    db: str, run: Run, write: Callable[..., str]
) -> None:
    ledger = open_ledger(db)
    ledger.open_account("riverside", "101")
    ledger.set_display_name("riverside:101", "riverside", "Pat (as corrected)")
    ledger.close()
    text = (
        "Service Date,Provider,Provider ID,Recipient,Recipient ID,Hours,Description\n"
        "2024-01-05,Pat Doe,101,Sam Roe,102,1.00,\n"
        "2024-01-06,Sam Roe,102,Olive Stone,oakwood:p-17,1.00,\n"
    )
    args = ("--organisation", "riverside", "--format", "communityweaver", "--create-accounts")
    status, out, err = run(write(text), *args)
    assert status == 0, err
    assert "1 display name(s) set, 1 kept as they were." in out
    found = directory(db, "riverside:101", "riverside:102", "oakwood:p-17")
    assert found == {"riverside:101": "Pat (as corrected)", "riverside:102": "Sam Roe"}


def test_names_can_be_left_out(db: str, run: Run, write: Callable[..., str]) -> None:
    args = ("--organisation", "riverside", "--format", "timeoverflow", "--create-accounts")
    status, out, _ = run(write(NAMED_REPORT), *args, "--no-names")
    assert status == 0
    assert "0 display name(s) set." in out
    assert directory(db, "riverside:12", "riverside:7") == {}
