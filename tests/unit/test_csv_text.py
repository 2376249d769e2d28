"""The CSV downloads stream in pieces of many rows, and every cell reads as before: numbers
as numbers, no value as empty, yes/no for flags, and formulas disarmed."""

from __future__ import annotations

import csv
import io

from api.web.tables import ACCOUNT_COLUMNS, account_row, accounts_csv, csv_text


def test_rows_stream_in_pieces_of_many_rows_that_join_into_the_whole_table() -> None:
    rows = [(i, f"a{i}") for i in range(2500)]
    pieces = list(csv_text(rows, chunk=1000))
    assert [piece.count("\r\n") for piece in pieces] == [1000, 1000, 500]
    assert list(csv.reader(io.StringIO("".join(pieces)))) == [
        [str(i), f"a{i}"] for i in range(2500)
    ]


def test_cells_read_as_a_spreadsheet_expects_them() -> None:
    text = "".join(csv_text([(-30, None, True, False, "=SUM(A1)", "+1", "plain", 1.5)]))
    assert text == "-30,,yes,no,'=SUM(A1),'+1,plain,1.5\r\n"


def test_an_account_row_has_a_value_for_every_column_in_order() -> None:
    stored = ("north:a", "a", "person", "open", -90, 0, 90, 600, None, "2024-05-01")
    row = dict(zip(ACCOUNT_COLUMNS, account_row(stored), strict=True))
    assert row == {"account": "north:a", "ref": "a", "kind": "person", "status": "open",
                   "balance": -90, "balance_hours": -1.5, "given": 0, "received": 90,
                   "credit_limit": 600, "max_balance": None, "over_limit": "no",
                   "only_gives": "no", "only_receives": "yes",
                   "last_activity": "2024-05-01"}  # fmt: skip


def test_the_accounts_csv_is_its_header_then_a_piece_a_page() -> None:
    page = [("north:-a", "-a", "person", "open", -700, 0, 700, 600, None, "")]
    pieces = list(accounts_csv([page, [], page]))
    assert pieces == [
        ",".join(ACCOUNT_COLUMNS)
        + "\r\nnorth:-a,'-a,person,open,-700,-11.67,0,700,600,,yes,no,yes,\r\n",
        "north:-a,'-a,person,open,-700,-11.67,0,700,600,,yes,no,yes,\r\n",
    ]
