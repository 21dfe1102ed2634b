"""The full minutes of a meeting, read from its record: what a draft shows and an approval stores.

Left out here, so no copy can ever hold them: information marked "not for the minutes", addresses
(a withheld one is never stored; the others are not needed to minute a case), contact details.
"""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from pitstop.actions import queries as action_queries
from pitstop.actions.models import STATUS_LABELS
from pitstop.actions.models import Action as RecordedAction
from pitstop.agenda import service as agenda
from pitstop.agenda.models import Agenda, AgendaItem, ItemList, ItemState
from pitstop.decisions import queries as decision_queries
from pitstop.decisions import service as decisions
from pitstop.decisions.models import MARAC_CRITERIA
from pitstop.information import queries as information_queries
from pitstop.information.models import Knowledge, Visibility
from pitstop.meetings import queries as meeting_queries
from pitstop.meetings.models import Meeting
from pitstop.meetings.schedule import LONDON, local_day
from pitstop.minutes import models
from pitstop.notifications.pages import LABELS, age

# As the minutes say it of an agency (the item page says it in the agency's own voice).
KNOWLEDGE = {Knowledge.KNOWN: "Known", Knowledge.NOT_KNOWN: "Not known", Knowledge.NO_TRACE: "No trace on its systems"}

CONFIDENTIALITY = (
    "These minutes are confidential. They record information shared between agencies to protect children "
    "and adults at risk of domestic abuse, under UK GDPR Article 6(1)(e) and Article 9, and the Data "
    "Protection Act 2018 (Schedule 1, paragraph 18; Part 3 for police information). Keep them on your "
    "agency's secure systems; do not copy or pass them on beyond those who need them to safeguard the "
    "people named. Information marked as restricted, or as third-party information, must not be shared "
    "further without the agreement of the agency that provided it."
)


def _action(found: RecordedAction, numbers: dict[int, int]) -> models.Action:
    return models.Action(
        id=found.id,
        police_reference=found.police_reference,
        item_number=numbers.get(found.agenda_item_id),
        description=found.description,
        owner_agency_id=found.owner_agency_id,
        owner_agency_name=found.owner_agency_name,
        owner_name=found.owner_name,
        due_at=found.due_at,
        status=STATUS_LABELS[found.status],
        completion_note=found.completion_note,
    )


def _people(item: AgendaItem, meeting: Meeting) -> list[models.Person]:
    day = local_day(meeting.starts_at)
    people: list[models.Person] = []
    for notification in item.notifications:
        for person in notification.people:  # children first already
            notes = []
            if person.present or person.witnessed:
                notes.append("present or witnessed the incident")
            if person.school:
                notes.append(f"school: {person.school}")
            people.append(
                models.Person(
                    role=LABELS["role"].get(person.role, person.role.replace("_", " ").capitalize()),
                    name=" ".join(n for n in (person.given_names, person.family_name) if n),
                    age=age(person.date_of_birth, day) or None,
                    notes="; ".join(notes) or None,
                )
            )
    return people


