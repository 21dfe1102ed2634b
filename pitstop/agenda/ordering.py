"""The agenda's order, with no database: why each item sits where it does, and its time box.

DOMAIN.md's usual order: immediate protection (or action already taken out of hours) first; then
high, medium, standard grade; then children present or witnessing, a child under one or a
pregnancy, strangulation, weapons, threats to kill, repeat incidents; items carried over from an
earlier meeting count too. Each rule has a weight, configurable per partnership; an item's score is
the sum of the weights of the rules it meets, and the agenda runs from the highest score down.
The default weights keep DOMAIN.md's order: one step of grade outweighs every later rule together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from enum import StrEnum

import msgspec


class Reason(StrEnum):
    IMMEDIATE_PROTECTION = "immediate_protection"
    GRADE_HIGH = "grade_high"
    GRADE_MEDIUM = "grade_medium"
    GRADE_STANDARD = "grade_standard"
    CHILDREN_PRESENT = "children_present"
    CHILD_UNDER_ONE = "child_under_one"
    PREGNANCY = "pregnancy"
    STRANGULATION = "strangulation"
    WEAPONS = "weapons"
    THREATS_TO_KILL = "threats_to_kill"
    POTENTIAL_ESCALATION = "potential_escalation"
    CARRIED_OVER = "carried_over"

    @property
    def label(self) -> str:
        return REASON_LABELS[self]


REASON_LABELS = {
    Reason.IMMEDIATE_PROTECTION: "Immediate protection needed or action taken out of hours",
    Reason.GRADE_HIGH: "High risk",
    Reason.GRADE_MEDIUM: "Medium risk",
    Reason.GRADE_STANDARD: "Standard risk",
    Reason.CHILDREN_PRESENT: "Children present or witnessed",
    Reason.CHILD_UNDER_ONE: "A child under one",
    Reason.PREGNANCY: "Victim pregnant",
    Reason.STRANGULATION: "Strangulation or choking",
    Reason.WEAPONS: "Weapons",
    Reason.THREATS_TO_KILL: "Threats to kill",
    Reason.POTENTIAL_ESCALATION: "Potential escalation (repeat incidents)",
    Reason.CARRIED_OVER: "Carried over from an earlier meeting",
}

DEFAULT_WEIGHTS: dict[Reason, int] = {
    Reason.IMMEDIATE_PROTECTION: 10_000,
    Reason.GRADE_HIGH: 3_000,
    Reason.GRADE_MEDIUM: 2_000,
    Reason.GRADE_STANDARD: 1_000,
    Reason.CHILDREN_PRESENT: 200,
    Reason.CHILD_UNDER_ONE: 150,
    Reason.PREGNANCY: 150,
    Reason.STRANGULATION: 120,
    Reason.WEAPONS: 100,
    Reason.THREATS_TO_KILL: 100,
    Reason.POTENTIAL_ESCALATION: 80,
    Reason.CARRIED_OVER: 50,
}
MAX_WEIGHT = 100_000

GRADES = ("high", "medium", "standard")
# Minutes per item by its grade; the "for information" list is untimed.
DEFAULT_TIME_BOXES: dict[str, int] = {"high": 8, "medium": 5, "standard": 3}
MAX_TIME_BOX = 60


class Rules(msgspec.Struct, frozen=True, kw_only=True):
    """A partnership's ordering weights and time boxes."""

    weights: dict[Reason, int] = msgspec.field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    time_boxes: dict[str, int] = msgspec.field(default_factory=lambda: dict(DEFAULT_TIME_BOXES))

    def weight(self, reason: Reason) -> int:
        return self.weights.get(reason, DEFAULT_WEIGHTS[reason])

    def time_box(self, grade: str) -> int:
        return self.time_boxes.get(grade, DEFAULT_TIME_BOXES.get(grade, 0))


