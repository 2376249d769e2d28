"""Each organisation's exchanges by service day and category: what summaries sum.

One row per (organisation, service day, category) with the exchanges, minutes and
cross-organisation minutes counted there. Rows take signed deltas: a reversal subtracts what
its exchange added, so reversed exchanges count as never having happened. A page's deltas
are summed in Python and written with one upsert. The distinct counts (active accounts,
connections) cannot be summed this way: they are kept per calendar period
(`projections.periods`), and counted from the statement rows for any other range.
"""

from __future__ import annotations

from collections import defaultdict

from projections.lookups import Write
from projections.moves import Move, PreparedPage

UNCATEGORISED = "uncategorised"

TABLES = (
    "CREATE TABLE IF NOT EXISTS {org_days} (organisation TEXT NOT NULL, day TEXT NOT NULL,"
    " category TEXT NOT NULL, exchanges BIGINT NOT NULL, minutes BIGINT NOT NULL,"
    " cross_minutes BIGINT NOT NULL, PRIMARY KEY (organisation, day, category))",
)
DROPS = ("org_days",)

_UPSERT_ORG_DAYS = (
    "INSERT INTO {org_days} (organisation, day, category, exchanges, minutes, cross_minutes)"
    " VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (organisation, day, category) DO UPDATE SET"
    " exchanges = org_days.exchanges + excluded.exchanges,"
    " minutes = org_days.minutes + excluded.minutes,"
    " cross_minutes = org_days.cross_minutes + excluded.cross_minutes"
)

OrgKey = tuple[str, str, str]  # organisation, day, category


def prepare(page: PreparedPage) -> list[Write]:
    orgs: defaultdict[OrgKey, list[int]] = defaultdict(lambda: [0, 0, 0])
    for move in page.moves:
        _count(move, orgs)
    return [(_UPSERT_ORG_DAYS, [(*key, *sums) for key, sums in orgs.items()])]


def _count(move: Move, orgs: defaultdict[OrgKey, list[int]]) -> None:
    exchange, minutes, sign = move.exchange, move.minutes, move.sign
    day = exchange["service_date"]
    category = exchange["category"] or UNCATEGORISED
    parties = {exchange["giver_org"], exchange["receiver_org"]}
    cross = minutes if len(parties) == 2 else 0
    for org in parties:
        sums = orgs[org, day, category]
        sums[0] += sign
        sums[1] += minutes
        sums[2] += cross
