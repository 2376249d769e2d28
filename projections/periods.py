"""The summary's distinct counts, kept per calendar period: month, quarter, year, all time.

Active accounts, accounts that gave and received, and connections (pairs of accounts with an
exchange) cannot be summed from days: an account active on two days is one active account.
So they are counted per period as the facts arrive. `org_periods` holds, per organisation,
span (`month`, `quarter`, `year`, `all`) and period (`2024-03`, `2024-Q1`, `2024`, ''), the
three counts. An account's own figures per period follow from its rows of `account_months`
(`projections.participation`: net exchanges given and received per month), a pair's from
`pair_months` (net completed exchanges between the two accounts, either way, per month;
the pair is the two ids in order, joined by a space). A page works out each touched
account's and pair's share of the counts before and after its moves, and writes the
difference, as the participation does: a reversal takes an account or a pair out of a
period's counts when it empties it there, whatever order the facts came in.

Only an organisation's own accounts count in its active figures; a pair counts for each
organisation one of its accounts belongs to (an exchange with another organisation is a
connection of both).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from domain.rules import organisation_of
from projections import participation
from projections.lookups import Lookups, Write
from projections.moves import PreparedPage

Row = dict[str, Any]
Months = dict[str, list[int]]  # month -> [gave, received]
PairMonths = dict[str, int]  # month -> net exchanges
Period = tuple[str, str]  # span, period
Share = tuple[str, str, str, str]  # organisation, span, period, figure
FIGURES = ("active", "gave_and_received", "connections")

TABLES = (
    "CREATE TABLE IF NOT EXISTS {pair_months} (pair TEXT NOT NULL, month TEXT NOT NULL,"
    " exchanges BIGINT NOT NULL, PRIMARY KEY (pair, month))",
    "CREATE TABLE IF NOT EXISTS {org_periods} (organisation TEXT NOT NULL, span TEXT NOT NULL,"
    " period TEXT NOT NULL, active BIGINT NOT NULL, gave_and_received BIGINT NOT NULL,"
    " connections BIGINT NOT NULL, PRIMARY KEY (organisation, span, period))",
)
DROPS = ("pair_months", "org_periods")

_UPSERT_PAIR_MONTHS = (
    "INSERT INTO {pair_months} (pair, month, exchanges) VALUES (?, ?, ?)"
    " ON CONFLICT (pair, month) DO UPDATE SET exchanges = excluded.exchanges"
)
_EMPTY_PAIR_MONTH = "DELETE FROM {pair_months} WHERE pair = ? AND month = ? AND exchanges = 0"
_UPSERT_ORG_PERIODS = (
    "INSERT INTO {org_periods} (organisation, span, period, active, gave_and_received,"
    " connections) VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (organisation, span, period) DO UPDATE SET"
    " active = org_periods.active + excluded.active,"
    " gave_and_received = org_periods.gave_and_received + excluded.gave_and_received,"
    " connections = org_periods.connections + excluded.connections"
)
_EMPTY_ORG_PERIOD = (
    "DELETE FROM {org_periods} WHERE organisation = ? AND span = ? AND period = ?"
    " AND active = 0 AND gave_and_received = 0 AND connections = 0"
)


def periods_of(month: str) -> tuple[Period, ...]:
    """The calendar periods a month (`YYYY-MM`) lies in, itself included."""
    year, number = month[:4], int(month[5:7])
    return (("month", month), ("quarter", f"{year}-Q{(number + 2) // 3}"), ("year", year),
            ("all", ""))  # fmt: skip


def pair_of(one: str, other: str) -> str:
    return f"{one} {other}" if one < other else f"{other} {one}"


def prepare(page: PreparedPage, lookups: Lookups) -> list[Write]:
    """After the participation: `page.account_months` holds the touched accounts' months."""
    shares: Counter[Share] = Counter()
    for account_id, deltas in participation.changes(page).items():
        _account_share(organisation_of(account_id), page.account_months[account_id], deltas, shares)
    changes = _pair_changes(page)
    stored = lookups.pair_months(sorted(changes)) if changes else {}
    written: list[tuple[Any, ...]] = []
    for pair, moved in sorted(changes.items()):
        months = dict(stored.get(pair, {}))
        for month, n in moved.items():
            months[month] = months.get(month, 0) + n
            written.append((pair, month, months[month]))
        _pair_share(pair, months, moved, shares)
        page.pair_months[pair] = months
    org_rows = _org_rows(shares)
    return [
        (_UPSERT_PAIR_MONTHS, written),
        (_UPSERT_ORG_PERIODS, org_rows),
        # Rows back at zero go, so the tables hold the same rows however the log was paged.
        (_EMPTY_PAIR_MONTH, [row[:2] for row in written if row[2] == 0]),
        (_EMPTY_ORG_PERIOD, [row[:3] for row in org_rows]),
    ]


def _pair_changes(page: PreparedPage) -> dict[str, PairMonths]:
    changes: dict[str, PairMonths] = defaultdict(dict)
    for move in page.moves:
        exchange = move.exchange
        months = changes[pair_of(exchange["giver"], exchange["receiver"])]
        month = exchange["service_date"][:7]
        months[month] = months.get(month, 0) + move.sign
    return dict(changes)


def _account_share(org: str, after: Months, deltas: Months, shares: Counter[Share]) -> None:
    """How an account's part in its organisation's counts moves: +1 where it starts to
    count in a period, -1 where it stops. Only the periods of the moved months can change."""
    totals: dict[Period, list[int]] = defaultdict(lambda: [0, 0])
    for month, (gave, received) in after.items():
        for key in periods_of(month):
            totals[key][0] += gave
            totals[key][1] += received
    moved: dict[Period, list[int]] = defaultdict(lambda: [0, 0])
    for month, (gave, received) in deltas.items():
        for key in periods_of(month):
            moved[key][0] += gave
            moved[key][1] += received
    for key, (gave, received) in moved.items():
        now_gave, now_received = totals[key]
        was_gave, was_received = now_gave - gave, now_received - received
        active = (now_gave > 0 or now_received > 0) - (was_gave > 0 or was_received > 0)
        both = (now_gave > 0 and now_received > 0) - (was_gave > 0 and was_received > 0)
        shares[(org, *key, "active")] += active
        shares[(org, *key, "gave_and_received")] += both


def _pair_share(pair: str, after: PairMonths, deltas: PairMonths, shares: Counter[Share]) -> None:
    """How a pair's part in the connections moves, for each organisation it belongs to."""
    totals: Counter[Period] = Counter()
    for month, n in after.items():
        for key in periods_of(month):
            totals[key] += n
    moved: Counter[Period] = Counter()
    for month, n in deltas.items():
        for key in periods_of(month):
            moved[key] += n
    orgs = {organisation_of(account_id) for account_id in pair.split(" ")}
    for key, n in moved.items():
        change = (totals[key] > 0) - (totals[key] - n > 0)
        for org in orgs:
            shares[(org, *key, "connections")] += change


def _org_rows(shares: Counter[Share]) -> list[tuple[Any, ...]]:
    rows: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for (org, span, period, figure), n in shares.items():
        if n:
            rows[org, span, period][FIGURES.index(figure)] += n
    return [(*key, *sums) for key, sums in sorted(rows.items()) if any(sums)]