class Facts(msgspec.Struct, frozen=True, kw_only=True):
    """What the order looks at, for one notification (the grade is the screened one)."""

    grade: str
    immediate_protection: bool = False
    children_present: bool = False
    child_dates_of_birth: tuple[date, ...] = ()
    pregnancy: bool = False
    strangulation: bool = False
    weapons: bool = False
    threats_to_kill: bool = False
    potential_escalation: bool = False


def child_under_one(births: Iterable[date], on: date) -> bool:
    """Is any child under one year old on the meeting's day? One born on 29 February turns one on 1 March."""
    for born in births:
        try:
            first_birthday = born.replace(year=born.year + 1)
        except ValueError:
            first_birthday = date(born.year + 1, 3, 1)
        if born <= on < first_birthday:
            return True
    return False


def reasons(facts: Iterable[Facts], *, meeting_day: date, carried_over: bool = False) -> list[Reason]:
    """The rules an item meets (an item may hold several notifications about one victim), in
    DOMAIN.md's order. The grade is the item's highest."""
    facts = list(facts)
    found: set[Reason] = set()
    grades = {f.grade for f in facts}
    grade = next((g for g in GRADES if g in grades), "standard")
    found.add(Reason(f"grade_{grade}"))
    for f in facts:
        if f.immediate_protection:
            found.add(Reason.IMMEDIATE_PROTECTION)
        if f.children_present:
            found.add(Reason.CHILDREN_PRESENT)
        if child_under_one(f.child_dates_of_birth, meeting_day):
            found.add(Reason.CHILD_UNDER_ONE)
        for flag, reason in (
            (f.pregnancy, Reason.PREGNANCY),
            (f.strangulation, Reason.STRANGULATION),
            (f.weapons, Reason.WEAPONS),
            (f.threats_to_kill, Reason.THREATS_TO_KILL),
            (f.potential_escalation, Reason.POTENTIAL_ESCALATION),
        ):
            if flag:
                found.add(reason)
    if carried_over:
        found.add(Reason.CARRIED_OVER)
    return [r for r in Reason if r in found]


def grade_of(found: Sequence[Reason]) -> str:
    for grade in GRADES:
        if Reason(f"grade_{grade}") in found:
            return grade
    return "standard"


def score(found: Iterable[Reason], rules: Rules) -> int:
    return sum(rules.weight(r) for r in found)


def by_score(scored: Iterable[tuple[int, int]]) -> list[int]:
    """Item ids, highest score first; equal scores keep the order they came in (oldest first)."""
    return [item for item, _ in sorted(scored, key=lambda pair: -pair[1])]


def slot_in(current: Sequence[tuple[int, int]], new: Sequence[tuple[int, int]]) -> list[int]:
    """An agenda put in order by hand keeps that order; each new item goes just before the first item
    that scores lower than it (or at the end). Pairs are (item id, score)."""
    order = list(current)
    for item in sorted(new, key=lambda pair: -pair[1]):
        at = next((i for i, (_, s) in enumerate(order) if s < item[1]), len(order))
        order.insert(at, item)
    return [item for item, _ in order]


class Slot(msgspec.Struct, frozen=True, kw_only=True):
    """Where an item falls in the meeting: minutes from the start, and whether it runs past the end."""

    starts_after: int
    minutes: int
    overrun: bool


def time_slots(minutes: Sequence[int], meeting_length: int) -> list[Slot]:
    """Each item's time box from the start of the meeting; an item that ends after the meeting's length
    is marked as overrunning."""
    slots = []
    elapsed = 0
    for length in minutes:
        slots.append(Slot(starts_after=elapsed, minutes=length, overrun=elapsed + length > meeting_length))
        elapsed += length
    return slots


def parse_weights(raw: Mapping[str, object]) -> dict[Reason, int]:
    """Stored weights (jsonb) to a full table: unknown keys are ignored, missing ones take the default."""
    weights = dict(DEFAULT_WEIGHTS)
    for key, value in raw.items():
        if key in Reason.__members__.values() and isinstance(value, int) and not isinstance(value, bool):
            weights[Reason(key)] = value
    return weights
