"""Every read model as a plain fold over the whole event log: slow, obvious, and the
standard the projections are held to.

Balances come from the accounts' own events (Earned, Spent and their reversals), statements
and activity from the exchanges' events: two roads that must meet at the same numbers. The
change feed is each organisation's list of those events, with the exchange or account as it
stood just after each one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from projections.events import LogEvent

Row = dict[str, Any]
BALANCE = {  # how the balance moves, which figure moves, and which way
    "Account.Earned": (1, "given", 1),
    "Account.Spent": (-1, "received", 1),
    "Account.EarningReversed": (-1, "given", -1),
    "Account.SpendingReversed": (1, "received", -1),
    # Gifts move balances only: no figure of time given or received.
    "Account.GiftSent": (-1, None, 0),
    "Account.GiftReceived": (1, None, 0),
    "Account.GiftSentReversed": (1, None, 0),
    "Account.GiftReceivedReversed": (-1, None, 0),
}
STATUS = {
    "Exchange.Confirmed": "completed",
    "Exchange.Rejected": "rejected",
    "Exchange.Expired": "expired",
    "Exchange.Reversed": "reversed",
}

FEED = {
    "Exchange.Recorded": "exchange.recorded",
    "Exchange.Confirmed": "exchange.confirmed",
    "Exchange.Rejected": "exchange.rejected",
    "Exchange.Expired": "exchange.expired",
    "Exchange.Reversed": "exchange.reversed",
    "Account.Opened": "account.opened",
    "Account.LimitsChanged": "account.limits_changed",
    "Account.Closed": "account.closed",
}
EXCHANGE_SHOWN = (
    *("id", "status", "giver", "receiver", "minutes", "service_date", "category", "note"),
    *("recorded_at", "recorded_by", "recorded_by_key", "awaiting", "expires_on", "position"),
)
ACCOUNT_SHOWN = ("id", "organisation", "ref", "kind", "status", "credit_limit", "max_balance")


@dataclass
class Fold:
    organisations: dict[str, Row] = field(default_factory=dict)
    accounts: dict[str, Row] = field(default_factory=dict)
    exchanges: dict[str, Row] = field(default_factory=dict)
    statements: dict[str, list[Row]] = field(default_factory=dict)
    feeds: dict[str, list[Row]] = field(default_factory=dict)
    gifts: dict[str, Row] = field(default_factory=dict)
    min_counts: dict[str, int | None] = field(default_factory=dict)

    @classmethod
    def of(cls, events: list[LogEvent]) -> Fold:
        fold = cls()
        for event in events:
            fold.apply(event)
        return fold

    def apply(self, event: LogEvent) -> None:
        kind, _, name = event.type.partition(".")
        if event.type == "Organisation.ReportingChanged":
            self.min_counts[event.stream.removeprefix("organisation:")] = event.data["min_count"]
        elif kind == "Organisation":
            org = event.stream.removeprefix("organisation:")
            self.organisations[org] = {"id": org, **event.data}
        elif kind == "Account":
            self._account(event, name)
        elif kind == "Exchange":
            self._exchange(event)
        elif kind == "Gift":
            self._gift(event)
        if event.type in FEED:
            self._feed(event, kind)

    def _feed(self, event: LogEvent, kind: str) -> None:
        """The change, in the feed of every organisation it concerns (once each)."""
        change: Row = {
            "position": event.position,
            "type": FEED[event.type],
            "recorded_at": event.recorded_at,
        }
        if kind == "Exchange":
            exchange = self.exchanges[event.stream.removeprefix("exchange:")]
            change["exchange"] = {k: exchange[k] for k in EXCHANGE_SHOWN}
            parties = (exchange["giver"], exchange["receiver"])
            organisations = {p.split(":")[0] for p in parties}
        else:
            account = self.accounts[event.stream.removeprefix("account:")]
            change["account"] = {k: account[k] for k in ACCOUNT_SHOWN}
            organisations = {account["organisation"]}
        for org in organisations:
            self.feeds.setdefault(org, []).append(change)

    def _account(self, event: LogEvent, name: str) -> None:
        account_id = event.stream.removeprefix("account:")
        if name == "Opened":
            self.accounts[account_id] = {
                "id": account_id,
                **{k: event.data[k] for k in ("organisation", "ref", "kind")},
                "status": "open",
                "credit_limit": event.data["credit_limit"],
                "max_balance": event.data["max_balance"],
                **{"balance": 0, "given": 0, "received": 0, "last_activity": None},
                "opened": event.position,
            }
            self.statements[account_id] = []
        elif name == "LimitsChanged":
            self.accounts[account_id].update(event.data)
        elif name == "Closed":
            self.accounts[account_id]["status"] = "closed"
        else:
            sign, figure, way = BALANCE[event.type]
            account = self.accounts[account_id]
            account["balance"] += sign * event.data["minutes"]
            if figure is not None:
                account[figure] += way * event.data["minutes"]

    def _exchange(self, event: LogEvent) -> None:
        exchange_id = event.stream.removeprefix("exchange:")
        if event.type == "Exchange.Recorded":
            self.exchanges[exchange_id] = {
                "id": exchange_id,
                **event.data,
                "recorded_at": event.recorded_at,
                "position": event.position,
            }
            if event.data["status"] == "completed":
                self._move(self.exchanges[exchange_id], event, "exchange")
            return
        exchange = self.exchanges[exchange_id]
        exchange["status"] = STATUS[event.type]
        if event.type == "Exchange.Confirmed":
            self._move(exchange, event, "exchange")
        elif event.type == "Exchange.Reversed":
            self._move(exchange, event, "reversal")

    def _move(self, exchange: Row, event: LogEvent, kind: str) -> None:
        minutes = exchange["minutes"] if kind == "exchange" else -exchange["minutes"]
        for party, other, signed in (
            ("giver", "receiver", minutes),
            ("receiver", "giver", -minutes),
        ):
            entries = self.statements[exchange[party]]
            before = entries[-1]["balance"] if entries else 0
            entries.append(
                {
                    "exchange_id": exchange["id"],
                    "counterparty": exchange[other],
                    "minutes": signed,
                    "balance": before + signed,
                    "service_date": exchange["service_date"],
                    "recorded_at": event.recorded_at,
                    "category": exchange["category"],
                    "kind": kind,
                    "position": event.position,
                }
            )
            last = self.accounts[exchange[party]]["last_activity"] or ""
            self.accounts[exchange[party]]["last_activity"] = max(last, exchange["service_date"])

    def _gift(self, event: LogEvent) -> None:
        gift_id, data = event.stream.removeprefix("gift:"), event.data
        made = event.type == "Gift.Made"
        if made:
            self.gifts[gift_id] = {"id": gift_id, **data, "status": "completed"}
        else:
            self.gifts[gift_id]["status"] = "reversed"
        minutes = data["minutes"] if made else -data["minutes"]
        for party, other, signed in (
            (data["from_account"], data["to_account"], -minutes),
            (data["to_account"], data["from_account"], minutes),
        ):
            entries = self.statements[party]
            before = entries[-1]["balance"] if entries else 0
            entries.append(
                {
                    "exchange_id": gift_id,
                    "counterparty": other,
                    "minutes": signed,
                    "balance": before + signed,
                    "service_date": data["day"],
                    "recorded_at": event.recorded_at,
                    "category": None,
                    "kind": "gift" if made else "reversal",
                    "position": event.position,
                }
            )

    # The reads, by their definitions.

    def account(self, account_id: str) -> Row:
        a = self.accounts[account_id]
        cap = a["max_balance"]
        over = a["balance"] < -a["credit_limit"] or (cap is not None and a["balance"] > cap)
        shown = {k: v for k, v in a.items() if k != "opened"}
        return {**shown, "over_limit": over}

    def balance_at(self, account_id: str, position: int) -> int:
        entries = [e for e in self.statements[account_id] if e["position"] <= position]
        return entries[-1]["balance"] if entries else 0

    def status(self, exchange: Row, today: date) -> str:
        expires = exchange["expires_on"]
        if exchange["status"] == "pending" and expires and today.isoformat() > expires:
            return "expired"
        return str(exchange["status"])

    def counted(self, start: date | None, end: date | None) -> list[Row]:
        """Completed exchanges with a service date in the range; reversed ones are not."""
        low, high = (start or date.min).isoformat(), (end or date.max).isoformat()
        return [
            e
            for e in self.exchanges.values()
            if e["status"] == "completed" and low <= e["service_date"] <= high
        ]

    def reciprocity(self, account_id: str, start: date | None, end: date | None) -> Row:
        counted = self.counted(start, end)
        given = [e for e in counted if e["giver"] == account_id]
        received = [e for e in counted if e["receiver"] == account_id]
        to = {e["receiver"] for e in given}
        came_from = {e["giver"] for e in received}
        return {
            "given": sum(e["minutes"] for e in given),
            "received": sum(e["minutes"] for e in received),
            "exchanges_given": len(given),
            "exchanges_received": len(received),
            "partners_given_to": len(to),
            "partners_received_from": len(came_from),
            "distinct_partners": len(to | came_from),
            "gave_and_received": bool(given) and bool(received),
        }

    def summary(self, org: str, start: date | None, end: date | None) -> Row:
        low, high = (start or date.min).isoformat(), (end or date.max).isoformat()

        def in_org(account_id: str) -> bool:
            return account_id.split(":")[0] == org

        counted = [
            e for e in self.counted(start, end) if in_org(e["giver"]) or in_org(e["receiver"])
        ]
        gave = {e["giver"] for e in counted if in_org(e["giver"])}
        got = {e["receiver"] for e in counted if in_org(e["receiver"])}
        categories: dict[str, int] = {}
        months: dict[str, list[Row]] = {}
        for e in counted:
            key = e["category"] or "uncategorised"
            categories[key] = categories.get(key, 0) + e["minutes"]
            months.setdefault(e["service_date"][:7], []).append(e)
        return {
            "organisation": org,
            "from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None,
            "accounts": sum(1 for a in self.accounts.values() if a["organisation"] == org),
            "active_accounts": len(gave | got),
            "gave_and_received": len(gave & got),
            "exchanges": len(counted),
            "minutes": sum(e["minutes"] for e in counted),
            "cross_organisation_minutes": sum(
                e["minutes"] for e in counted if not (in_org(e["giver"]) and in_org(e["receiver"]))
            ),
            "connections": len({frozenset((e["giver"], e["receiver"])) for e in counted}),
            "by_category": dict(sorted(categories.items())),
            "by_month": [
                {
                    "month": month,
                    "exchanges": len(items),
                    "minutes": sum(e["minutes"] for e in items),
                    "active_accounts": len(
                        {a for e in items for a in (e["giver"], e["receiver"]) if in_org(a)}
                    ),
                }
                for month, items in sorted(months.items())
            ],
            "gifted_minutes": sum(
                g["minutes"]
                for g in self.gifts.values()
                if g["organisation"] == org
                and g["status"] == "completed"
                and low <= g["day"] <= high
            ),
        }

    def participation(self, org: str, first: str, last: str) -> Row:
        """By definition: each of the organisation's accounts, the months it gave or
        received in completed exchanges (all of history), its first such month."""
        gave: dict[str, set[str]] = {}
        got: dict[str, set[str]] = {}
        for e in self.counted(None, None):
            for party, months in (("giver", gave), ("receiver", got)):
                if e[party].split(":")[0] == org:
                    months.setdefault(e[party], set()).add(e["service_date"][:7])
        active = {a: gave.get(a, set()) | got.get(a, set()) for a in gave.keys() | got.keys()}
        first_of = {a: min(months) for a, months in active.items()}
        span = _months(first, last)
        return {
            "organisation": org,
            "from": first,
            "to": last,
            "months": [
                {
                    "month": m,
                    "active": sum(m in ms for ms in active.values()),
                    "new": sum(f == m for f in first_of.values()),
                    "returning": sum(m in ms and first_of[a] < m for a, ms in active.items()),
                    "givers": sum(m in ms for ms in gave.values()),
                    "receivers": sum(m in ms for ms in got.values()),
                    "gave_and_received": sum(
                        m in gave.get(a, set()) and m in got.get(a, set()) for a in active
                    ),
                }
                for m in span
            ],
            "cohorts": [
                {
                    "cohort": c,
                    "size": sum(f == c for f in first_of.values()),
                    "active": [
                        sum(first_of[a] == c and m in active[a] for a in active) for m in span[i:]
                    ],
                }
                for i, c in enumerate(span)
                if c in first_of.values()
            ],
        }

    def exchange(self, exchange_id: str, today: date) -> Row:
        e = self.exchanges[exchange_id]
        keys = ("id", "giver", "receiver", "minutes", "service_date", "category", "note")
        more = ("recorded_at", "recorded_by", "recorded_by_key", "awaiting", "expires_on")
        return {
            **{k: e[k] for k in (*keys, *more, "position")},
            "status": self.status(e, today),
        }

    def exchange_list(self, today: date, **filters: str | None) -> list[Row]:
        def keep(e: Row) -> bool:
            parties = (e["giver"], e["receiver"])
            orgs = {p.split(":")[0] for p in parties}
            return (
                filters.get("account") in (None, *parties)
                and filters.get("organisation") in (None, *orgs)
                and filters.get("status") in (None, self.status(e, today))
                and filters.get("recorded_by_key") in (None, e["recorded_by_key"])
            )

        ordered = sorted(self.exchanges.values(), key=lambda e: e["position"])
        return [self.exchange(e["id"], today) for e in ordered if keep(e)]

    def changes(self, org: str, key: str | None = None) -> list[Row]:
        """The organisation's feed; with `key`, the changes to exchanges that key recorded."""
        return [
            c
            for c in self.feeds.get(org, [])
            if key is None or c.get("exchange", {}).get("recorded_by_key") == key
        ]

    def pending(self, org: str, today: date) -> list[Row]:
        return [
            e
            for e in self.exchange_list(today, status="pending")
            if self.exchanges[e["id"]]["awaiting"] == org
        ]


def _months(first: str, last: str) -> list[str]:
    found, year, month = [], int(first[:4]), int(first[5:])
    while f"{year:04d}-{month:02d}" <= last:
        found.append(f"{year:04d}-{month:02d}")
        year, month = divmod(year * 12 + month, 12)[0], (month % 12) + 1
    return found
