"""Participation over time: active, new and returning members by month, and cohorts.

Stored exactly, whatever order the facts arrive in (a reversal, an exchange dated before an
account's first one): `account_months` holds, per account and service month, the net number
of completed exchanges it gave and received in. An account is active in a month where
either is positive, and its cohort is the first such month, so both always follow from the
account's own few rows. The totals the reads need, `org_months` (active, givers, receivers,
both, per organisation and month) and `cohort_months` (active members of each cohort, per
month), take signed deltas: a page works out each touched account's share of them before
and after its moves, and writes the difference. A reversal that empties an account's first
month moves all its months to the next cohort; the account's rows say how.

Only an organisation's own accounts count for it: in an exchange with another organisation,
each side counts for its own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from domain.organisation import organisation_id_in
from domain.rules import organisation_of
from projections.lookups import Lookups, Write
from projections.moves import PreparedPage

Row = dict[str, Any]
Months = dict[str, list[int]]  # month -> [gave, received], net of reversals
REPORTING = "Organisation.ReportingChanged"
TYPES = frozenset({REPORTING})

TABLES = (
    "CREATE TABLE IF NOT EXISTS {account_months} (account_id TEXT NOT NULL,"
    " month TEXT NOT NULL, gave BIGINT NOT NULL, received BIGINT NOT NULL,"
    " PRIMARY KEY (account_id, month))",
    "CREATE TABLE IF NOT EXISTS {org_months} (organisation TEXT NOT NULL, month TEXT NOT NULL,"
    " active BIGINT NOT NULL, givers BIGINT NOT NULL, receivers BIGINT NOT NULL,"
    " gave_and_received BIGINT NOT NULL, PRIMARY KEY (organisation, month))",
    "CREATE TABLE IF NOT EXISTS {cohort_months} (organisation TEXT NOT NULL,"
    " cohort TEXT NOT NULL, month TEXT NOT NULL, active BIGINT NOT NULL,"
    " PRIMARY KEY (organisation, cohort, month))",
    "CREATE TABLE IF NOT EXISTS {report_settings} (organisation TEXT PRIMARY KEY,"
    " min_count INTEGER)",
)
DROPS = ("account_months", "org_months", "cohort_months", "report_settings")

_UPSERT_ACCOUNT_MONTHS = (
    "INSERT INTO {account_months} (account_id, month, gave, received) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (account_id, month) DO UPDATE SET gave = excluded.gave,"
    " received = excluded.received"
)
_UPSERT_ORG_MONTHS = (
    "INSERT INTO {org_months} (organisation, month, active, givers, receivers,"
    " gave_and_received) VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (organisation, month) DO UPDATE SET active = org_months.active + excluded.active,"
    " givers = org_months.givers + excluded.givers,"
    " receivers = org_months.receivers + excluded.receivers,"
    " gave_and_received = org_months.gave_and_received + excluded.gave_and_received"
)
_UPSERT_COHORTS = (
    "INSERT INTO {cohort_months} (organisation, cohort, month, active) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (organisation, cohort, month) DO UPDATE SET"
    " active = cohort_months.active + excluded.active"
)
_EMPTY_ACCOUNT_MONTH = (
    "DELETE FROM {account_months} WHERE account_id = ? AND month = ? AND gave = 0 AND received = 0"
)
_EMPTY_ORG_MONTH = "DELETE FROM {org_months} WHERE organisation = ? AND month = ? AND active = 0"
_EMPTY_COHORT_MONTH = (
    "DELETE FROM {cohort_months} WHERE organisation = ? AND cohort = ? AND month = ? AND active = 0"
)
_UPSERT_SETTINGS = (
    "INSERT INTO {report_settings} (organisation, min_count) VALUES (?, ?)"
    " ON CONFLICT (organisation) DO UPDATE SET min_count = excluded.min_count"
)


def prepare(page: PreparedPage, lookups: Lookups) -> list[Write]:
    moved = changes(page)
    stored = lookups.account_months(sorted(moved)) if moved else {}
    shares: Counter[tuple[str, ...]] = Counter()
    written: list[tuple[Any, ...]] = []
    for account_id, deltas in moved.items():
        months = {m: list(v) for m, v in stored.get(account_id, {}).items()}
        org = organisation_of(account_id)
        shares.subtract(_share(org, months))
        for month, (gave, received) in deltas.items():
            counts = months.setdefault(month, [0, 0])
            counts[0] += gave
            counts[1] += received
            written.append((account_id, month, *counts))
        shares.update(_share(org, months))
        page.account_months[account_id] = months
    org_rows = _org_rows(shares)
    cohort_rows = [(*k[1:], n) for k, n in sorted(shares.items()) if k[0] == "c" and n]
    return [
        (_UPSERT_ACCOUNT_MONTHS, written),
        (_UPSERT_ORG_MONTHS, org_rows),
        (_UPSERT_COHORTS, cohort_rows),
        # Rows that came back to zero go: the tables hold the same rows however the
        # history was paged, so a rebuild leaves them exactly as they were.
        (_EMPTY_ACCOUNT_MONTH, [row[:2] for row in written if row[2:] == (0, 0)]),
        (_EMPTY_ORG_MONTH, [row[:2] for row in org_rows]),
        (_EMPTY_COHORT_MONTH, [row[:3] for row in cohort_rows]),
        (_UPSERT_SETTINGS, _settings(page)),
    ]


def changes(page: PreparedPage) -> dict[str, Months]:
    """Per account and service month, how the page moves its counts (as giver, receiver)."""
    changes: dict[str, Months] = defaultdict(dict)
    for move in page.moves:
        exchange, month = move.exchange, move.exchange["service_date"][:7]
        for side, party in enumerate(("giver", "receiver")):
            counts = changes[exchange[party]].setdefault(month, [0, 0])
            counts[side] += move.sign
    return dict(changes)


def _share(org: str, months: Months) -> Counter[tuple[str, ...]]:
    """One account's part in the totals: a 1 in each figure it counts in."""
    share: Counter[tuple[str, ...]] = Counter()
    active = sorted(m for m, (gave, received) in months.items() if gave > 0 or received > 0)
    for month in active:
        gave, received = months[month][0] > 0, months[month][1] > 0
        share["m", org, month, "active"] += 1
        share["m", org, month, "givers"] += gave
        share["m", org, month, "receivers"] += received
        share["m", org, month, "both"] += gave and received
        share["c", org, active[0], month] += 1
    return share


_FIGURES = ("active", "givers", "receivers", "both")


def _org_rows(shares: Counter[tuple[str, ...]]) -> list[tuple[Any, ...]]:
    rows: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for key, n in shares.items():
        if key[0] == "m" and n:
            rows[key[1], key[2]][_FIGURES.index(key[3])] += n
    return [(*key, *sums) for key, sums in sorted(rows.items())]


def _settings(page: PreparedPage) -> list[tuple[Any, ...]]:
    return [
        (organisation_id_in(e.stream), e.data["min_count"])
        for e in page.events
        if e.type == REPORTING
    ]
