"""Who takes part in the demo: three organisations and the accounts of their participants.

Activity is uneven on purpose, as in real timebanks: a handful of power users account for
much of the time exchanged, most members take part now and then, some hardly at all.
Refs are opaque codes; no names, not even invented ones.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from domain.rules import split_account_id


@dataclass(frozen=True)
class OrganisationSpec:
    id: str
    name: str
    share: float  # of all exchanges recorded, by this organisation
    weekdays_only: bool
    categories: tuple[str, ...]
    groups: tuple[tuple[str, int, float], ...]  # (ref prefix, how many, how often they give)


TIMEBANK = OrganisationSpec(
    id="riverside-timebank",
    name="Riverside Timebank",
    share=0.55,
    weekdays_only=False,
    categories=(
        *("gardening", "befriending", "lifts", "shopping", "diy-repairs", "computer-help"),
        *("cooking", "language-practice", "crafts"),
    ),
    groups=(("m", 170, 0.5),),
)
DAY_SERVICE = OrganisationSpec(
    id="oakwood-day-service",
    name="Oakwood Day Service",
    share=0.28,
    weekdays_only=True,
    categories=("activities", "gardening", "cooking", "music", "walking-group", "befriending"),
    groups=(("s", 20, 0.7), ("p", 60, 0.4)),
)
COUNCIL = OrganisationSpec(
    id="northshire-community",
    name="Northshire Council Community Team",
    share=0.17,
    weekdays_only=False,
    categories=("community-events", "litter-picking", "befriending", "lifts", "admin-support"),
    groups=(("s", 12, 0.65), ("r", 40, 0.5)),
)
ORGANISATIONS = (TIMEBANK, DAY_SERVICE, COUNCIL)
ORGANISATION_REF = "org"
POT_REF = "community-pot"
PERSON_LIMIT = 600  # ten hours below zero, the contract's default
ORGANISATION_LIMIT = 6000
POT_LIMIT = 12000
POWER_USERS_PER_ORGANISATION = 3


@dataclass
class Participant:
    """An account as the planner sees it: the balance moves as the plan is written."""

    id: str
    organisation: str
    kind: str
    credit_limit: int
    activity: float
    giving: float
    balance: int = field(default=0)

    @property
    def ref(self) -> str:
        return split_account_id(self.id)[1]

    def can_spend(self, minutes: int) -> bool:
        return self.balance - minutes >= -self.credit_limit


def participants(rng: random.Random) -> list[Participant]:
    """Everyone's account, in a fixed order: the same seed gives the same population."""
    people: list[Participant] = []
    for spec in ORGANISATIONS:
        people.extend(_people_of(spec, rng))
        people.append(
            Participant(
                f"{spec.id}:{ORGANISATION_REF}",
                spec.id,
                "organisation",
                ORGANISATION_LIMIT,
                4,
                0.45,
            )
        )
    people.append(Participant(f"{TIMEBANK.id}:{POT_REF}", TIMEBANK.id, "pot", POT_LIMIT, 0, 0))
    return people


def _people_of(spec: OrganisationSpec, rng: random.Random) -> list[Participant]:
    people = []
    for prefix, count, giving in spec.groups:
        for number in range(1, count + 1):
            ref = f"{prefix}{number:04d}"
            tendency = min(0.9, max(0.1, rng.gauss(giving, 0.15)))
            people.append(
                Participant(
                    f"{spec.id}:{ref}", spec.id, "person", PERSON_LIMIT, _activity(rng), tendency
                )
            )
    for power_user in rng.sample(people, POWER_USERS_PER_ORGANISATION):
        power_user.activity = rng.uniform(25, 40)
    return people


def _activity(rng: random.Random) -> float:
    if rng.random() < 0.2:
        return 0.2  # joined, then hardly took part
    return min(8.0, rng.paretovariate(2.0))
