"""Decisions as the chair records them and everyone at the meeting reads them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec
from msgspec import Meta

# DOMAIN.md's typical outcomes: a partnership starts with these and may change its list.
DEFAULT_OUTCOMES: list[tuple[str, str]] = [
    ("immediate_protection", "Immediate protection or police action"),
    ("strategy_discussion", "Strategy discussion"),
    ("section_47", "Section 47 enquiry"),
    ("child_and_family_assessment", "Child and family assessment (section 17, child in need)"),
    ("early_help", "Early help"),
    ("allocated_worker", "Information to the allocated worker (open case)"),
    ("marac_referral", "MARAC referral"),
    ("idva_referral", "IDVA referral"),
    ("operation_encompass", "Operation Encompass notice"),
    ("health_notification", "Health notification (GP, health visitor, school nurse, midwife)"),
    ("housing_action", "Housing action"),
    ("adult_safeguarding", "Adult safeguarding concern"),
    ("clares_law", "Clare's Law (DVDS) consideration"),
    ("mappa_liaison", "MAPPA liaison"),
    ("signposting", "Signposting"),
    ("no_further_action", "No further action"),
]
MARAC_OUTCOME = "marac_referral"


class MaracCriterion(StrEnum):
    VISIBLE_HIGH_RISK = "visible_high_risk"
    POTENTIAL_ESCALATION = "potential_escalation"
    PROFESSIONAL_JUDGEMENT = "professional_judgement"


MARAC_CRITERIA = {
    MaracCriterion.VISIBLE_HIGH_RISK: "Visible high risk (the risk assessment)",
    MaracCriterion.POTENTIAL_ESCALATION: "Potential escalation (repeat incidents)",
    MaracCriterion.PROFESSIONAL_JUDGEMENT: "Professional judgement",
}


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    label: str


class Dissent(msgspec.Struct, frozen=True, kw_only=True):
    agency_id: int
    agency_name: str
    reason: str


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    agenda_item_id: int
    meeting_id: int
    outcomes: list[str]  # codes, in the partnership's order
    rationale: str
    regrade: str | None  # the grade the meeting set, if it changed the risk
    regrade_rationale: str | None
    marac_criterion: MaracCriterion | None  # set when the decision refers to MARAC
    deferred: bool
    dissents: list[Dissent]
    recorded_by_name: str
    recorded_at: datetime
    version: int


Text = Annotated[str, Meta(max_length=10_000)]


class DissentIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    agency_id: int
    reason: Annotated[str, Meta(max_length=2_000)]


class DecisionIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The decision on an item. `version`: None the first time, else the version it replaces. `defer`: the
    item goes to the next meeting, the rationale saying why."""

    outcomes: Annotated[list[Annotated[str, Meta(max_length=61)]], Meta(max_length=30)] = msgspec.field(
        default_factory=list
    )
    rationale: Text = ""
    regrade: Annotated[str, Meta(pattern="^(high|medium|standard)$")] | None = None
    regrade_rationale: Text | None = None
    marac_criterion: MaracCriterion | None = None
    dissents: Annotated[list[DissentIn], Meta(max_length=50)] = msgspec.field(default_factory=list)
    defer: bool = False
    version: int | None = None
