"""The demo's year, written down before anything is recorded.

The planner keeps every balance as the ledger will, in the order the ledger will see the
operations, so the plan never asks for an exchange the ledger would refuse. The same seed
and the same day give the same plan, and with it the same exchange ids (batch idempotency
keys fix them).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from api.demo.exchanges import Draft, Drafter
from api.demo.population import ORGANISATIONS, OrganisationSpec, Participant, participants

WEEKS = 52
BASE_PER_WEEK = 72
# Spring and autumn are busy; the summer holidays and the turn of the year are quiet.
MONTH_FACTOR = (0.8, 0.9, 1.05, 1.15, 1.2, 1.05, 0.85, 0.6, 1.0, 1.15, 1.1, 0.7)
CONFIRM_SHARE = 0.85
REVERSAL_SHARE = 0.012
UNRESOLVED_WEEKS = 2  # the latest cross-organisation exchanges still await confirmation
REJECT_REASONS = (
    "not known to our team",
    "duplicate of an earlier record",
    "date could not be verified",
)
REVERSE_REASONS = (
    "recorded twice by mistake",
    "recorded against the wrong account",
    "the visit did not take place",
)


@dataclass(frozen=True)
class Batch:
    organisation: str
    idempotency_key: str
    drafts: list[Draft]


@dataclass(frozen=True)
class Resolve:
    draft: Draft
    organisation: str
    confirm: bool
    reason: str | None = None


@dataclass(frozen=True)
class Reverse:
    draft: Draft
    organisation: str
    reason: str


Operation = Batch | Resolve | Reverse


class Planner:
    def __init__(self, seed: int, today: date) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.first_day = today - timedelta(days=WEEKS * 7 - 1)
        self.participants: list[Participant] = participants(self.rng)
        self.drafter = Drafter(self.rng, self.participants)

    def plan(self) -> list[Operation]:
        operations: list[Operation] = []
        waiting: list[Draft] = []
        to_reverse: list[Draft] = []
        for week in range(WEEKS):
            start = self.first_day + timedelta(days=week * 7)
            operations.extend(self._reversals(to_reverse))
            operations.extend(self._resolutions(waiting))
            drafts_by_org = [(spec, self._week_of(spec, start)) for spec in ORGANISATIONS]
            for spec, drafts in drafts_by_org:
                if drafts:
                    key = f"demo-{self.seed}-week-{week:02d}-{spec.id}"
                    operations.append(Batch(spec.id, key, drafts))
            for _, drafts in drafts_by_org:
                waiting.extend(d for d in drafts if d.awaiting)
                to_reverse.extend(self._picked_for_reversal(drafts))
            if week >= WEEKS - UNRESOLVED_WEEKS:
                waiting.clear()  # the latest weeks' stay pending
        return operations

    def _week_of(self, spec: OrganisationSpec, start: date) -> list[Draft]:
        middle = start + timedelta(days=3)
        expected = BASE_PER_WEEK * spec.share * MONTH_FACTOR[middle.month - 1]
        count = round(expected * self.rng.uniform(0.85, 1.15))
        days = [start + timedelta(days=d) for d in range(7)]
        if spec.weekdays_only:
            days = [d for d in days if d.weekday() < 5]
        drafts = (self.drafter.draft(spec, self.rng.choice(days)) for _ in range(count))
        return [d for d in drafts if d is not None]

    def _resolutions(self, waiting: list[Draft]) -> list[Operation]:
        operations: list[Operation] = []
        for draft in waiting:
            assert draft.awaiting is not None
            if self.rng.random() < CONFIRM_SHARE and self.drafter.settle(draft):
                operations.append(Resolve(draft, draft.awaiting, confirm=True))
            else:
                reason = self.rng.choice(REJECT_REASONS)
                operations.append(Resolve(draft, draft.awaiting, confirm=False, reason=reason))
        waiting.clear()
        return operations

    def _picked_for_reversal(self, drafts: list[Draft]) -> list[Draft]:
        return [d for d in drafts if not d.awaiting and self.rng.random() < REVERSAL_SHARE]

    def _reversals(self, to_reverse: list[Draft]) -> list[Operation]:
        operations: list[Operation] = []
        for draft in to_reverse:
            # Only where undoing it leaves both accounts inside their limits.
            if self.drafter.unsettle(draft):
                reason = self.rng.choice(REVERSE_REASONS)
                operations.append(Reverse(draft, draft.recorded_by, reason))
        to_reverse.clear()
        return operations