async def minutes_of(
    conn: asyncpg.Connection,
    meeting: Meeting,
    *,
    version: int,
    state: models.MinutesState,
    correction_reason: str | None,
    approved_at: datetime | None = None,
    approved_by_name: str | None = None,
) -> models.Minutes:
    """The full minutes of a held meeting, read now."""
    recorded = await agenda.as_recorded(conn, meeting)
    decided = {d.agenda_item_id: d for d in await decision_queries.decisions(conn, [i.id for i in _all(recorded)])}
    # Items discussed, and those the meeting itself deferred (with its decision); not those taken off before.
    deferred = [i for i in recorded.off_agenda if i.state is ItemState.DEFERRED and i.id in decided]
    in_order = sorted([*recorded.items, *recorded.information, *deferred], key=lambda i: (i.position, i.id))
    discussed = [i for i in in_order if i.section is ItemList.DISCUSSION]
    noted = [i for i in in_order if i.section is ItemList.INFORMATION]
    ordered = discussed + noted
    # Numbered as the agenda numbers them: items for discussion, then those for information, each from 1.
    numbers = {i.id: n for n, i in enumerate(discussed, 1)} | {i.id: n for n, i in enumerate(noted, 1)}
    discussion_numbers = {i.id: n for n, i in enumerate(discussed, 1)}
    outcome_labels = await decisions.outcome_labels(conn, meeting.partnership_id)
    attendance = list(await meeting_queries.attendance(conn, meeting.id))
    names = {a.agency_id: a.agency_name for a in attendance}
    agreed = await action_queries.for_items(conn, list(numbers), None)
    cases = []
    for item in ordered:
        chain = await information_queries.chain(conn, item.id)
        dates = {row["id"]: row["starts_at"].astimezone(LONDON).date() for row in chain}
        records = [
            r
            for r in await information_queries.for_items(conn, list(dates))
            if r.visibility is not Visibility.NOT_FOR_MINUTES
        ]
        records.sort(key=lambda r: (r.agenda_item_id != item.id, r.agency_name))
        decision = decided.get(item.id)
        cases.append(
            models.Case(
                number=numbers[item.id],
                for_information=item.section is ItemList.INFORMATION,
                police_references=[n.police_reference for n in item.notifications],
                incident_at=min((n.incident_at for n in item.notifications if n.incident_at), default=None),
                grade=LABELS["grade"].get(item.grade, item.grade),
                reasons=[r.label for r in item.reasons],
                people=_people(item, meeting),
                carried_from=item.carried_from_date,
                information=[
                    models.Information(
                        agency_id=r.agency_id,
                        agency_name=r.agency_name,
                        knowledge=KNOWLEDGE[r.knowledge],
                        summary=r.summary,
                        source_system=r.source_system,
                        checked_at=r.checked_at,
                        restricted_to=sorted(r.restricted_to) if r.visibility is Visibility.RESTRICTED else [],
                        restricted_to_names=sorted(names.get(a, "another agency") for a in r.restricted_to)
                        if r.visibility is Visibility.RESTRICTED
                        else [],
                        third_party=r.third_party,
                        recorded_by_name=r.recorded_by_name,
                        carried_from=dates[r.agenda_item_id] if r.agenda_item_id != item.id else None,
                    )
                    for r in records
                ],
                decision=None
                if decision is None
                else models.Decision(
                    outcomes=[outcome_labels.get(o, o) for o in decision.outcomes],
                    rationale=decision.rationale,
                    deferred=decision.deferred,
                    regrade=LABELS["grade"].get(decision.regrade, decision.regrade) if decision.regrade else None,
                    regrade_rationale=decision.regrade_rationale,
                    marac_criterion=MARAC_CRITERIA[decision.marac_criterion] if decision.marac_criterion else None,
                    dissents=[models.Dissent(agency_name=d.agency_name, reason=d.reason) for d in decision.dissents],
                    recorded_by_name=decision.recorded_by_name,
                ),
                actions=[_action(a, discussion_numbers) for a in agreed if a.agenda_item_id == item.id],
            )
        )
    review = await action_queries.for_review(conn, meeting.partnership_id, meeting.id, meeting.starts_at, None)
    return models.Minutes(
        partnership_name=await conn.fetchval("SELECT name FROM partnership WHERE id = $1", meeting.partnership_id),
        meeting_id=meeting.id,
        series_name=meeting.series_name,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        place=meeting.place or meeting.call_link,
        chair_name=meeting.chair_name,
        minute_taker_name=meeting.minute_taker_name,
        version=version,
        state=state,
        approved_at=approved_at,
        approved_by_name=approved_by_name,
        correction_reason=correction_reason,
        drawn_at=datetime.now(UTC),
        attendance=[
            models.Attendee(
                agency_id=a.agency_id,
                agency_name=a.agency_name,
                status=a.status.label,
                present_names=a.present_names,
                information_sent=a.information_sent,
            )
            for a in attendance
        ],
        observers=[
            models.Observer(name=o.name, organisation=o.organisation, statement_signed=o.statement_signed)
            for o in await meeting_queries.observers(conn, meeting.id)
        ],
        confidentiality=CONFIDENTIALITY,
        review=[_action(a, {}) for a in review],
        cases=cases,
        actions=[a for case in cases for a in case.actions],
        distribution=await _distribution(conn, meeting, attendance),
    )


def _all(found: Agenda) -> list[AgendaItem]:
    return [*found.items, *found.information, *found.off_agenda]


async def _distribution(
    conn: asyncpg.Connection, meeting: Meeting, attendance: list[meeting_queries.AttendanceRow]
) -> list[models.Recipient]:
    """The invited agencies and their standing representatives (names only), who are sent the minutes."""
    rows = await conn.fetch(
        """SELECT agency_id, array_agg(DISTINCT name ORDER BY name) AS names FROM series_invitee
            WHERE series_id = $1 AND removed_at IS NULL GROUP BY agency_id""",
        meeting.series_id,
    )
    people = {r["agency_id"]: list(r["names"]) for r in rows}
    return [
        models.Recipient(agency_id=a.agency_id, agency_name=a.agency_name, names=people.get(a.agency_id, []))
        for a in attendance
    ]
