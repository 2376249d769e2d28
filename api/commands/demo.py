"""`timebank demo [--seed N]`: fill an empty ledger with a year of sample activity."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from api.commands import timebank
from api.demo.exchanges import Draft
from api.demo.plan import Batch, Operation, Planner, Reverse
from api.demo.population import ORGANISATIONS
from api.progress import progress_bar
from ledger import ExchangeRequest, Ledger

DEFAULT_SEED = 2024
ORGANISATION_REGISTERED = "domain.organisation:Organisation.Registered"


def register(commands: Any) -> None:
    """Add `timebank demo` to the `timebank` parser."""
    parser = commands.add_parser(
        "demo",
        help="fill an empty ledger with a year of sample activity",
        description="Fill an EMPTY ledger with a realistic year of activity for three "
        "organisations: a timebank, a day service and a council's community team. "
        "The same seed on the same day records the same exchanges, with the same ids.",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="default %(default)s")
    parser.set_defaults(handler=run)


@dataclass
class DemoSummary:
    organisations: int = 0
    accounts: int = 0
    exchanges: int = 0
    completed: int = 0
    pending: int = 0
    rejected: int = 0
    reversed: int = 0
    minutes: int = 0
    position: int = 0


def ledger_is_empty(ledger: Ledger) -> bool:
    """No organisation yet (the operator's key alone does not count)."""
    found = ledger.recorder.select_notifications(start=1, limit=1, topics=[ORGANISATION_REGISTERED])
    return not found


class DemoYear:
    """The planned year, then its recording; `advance(n)` hears of progress."""

    def __init__(self, ledger: Ledger, seed: int) -> None:
        self.ledger = ledger
        self.planner = Planner(seed, ledger.today())
        self.operations = self.planner.plan()

    @property
    def steps(self) -> int:
        return len(self.planner.participants) + sum(
            len(op.drafts) if isinstance(op, Batch) else 1 for op in self.operations
        )

    def record(self, advance: Callable[[int], None] = lambda n: None) -> DemoSummary:
        summary = DemoSummary()
        for spec in ORGANISATIONS:
            self.ledger.register_organisation(spec.id, spec.name)
            summary.organisations += 1
        for participant in self.planner.participants:
            self.ledger.open_account(
                participant.organisation,
                participant.ref,
                participant.kind,
                credit_limit=participant.credit_limit,
            )
            summary.accounts += 1
            advance(1)
        ids: dict[int, str] = {}
        for operation in self.operations:
            summary.position = _apply(self.ledger, operation, ids, summary)
            advance(len(operation.drafts) if isinstance(operation, Batch) else 1)
        return summary


def fill(ledger: Ledger, seed: int) -> DemoSummary:
    """Record the demo year into an empty ledger."""
    return DemoYear(ledger, seed).record()


def _apply(ledger: Ledger, operation: Operation, ids: dict[int, str], summary: DemoSummary) -> int:
    if isinstance(operation, Batch):
        requests = [_request(d) for d in operation.drafts]
        batch = ledger.record_batch(operation.organisation, requests, operation.idempotency_key)
        for draft, record in zip(operation.drafts, batch.exchanges, strict=True):
            ids[id(draft)] = record.id
            summary.exchanges += 1
            summary.pending += draft.awaiting is not None
            summary.completed += draft.awaiting is None
            summary.minutes += draft.minutes if draft.awaiting is None else 0
        return batch.position
    exchange_id = ids[id(operation.draft)]
    minutes = operation.draft.minutes
    if isinstance(operation, Reverse):
        record = ledger.reverse_exchange(exchange_id, operation.organisation, operation.reason)
        summary.completed, summary.reversed = summary.completed - 1, summary.reversed + 1
        summary.minutes -= minutes
    elif operation.confirm:
        record = ledger.confirm_exchange(exchange_id, operation.organisation)
        summary.pending, summary.completed = summary.pending - 1, summary.completed + 1
        summary.minutes += minutes
    else:
        record = ledger.reject_exchange(exchange_id, operation.organisation, operation.reason or "")
        summary.pending, summary.rejected = summary.pending - 1, summary.rejected + 1
    return record.position


def _request(draft: Draft) -> ExchangeRequest:
    return ExchangeRequest(
        draft.giver, draft.receiver, draft.minutes, draft.service_date, draft.category, draft.note
    )


def run(args: argparse.Namespace) -> int:
    ledger = Ledger()
    try:
        if not ledger_is_empty(ledger):
            print(REFUSAL.format(timebank=timebank()), file=sys.stderr)
            return 1
        year = DemoYear(ledger, args.seed)
        with progress_bar() as progress:
            task = progress.add_task("Recording a year of activity", total=year.steps)
            summary = year.record(lambda n: progress.advance(task, n))
        keys = demo_keys(ledger)
    finally:
        ledger.close()
    print(report(summary))
    print(keys)
    return 0


def demo_keys(ledger: Ledger) -> str:
    """A broker key and an auditor key, to sign in to the pages with at once: the operator's
    admin key is for the API, and the pages turn it away."""
    org = ORGANISATIONS[0].id
    broker = ledger.issue_key("broker", org, "demo broker").key
    auditor = ledger.issue_key("auditor", None, "demo auditor").key
    return "\n".join(
        [
            "Keys to sign in with at /app (shown once; only their hashes are stored):",
            f"  broker of {org}: {broker}",
            f"  auditor of every organisation, read only: {auditor}",
            f"Next: `{timebank()} serve` prints the address of the pages (/app) and of the API's",
            "reference (/docs); sign in to the pages with one of these keys.",
        ]
    )


REFUSAL = """\
This ledger already holds organisations, and `timebank demo` only fills an empty one:
it will not mix invented activity with real records.
To try the demo, point TIMEBANK_DATABASE_URL at a new database, for example:
  TIMEBANK_DATABASE_URL=sqlite:///var/demo.sqlite3 {timebank} demo
  TIMEBANK_DATABASE_URL=sqlite:///var/demo.sqlite3 {timebank} serve"""


def report(summary: DemoSummary) -> str:
    orgs = ", ".join(spec.id for spec in ORGANISATIONS)
    hours = summary.minutes / 60
    return "\n".join(
        [
            f"Recorded a year of sample activity (last position {summary.position}).",
            f"  organisations: {summary.organisations} ({orgs})",
            f"  accounts:      {summary.accounts} (people, organisation accounts, a community pot)",
            f"  exchanges:     {summary.exchanges}: {summary.completed} completed,"
            f" {summary.pending} pending, {summary.rejected} rejected, {summary.reversed} reversed",
            f"  time exchanged: {hours:,.0f} hours",
        ]
    )
