"""Rules for people: who may see a person and their incidents, and a coordinator's confirm, split and merge.

A person's page gathers one person's history across notifications, so it is for the same people who
may read notifications before the meeting (coordinators and managers), within their partnership;
every view is audited. Confirming, splitting and merging need the screening permission, refuse a
change made on a stale page (409), and are audited with ids only.
"""

from __future__ import annotations

import asyncpg
import msgspec

from pitstop.accounts import policy
from pitstop.accounts.identity import Identity
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.errors import Conflict, Invalid, NotFound
from pitstop.notifications import queries as notifications
from pitstop.people import queries
from pitstop.people.models import (
    THRESHOLD_RANGE,
    WINDOW_RANGE,
    PersonRecord,
    PossibleMatch,
    RepeatRule,
    RuleChange,
)


class PersonDetails(msgspec.Struct, frozen=True, kw_only=True):
    """A person for their page: their record and incidents, who confirmed what, possible matches."""

    person: PersonRecord
    names: dict[int, str]  # user id -> name, for who confirmed, split or merged
    possible: list[PossibleMatch]


async def _visible_person(conn: asyncpg.Connection, actor: Identity, person_id: int) -> PersonRecord:
    found = await queries.person(conn, actor.partnership_id, person_id)
    # The query is already limited to the partnership; `visible` keeps the rule in one place.
    policy.visible(actor, "person", found, actor.partnership_id if found else None)
    assert found is not None
    return found


async def record(
    conn: asyncpg.Connection, actor: Identity, person_id: int, origin: audit.Origin, *, audited: bool = True
) -> PersonRecord:
    """A person with their incidents, newest first. The view is audited (one row)."""
    policy.require(actor, policy.Permission.VIEW_NOTIFICATIONS)
    person = await _visible_person(conn, actor, person_id)
    if person.merged_into is None:
        person = msgspec.structs.replace(
            person, incidents=await queries.incidents(conn, actor.partnership_id, person_id)
        )
    if audited:
        await audit.record(
            conn,
            AuditAction.PERSON_VIEWED,
            actor=actor,
            origin=origin,
            record_type="person",
            record_id=person_id,
            detail={"incidents": len(person.incidents)},
        )
    return person


async def details(conn: asyncpg.Connection, actor: Identity, person_id: int, origin: audit.Origin) -> PersonDetails:
    """Everything the person's page shows. A merged person shows nothing but where they went."""
    policy.require(actor, policy.Permission.VIEW_NOTIFICATIONS)
    person = await _visible_person(conn, actor, person_id)
    if person.merged_into is not None:
        return PersonDetails(person=person, names={}, possible=[])
    person = await record(conn, actor, person_id, origin)
    user_ids = {i.confirmed_by for i in person.incidents} | {person.created_by}
    names = await notifications.user_names(conn, actor.partnership_id, sorted(i for i in user_ids if i is not None))
    possible = await queries.possible_matches(conn, actor.partnership_id, person_id)
    return PersonDetails(person=person, names=names, possible=possible)


async def _lock_for_change(
    conn: asyncpg.Connection, actor: Identity, person_ids: list[int], versions: list[int]
) -> list[queries.PersonRow]:
    """Lock the people a change touches; 404 for anyone else's, 409 when the page was stale."""
    policy.require(actor, policy.Permission.SCREEN_NOTIFICATIONS)
    locked = {row.id: row for row in await queries.lock_people(conn, actor.partnership_id, person_ids)}
    rows = []
    for person_id in person_ids:
        row = locked.get(person_id)
        policy.visible(actor, "person", row, row.partnership_id if row else None)
        assert row is not None
        rows.append(row)
    for row, version in zip(rows, versions, strict=True):
        if row.merged_into is not None or row.version != version:
            raise Conflict("the person changed since the page was opened", current=row.id)
    return rows


async def _occurrences(conn: asyncpg.Connection, actor: Identity, person_id: int, notification_id: int) -> list[int]:
    found = await queries.occurrence_ids(conn, actor.partnership_id, person_id, notification_id)
    if not found:
        raise NotFound("incident")
    return found


async def confirm(
    conn: asyncpg.Connection,
    *,
    actor: Identity,
    person_id: int,
    notification_id: int,
    version: int,
    origin: audit.Origin,
) -> None:
    """A coordinator confirms that this incident's person is this person."""
    await _lock_for_change(conn, actor, [person_id], [version])
    occurrences = await _occurrences(conn, actor, person_id, notification_id)
    await queries.confirm(conn, occurrences, actor.user_id)
    await queries.bump_version(conn, person_id, version)
    await audit.record(
        conn,
        AuditAction.PERSON_LINK_CONFIRMED,
        actor=actor,
        origin=origin,
        record_type="person",
        record_id=person_id,
        detail={"notification_id": notification_id},
    )


