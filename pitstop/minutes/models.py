"""The minutes as data: a snapshot of a meeting's record, taken as the full minutes hold it.

A draft is read afresh from the meeting each time; an approved version is this snapshot, stored, so that
every version downloads as it was approved whatever changes later. The Word document is drawn from it
(pitstop.minutes.document), and each agency's copy is the snapshot cut to what that agency may see
(pitstop.minutes.copies). Never in a snapshot: information marked "not for the minutes", a withheld
address, anyone's contact details.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import msgspec


class MinutesState(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"

    @property
    def label(self) -> str:
        return {"draft": "Draft", "approved": "Approved"}[self.value]


class Person(msgspec.Struct, frozen=True, kw_only=True):
    role: str  # "Child", "Victim", "Alleged perpetrator", ...
    name: str
    age: str | None  # "5 years", "15 months", at the meeting's date
    notes: str | None = None  # a child's presence at the incident, school


class Information(msgspec.Struct, frozen=True, kw_only=True):
    agency_id: int
    agency_name: str
    knowledge: str  # as worded on the item page
    summary: str | None
    source_system: str | None
    checked_at: datetime | None
    restricted_to: list[int]  # empty: shared with every agency at the meeting
    restricted_to_names: list[str]
    third_party: bool  # not to be passed on beyond the meeting
    recorded_by_name: str
    carried_from: date | None = None  # recorded for an earlier meeting the item came from


class Dissent(msgspec.Struct, frozen=True, kw_only=True):
    agency_name: str
    reason: str


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    outcomes: list[str]  # labels, in the partnership's order
    rationale: str
    deferred: bool
    regrade: str | None  # the new grade's label
    regrade_rationale: str | None
    marac_criterion: str | None  # its label
    dissents: list[Dissent]
    recorded_by_name: str


class Action(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    police_reference: str
    # The item's number in these minutes (items for discussion); None for one agreed at another meeting or
    # on an item for information (its police reference names it).
    item_number: int | None
    description: str
    owner_agency_id: int
    owner_agency_name: str
    owner_name: str | None
    due_at: datetime
    status: str  # label
    completion_note: str | None = None


class Case(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    for_information: bool  # an open case routed to the allocated worker
    police_references: list[str]
    incident_at: datetime | None
    grade: str  # label
    reasons: list[str]  # why it was on the agenda where it was
    people: list[Person]  # children first
    carried_from: date | None
    information: list[Information]
    decision: Decision | None
    actions: list[Action]
    # An agency's copy: agencies whose third-party information was shared at the meeting but is not
    # passed on in this copy (the document says so, without the content). Empty in the full minutes.
    third_party_withheld: list[str] = []


class Attendee(msgspec.Struct, frozen=True, kw_only=True):
    agency_id: int
    agency_name: str
    status: str  # Present, Apologies, Absent, Not recorded
    present_names: str | None
    information_sent: bool


class Observer(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    organisation: str | None
    statement_signed: bool


class Recipient(msgspec.Struct, frozen=True, kw_only=True):
    agency_id: int
    agency_name: str
    names: list[str]  # its representatives (no addresses)


class Minutes(msgspec.Struct, frozen=True, kw_only=True):
    partnership_name: str
    meeting_id: int
    series_name: str
    starts_at: datetime
    ends_at: datetime
    place: str | None
    chair_name: str | None
    minute_taker_name: str | None
    version: int
    state: MinutesState
    approved_at: datetime | None
    approved_by_name: str | None
    correction_reason: str | None  # why this version replaced the one before
    drawn_at: datetime  # when this snapshot was taken
    attendance: list[Attendee]
    observers: list[Observer]
    confidentiality: str
    review: list[Action]  # actions from earlier meetings reviewed at this one
    cases: list[Case]
    actions: list[Action]  # every action agreed at this meeting, in case order
    distribution: list[Recipient]
    # Set when this approved version is downloaded after a later one was approved (never stored).
    superseded_by: int | None = None
    # None: the full minutes. Otherwise the agency this copy is for (pitstop.minutes.copies).
    copy_for_agency_id: int | None = None
    copy_for_agency_name: str | None = None
