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
from projections.moves import Page

Row = dict[str, Any]
Months = dict[str, list[int]]  # month -> [gave, received]
PairMonths = dict[str, int]  # month -> net exchanges
Period = tuple[str, str]  # span, period
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


def prepare(page: Page, lookups: Lookups) -> list[Write]:
    """After the participation: `page.account_months` holds the touched accounts' months."""
    shares: Counter[tuple[str, str, str, str]] = Counter()
    for account_id, (before, after) in _accounts(page).items():
        org = organisation_of(account_id)
        shares.subtract(_account_share(org, before))
        shares.update(_account_share(org, after))
    changes = _pair_changes(page)
    stored = lookups.pair_months(sorted(changes)) if changes else {}
    written: list[tuple[Any, ...]] = []
    for pair, deltas in sorted(changes.items()):
        months = dict(stored.get(pair, {}))
        shares.subtract(_pair_share(pair, months))
        for month, n in deltas.items():
            months[month] = months.get(month, 0) + n
            written.append((pair, month, months[month]))
        shares.update(_pair_share(pair, months))
        page.pair_months[pair] = months
    org_rows = _org_rows(shares)
    return [
        (_UPSERT_PAIR_MONTHS, written),
        (_UPSERT_ORG_PERIODS, org_rows),
        # Rows back at zero go, so the tables hold the same rows however the log was paged.
        (_EMPTY_PAIR_MONTH, [row[:2] for row in written if row[2] == 0]),
        (_EMPTY_ORG_PERIOD, [row[:3] for row in org_rows]),
    ]


def _accounts(page: Page) -> dict[str, tuple[Months, Months]]:
    """Each account the page moves: its months before the page, and after it."""
    found = {}
    for account_id, changes in participation.changes(page).items():
        after = page.account_months[account_id]
        before = {month: list(counts) for month, counts in after.items()}
        for month, (gave, received) in changes.items():
            before[month][0] -= gave
            before[month][1] -= received
        found[account_id] = (before, after)
    return found


def _pair_changes(page: Page) -> dict[str, PairMonths]:
    changes: dict[str, PairMonths] = defaultdict(dict)
    for move in page.moves:
        exchange = move.exchange
        months = changes[pair_of(exchange["giver"], exchange["receiver"])]
        month = exchange["service_date"][:7]
        months[month] = months.get(month, 0) + move.sign
    return dict(changes)


def _account_share(org: str, months: Months) -> Counter[tuple[str, str, str, str]]:
    """One account's part in its organisation's counts: a 1 in each it counts in."""
    sums: dict[Period, list[int]] = defaultdict(lambda: [0, 0])
    for month, (gave, received) in months.items():
        for key in periods_of(month):
            sums[key][0] += gave
            sums[key][1] += received
    share: Counter[tuple[str, str, str, str]] = Counter()
    for (span, period), (gave, received) in sums.items():
        if gave > 0 or received > 0:
            share[org, span, period, "active"] += 1
        if gave > 0 and received > 0:
            share[org, span, period, "gave_and_received"] += 1
    return share


def _pair_share(pair: str, months: PairMonths) -> Counter[tuple[str, str, str, str]]:
    sums: Counter[Period] = Counter()
    for month, n in months.items():
        for key in periods_of(month):
            sums[key] += n
    orgs = {organisation_of(account_id) for account_id in pair.split(" ")}
    return Counter(
        (org, span, period, "connections")
        for (span, period), n in sums.items()
        if n > 0
        for org in orgs
    )


def _org_rows(shares: Counter[tuple[str, str, str, str]]) -> list[tuple[Any, ...]]:
    rows: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for (org, span, period, figure), n in shares.items():
        if n:
            rows[org, span, period][FIGURES.index(figure)] += n
    return [(*key, *sums) for key, sums in sorted(rows.items()) if any(sums)]
