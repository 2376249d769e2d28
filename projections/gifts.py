"""Gifts as the views see them: the gifts themselves, gifted minutes by day, and the balance
moves they cause.

A gift moves two balances and appears in both statements (`kind: gift`), but it is not time
given or received: its statement rows carry `sign` 0, so every count of exchanges, partners,
active accounts and connections (each sums `sign`, or `gave` 1 and 0) passes over them, and
an account's `given`, `received` and `last_service_date` stay as they were (a statement row
of a gift carries the last service date before it, or '' if none). The reversal event
carries the gift's facts, so no page needs to look a gift up.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, NamedTuple

from domain.gift import gift_id_in
from domain.rules import organisation_of
from projections.balance_moves import move_gift
from projections.lookups import Write
from projections.moves import PreparedPage

Row = dict[str, Any]
MADE, REVERSED = "Gift.Made", "Gift.Reversed"
TYPES = frozenset({MADE, REVERSED})
# The `gave` column of a statement row: 1 gave time, 0 received it, and for gifts:
GIFT, GIFT_REVERSAL = 2, 3

TABLES = (
    "CREATE TABLE IF NOT EXISTS {gifts} (id TEXT PRIMARY KEY, position BIGINT NOT NULL,"
    " status TEXT NOT NULL, from_account TEXT NOT NULL, to_account TEXT NOT NULL,"
    " organisation TEXT NOT NULL, minutes BIGINT NOT NULL, day TEXT NOT NULL, note TEXT,"
    " recorded_at TEXT NOT NULL, recorded_by_key TEXT, updated_position BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {gift_days} (organisation TEXT NOT NULL, day TEXT NOT NULL,"
    " gifts BIGINT NOT NULL, minutes BIGINT NOT NULL, PRIMARY KEY (organisation, day))",
)
DROPS = ("gifts", "gift_days")

_INSERT = (
    "INSERT INTO {gifts} (id, position, status, from_account, to_account, organisation,"
    " minutes, day, note, recorded_at, recorded_by_key, updated_position)"
    " VALUES (?, ?, 'completed', ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_REVERSE = "UPDATE {gifts} SET status = 'reversed', updated_position = ? WHERE id = ?"
_UPSERT_DAYS = (
    "INSERT INTO {gift_days} (organisation, day, gifts, minutes) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (organisation, day) DO UPDATE SET gifts = gift_days.gifts + excluded.gifts,"
    " minutes = gift_days.minutes + excluded.minutes"
)


class GiftMove(NamedTuple):
    """Balances moving for one gift: sign +1 when made, -1 when reversed."""

    gift_id: str
    from_account: str
    to_account: str
    organisation: str
    day: str
    sign: int
    position: int
    recorded_at: str
    minutes: int  # the gift's minutes, times the sign


def read(page: PreparedPage) -> None:
    """The gift moves of a page, in log order, onto `page.gift_moves`."""
    for event in page.events:
        if event.type in TYPES:
            data = event.data
            page.gift_moves.append(
                GiftMove(
                    gift_id=gift_id_in(event.stream),
                    from_account=data["from_account"],
                    to_account=data["to_account"],
                    organisation=organisation_of(data["from_account"]),
                    day=data["day"],
                    sign=1 if event.type == MADE else -1,
                    position=event.position,
                    recorded_at=event.recorded_at,
                    minutes=int(data["minutes"]) * (1 if event.type == MADE else -1),
                )
            )


def prepare(page: PreparedPage) -> list[Write]:
    made = [e for e in page.events if e.type == MADE]
    days: defaultdict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for move in page.gift_moves:
        sums = days[move.organisation, move.day]
        sums[0] += move.sign
        sums[1] += move.minutes
    return [
        (_INSERT, [_gift_row(gift_id_in(e.stream), e) for e in made]),
        (_REVERSE, [(e.position, gift_id_in(e.stream)) for e in page.events
                    if e.type == REVERSED]),
        (_UPSERT_DAYS, [(*key, *sums) for key, sums in days.items()]),
    ]  # fmt: skip


def _gift_row(gift_id: str, event: Any) -> tuple[Any, ...]:
    data = event.data
    return (
        gift_id, event.position, data["from_account"], data["to_account"], data["organisation"],
        data["minutes"], data["day"], data["note"], event.recorded_at,
        data.get("recorded_by_key"), event.position,
    )  # fmt: skip


def statement_rows(accounts: dict[str, Row], move: GiftMove) -> list[tuple[Any, ...]]:
    """Both sides of one gift move, in the statements' column order (giver first)."""
    kind = GIFT if move.sign > 0 else GIFT_REVERSAL
    sides = (
        (move.from_account, move.to_account, -move.minutes),
        (move.to_account, move.from_account, move.minutes),
    )
    rows = []
    for party, other, signed in sides:
        account = accounts[party]
        move_gift(account, signed)
        rows.append((
            party, move.position, move.gift_id, other, account["organisation"], kind, 0, signed,
            account["balance"], account["given"], account["received"], move.day,
            move.recorded_at, None, account["last_service_date"] or "",
        ))  # fmt: skip
    return rows


def entry_kind(gave: int, sign: int) -> str:
    """What a statement row is, as its entry's `kind` says it."""
    if gave == GIFT:
        return "gift"
    if gave == GIFT_REVERSAL or sign < 0:
        return "reversal"
    return "exchange"