async def split(
    conn: asyncpg.Connection,
    *,
    actor: Identity,
    person_id: int,
    notification_id: int,
    version: int,
    origin: audit.Origin,
) -> int:
    """This incident is not this person: it moves to a new person, never matched automatically.

    Returns the new person's id. A later incident with the same name and date of birth still goes
    to the original person.
    """
    await _lock_for_change(conn, actor, [person_id], [version])
    occurrences = await _occurrences(conn, actor, person_id, notification_id)
    if await queries.incident_count(conn, person_id) < 2:
        raise Invalid({"split": "This is their only incident: there is nothing to split it from"})
    new_id = await queries.split(conn, actor.partnership_id, person_id, occurrences, actor.user_id)
    await queries.bump_version(conn, person_id, version)
    await audit.record(
        conn,
        AuditAction.PERSON_SPLIT,
        actor=actor,
        origin=origin,
        record_type="person",
        record_id=person_id,
        detail={"notification_id": notification_id, "new_person_id": new_id},
    )
    return new_id


async def merge_candidate(
    conn: asyncpg.Connection, actor: Identity, person_id: int, other: str, origin: audit.Origin
) -> tuple[PersonRecord, PersonRecord | None]:
    """The person, and the one a coordinator typed to merge into them (None while none is typed).

    Another partnership's person, a merged one, or the same person is a field error, not a 404:
    the page is this person's, and the number is only input. Both views are audited.
    """
    policy.require(actor, policy.Permission.SCREEN_NOTIFICATIONS)
    person = await record(conn, actor, person_id, origin)
    if person.merged_into is not None:
        raise Conflict("the person was merged", current=person.merged_into)
    text = other.strip().removeprefix("P").removeprefix("p").strip()
    if not text:
        return person, None
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise Invalid({"other": "Enter a person number, like 1234"})
    other_id = int(text)
    if other_id == person_id:
        raise Invalid({"other": "Enter the number of another person: this is the person you are merging into"})
    try:
        found = await record(conn, actor, other_id, origin)
    except NotFound:
        raise Invalid({"other": "There is no person with that number"}) from None
    if found.merged_into is not None:
        raise Invalid({"other": f"That person was merged into person {found.merged_into}: merge that one instead"})
    return person, found


async def merge(
    conn: asyncpg.Connection,
    *,
    actor: Identity,
    person_id: int,
    other_id: int,
    version: int,
    other_version: int,
    origin: audit.Origin,
) -> int:
    """Merge `other_id` into `person_id`: their incidents move here, confirmed; they are marked merged.

    Nothing is deleted. Returns how many occurrences moved.
    """
    if other_id == person_id:
        raise Invalid({"other": "Choose another person to merge into this one"})
    policy.require(actor, policy.Permission.SCREEN_NOTIFICATIONS)
    # The survivor first: a page for a person outside the partnership is a 404; the other, typed in, is input.
    if await queries.person(conn, actor.partnership_id, person_id) is None:
        raise NotFound("person")
    if await queries.person(conn, actor.partnership_id, other_id) is None:
        raise Invalid({"other": "There is no person with that number"})
    await _lock_for_change(conn, actor, [person_id, other_id], [version, other_version])
    moved = await queries.merge(conn, actor.partnership_id, person_id, other_id, actor.user_id)
    await queries.bump_version(conn, person_id, version)
    await audit.record(
        conn,
        AuditAction.PERSON_MERGED,
        actor=actor,
        origin=origin,
        record_type="person",
        record_id=person_id,
        detail={"merged_person_id": other_id, "occurrences_moved": moved},
    )
    return moved


# ---- the repeat-incident rule ---------------------------------------------------------------------


async def rule(conn: asyncpg.Connection, actor: Identity) -> RepeatRule:
    """The partnership's repeat-incident rule (configuration: no personal data)."""
    policy.require(actor, policy.Permission.ADMINISTER_REPEAT_RULE)
    return await queries.rule(conn, actor.partnership_id)


def _whole(text: str, low: int, high: int) -> int | None:
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        return None
    return int(value)


async def update_rule(
    conn: asyncpg.Connection, *, actor: Identity, change: RuleChange, origin: audit.Origin
) -> RepeatRule:
    policy.require(actor, policy.Permission.ADMINISTER_REPEAT_RULE)
    errors: dict[str, str] = {}
    threshold = _whole(change.threshold, *THRESHOLD_RANGE)
    if threshold is None:
        errors["threshold"] = "Enter the number of incidents as a whole number from {} to {}".format(*THRESHOLD_RANGE)
    window = _whole(change.window_months, *WINDOW_RANGE)
    if window is None:
        errors["window_months"] = "Enter the number of months as a whole number from {} to {}".format(*WINDOW_RANGE)
    if errors:
        raise Invalid(errors)
    assert threshold is not None
    assert window is not None
    current = await queries.rule(conn, actor.partnership_id)
    saved = await queries.save_rule(
        conn,
        partnership_id=actor.partnership_id,
        version=change.version,
        threshold=threshold,
        window_months=window,
        user_id=actor.user_id,
    )
    if not saved:
        raise Conflict("the rule changed", current=current)
    await audit.record(
        conn,
        AuditAction.REPEAT_RULE_UPDATED,
        actor=actor,
        origin=origin,
        record_type="repeat_incident_rule",
        record_id=actor.partnership_id,
        detail={"threshold": threshold, "window_months": window},
    )
    return await queries.rule(conn, actor.partnership_id)
