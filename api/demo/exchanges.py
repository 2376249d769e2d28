"""One exchange at a time: who gave, who received, how long, what kind of help.

Choices lean the way real timebanks do: people with credits tend to spend them, people in
debt tend to give, busy members turn up again and again. An organisation's own account
takes part (volunteering at its events, its training sessions), the community pot pays
for help to people who cannot give back, and members with plenty to spare donate to it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from api.demo.population import (
    ORGANISATION_REF,
    POT_REF,
    TIMEBANK,
    OrganisationSpec,
    Participant,
)

MINUTES = (30, 45, 60, 90, 120, 150, 180, 240)
MINUTE_WEIGHTS = (10, 6, 35, 15, 18, 4, 8, 4)
NOTES = ("regular weekly visit", "one-off job", "group session", "covered at short notice")
NOTE_SHARE = 0.15
CROSS_SHARE = 0.08
ORGANISATION_SHARE = 0.08
POT_FUNDED_SHARE = 0.05
DONATION_SHARE = 0.02
POT_FUNDED_BELOW = CROSS_SHARE + ORGANISATION_SHARE + POT_FUNDED_SHARE
TRIES = 6


@dataclass(frozen=True)
class Draft:
    """An exchange the plan will record; `awaiting` is set for a cross-organisation one."""

    giver: str
    receiver: str
    minutes: int
    service_date: date
    category: str
    note: str | None
    recorded_by: str
    awaiting: str | None


class Drafter:
    def __init__(self, rng: random.Random, everyone: list[Participant]) -> None:
        self.rng = rng
        self.by_id = {p.id: p for p in everyone}
        self.people = {
            org: [p for p in everyone if p.organisation == org and p.kind == "person"]
            for org in dict.fromkeys(p.organisation for p in everyone)  # ordered: deterministic
        }

    def draft(self, spec: OrganisationSpec, day: date) -> Draft | None:
        """A plausible exchange recorded by `spec` on `day`, or None if none fits the limits."""
        minutes = self.rng.choices(MINUTES, MINUTE_WEIGHTS)[0]
        category = self.rng.choice(spec.categories)
        roll = self.rng.random()
        own = self.people[spec.id]
        others = [p for org, people in self.people.items() if org != spec.id for p in people]
        if roll < CROSS_SHARE:
            pair = self._pair(own, others) if self.rng.random() < 0.5 else self._pair(others, own)
        elif roll < CROSS_SHARE + ORGANISATION_SHARE:
            pair, category = self._with_organisation(spec, own)
        elif spec is TIMEBANK and roll < POT_FUNDED_BELOW:
            pair = self._pair(own, [self.by_id[f"{spec.id}:{POT_REF}"]])
        elif spec is TIMEBANK and roll < POT_FUNDED_BELOW + DONATION_SHARE:
            pot = self.by_id[f"{spec.id}:{POT_REF}"]
            pair, category = self._pair([pot], own, lambda p: max(0, p.balance - 600)), "donation"
        else:
            pair = self._pair(own, own)
        if pair is None:
            return None
        giver, receiver = pair
        other = {giver.organisation, receiver.organisation} - {spec.id}
        note = self.rng.choice(NOTES) if self.rng.random() < NOTE_SHARE else None
        draft = Draft(
            giver.id, receiver.id, minutes, day, category, note, spec.id, next(iter(other), None)
        )
        if draft.awaiting is None and not self.settle(draft):
            return None
        return draft

    def settle(self, draft: Draft) -> bool:
        """Move the balances as the ledger will, unless the receiver has no credit left."""
        giver, receiver = self.by_id[draft.giver], self.by_id[draft.receiver]
        if not receiver.can_spend(draft.minutes):
            return False
        giver.balance += draft.minutes
        receiver.balance -= draft.minutes
        return True

    def unsettle(self, draft: Draft) -> bool:
        giver, receiver = self.by_id[draft.giver], self.by_id[draft.receiver]
        if not giver.can_spend(draft.minutes):
            return False
        giver.balance -= draft.minutes
        receiver.balance += draft.minutes
        return True

    def _with_organisation(
        self, spec: OrganisationSpec, own: list[Participant]
    ) -> tuple[tuple[Participant, Participant] | None, str]:
        organisation = [self.by_id[f"{spec.id}:{ORGANISATION_REF}"]]
        if self.rng.random() < 0.6:
            return self._pair(own, organisation), "event-support"
        return self._pair(organisation, own), "training"

    def _pair(
        self,
        givers: list[Participant],
        receivers: list[Participant],
        receiver_weight: Callable[[Participant], float] | None = None,
    ) -> tuple[Participant, Participant] | None:
        weight = receiver_weight or _receiver_weight
        for _ in range(TRIES):
            giver = self.rng.choices(givers, [_giver_weight(p) for p in givers])[0]
            weights = [weight(p) for p in receivers]
            if not any(weights):
                return None
            receiver = self.rng.choices(receivers, weights)[0]
            if receiver is not giver:
                return giver, receiver
        return None


def _giver_weight(p: Participant) -> float:
    return p.activity * p.giving * (1 + max(0, -p.balance) / 300) + 1e-9


def _receiver_weight(p: Participant) -> float:
    return p.activity * (1 - p.giving) * (1 + max(0, p.balance) / 300) + 1e-9
