"""SQL for people: linking the people named in notifications to the partnership's people, a person
with their incidents, confirm, split and merge, and the repeat-incident rule.

The matching key is computed by the database (`person_match_key`, 0007_repeat_linkage.sql, stored in
`notification_person.match_key`), so intake, imports and the migration's backfill always agree.

Where a notification is found by its id, its partnership is tested with `IS NOT DISTINCT FROM`: the
same test (partnership_id is never NULL), but one no index can serve, so a plan PostgreSQL cached
while the tables were small can never prefer an index on partnership_id to the primary key. Such a
plan made every intake scan the partnership's notifications until autovacuum's first ANALYZE.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import asyncpg
import msgspec

from pitstop.db.rows import to_struct, to_structs
from pitstop.people.models import (
    DEFAULT_THRESHOLD,
    DEFAULT_WINDOW_MONTHS,
    ESCALATING_ROLES,
    Incident,
    KeptLink,
    PersonRecord,
    PossibleMatch,
    RepeatRule,
)

# ---- SQL shared with the notification queries ----------------------------------------------------

# When an incident happened, for counting: the police's incident time, else when it was received.
INCIDENT_TIME = "coalesce({n}.incident_at, {n}.received_at)"
_ESCALATING = ", ".join(f"'{role.value}'" for role in sorted(ESCALATING_ROLES))


def recent_incidents_sql(person_id: str, n: str, months: str) -> str:
    """SQL: how many incidents are linked to `person_id` in the `months` months ending at notification
    `n`'s incident, that one included (later ones are not: this is the history as it stood then)."""
    at = INCIDENT_TIME.format(n=n)
    other = INCIDENT_TIME.format(n="ri_n")
    return f"""(SELECT count(DISTINCT ri.notification_id)
                  FROM notification_person ri JOIN notification ri_n ON ri_n.id = ri.notification_id
                 WHERE ri.person_id = {person_id} AND ri_n.partnership_id IS NOT DISTINCT FROM {n}.partnership_id
                   AND {other} <= {at} AND {other} > {at} - make_interval(months => {months}))"""  # noqa: S608


def escalation_sql(n: str, threshold: str, months: str) -> str:
    """SQL: is notification `n` a potential escalation? A victim or alleged perpetrator with `threshold`
    incidents or more in the window, or the police's count of previous incidents (plus this one) there."""
    recent = recent_incidents_sql("es.person_id", n, months)
    return f"""(coalesce({n}.previous_incidents_12m + 1 >= {threshold}, false)
                OR EXISTS (SELECT 1 FROM notification_person es
                            WHERE es.notification_id = {n}.id AND es.person_id IS NOT NULL
                              AND es.role IN ({_ESCALATING}) AND {recent} >= {threshold}))"""  # noqa: S608


def rule_sql(partnership_id: str) -> str:
    """SQL: the partnership's rule as one row (threshold, window_months), the defaults when it has none."""
    return f"""(SELECT coalesce(max(threshold), {DEFAULT_THRESHOLD}) AS threshold,
                       coalesce(max(window_months), {DEFAULT_WINDOW_MONTHS}) AS window_months
                  FROM repeat_incident_rule WHERE partnership_id = {partnership_id})"""  # noqa: S608


# Folded family and given names: "the same name" when a police update keeps someone's position.
_NAME_KEY = "coalesce(person_family_key({t}.family_name), '') || '|' || coalesce(person_name_fold({t}.given_names), '')"


# ---- linking --------------------------------------------------------------------------------------


async def link_people(conn: asyncpg.Connection, partnership_id: int, notification_ids: Sequence[int]) -> None:
    """Link every person named in these notifications who has no person yet. Four statements, however many.

    With a key: to the partnership's automatically matched person of that key (made if there is none),
    or to whom that person was merged into. Without one: a person of their own, never matched.

    Each statement starts from the batch's ids and reaches everything else by index, so the plan stays
    a few index lookups a person even before the tables have statistics (a first import into a new
    database: the app's role may not ANALYZE). Joins between CTEs, or the ids repeated as an index
    condition on the inner side, made the same batch six times slower. One id (intake) is a scalar
    parameter rather than an array, so that PostgreSQL settles on one plan for the statement instead
    of planning it afresh each time (the planning took longer than the linking).
    """
    ids = sorted(set(notification_ids))
    if not ids:
        return
    batch, key = ("(VALUES ($2::bigint))", ids[0]) if len(ids) == 1 else ("unnest($2::bigint[])", ids)
    # New keys: one person each, named as in their earliest incident here. In key order, so that two
    # intakes bringing the same new people wait for each other in one order (never a deadlock); the
    # partial unique index makes the second of them insert nothing.
    await conn.execute(
        f"""INSERT INTO person (partnership_id, match_key, family_name, given_names, date_of_birth, auto_match)
           SELECT DISTINCT ON (np.match_key) $1, np.match_key, np.family_name, np.given_names, np.date_of_birth, true
             FROM {batch} AS batch (id)
             JOIN notification n ON n.id = batch.id
             JOIN notification_person np ON np.notification_id = n.id
            WHERE n.partnership_id IS NOT DISTINCT FROM $1 AND np.person_id IS NULL AND np.match_key IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM person p
                               WHERE p.partnership_id = $1 AND p.auto_match AND p.match_key = np.match_key)
            ORDER BY np.match_key, coalesce(n.incident_at, n.received_at), np.id
           ON CONFLICT (match_key, partnership_id) WHERE auto_match DO NOTHING""",  # noqa: S608 - constant SQL
        partnership_id,
        key,
    )
    await conn.execute(
        f"""UPDATE notification_person np
              SET person_id = coalesce(p.merged_into, p.id)
             FROM {batch} AS batch (id), notification n, person p
            WHERE n.id = batch.id AND n.partnership_id IS NOT DISTINCT FROM $1
              AND np.notification_id = n.id AND np.person_id IS NULL AND np.match_key IS NOT NULL
              AND p.partnership_id = $1 AND p.auto_match AND p.match_key = np.match_key""",  # noqa: S608
        partnership_id,
        key,
    )
    # No key (no date of birth, no given name): never matched, so a person of their own each. Their
    # ids are drawn first, so one statement can make the people and link them.
    await conn.execute(
        f"""WITH todo AS (
               SELECT np.id AS occurrence_id, nextval('person_id_seq') AS person_id,
                      np.family_name, np.given_names, np.date_of_birth
                 FROM {batch} AS batch (id)
                 JOIN notification n ON n.id = batch.id
                 JOIN notification_person np ON np.notification_id = n.id
                WHERE n.partnership_id IS NOT DISTINCT FROM $1 AND np.person_id IS NULL AND np.match_key IS NULL
           ), made AS (
               INSERT INTO person (id, partnership_id, match_key, family_name, given_names, date_of_birth, auto_match)
               OVERRIDING SYSTEM VALUE
               SELECT person_id, $1, NULL, family_name, given_names, date_of_birth, false FROM todo
           )
           UPDATE notification_person np SET person_id = todo.person_id FROM todo WHERE np.id = todo.occurrence_id""",  # noqa: S608
        partnership_id,
        key,
    )
    await follow_merges(conn, partnership_id, ids)


async def follow_merges(conn: asyncpg.Connection, partnership_id: int, notification_ids: Sequence[int]) -> None:
    """Re-point links of these notifications at whom their person was merged into since they were made.

    A merge locks both people FOR UPDATE, and linking locks its person FOR KEY SHARE (the foreign key's
    check), so one waits for the other. When the merge went first, the link was made from a snapshot
    taken before it committed: this statement, with a fresh snapshot, sees the merge. Repeated while
    it finds any (a merge of the survivor at the same moment), a few times at most.
    """
    ids = sorted(set(notification_ids))
    batch, key = ("= $2::bigint", ids[0]) if len(ids) == 1 else ("= ANY($2::bigint[])", ids)
    for _ in range(3):
        status = await conn.execute(
            f"""UPDATE notification_person np SET person_id = p.merged_into
                  FROM person p
                 WHERE np.notification_id {batch} AND p.id = np.person_id
                   AND p.partnership_id = $1 AND p.merged_into IS NOT NULL""",  # noqa: S608 - constant SQL
            partnership_id,
            key,
        )
        if status == "UPDATE 0":
            return


async def delete_people_keeping_links(conn: asyncpg.Connection, notification_ids: Sequence[int]) -> list[KeptLink]:
    """Delete the people of these notifications (the police sent them again) and say how each was linked."""
    rows = await conn.fetch(
        f"""DELETE FROM notification_person np WHERE np.notification_id = ANY($1::bigint[])
            RETURNING np.notification_id, np.position, np.match_key, {_NAME_KEY.format(t="np")} AS name_key,
                      np.person_id, np.link_status, np.confirmed_by, np.confirmed_at""",  # noqa: S608 - constant SQL
        sorted(set(notification_ids)),
    )
    return to_structs([r for r in rows if r["person_id"] is not None], KeptLink)


class Unlinked(msgspec.Struct, frozen=True, kw_only=True):
    """Someone named in a notification, not linked yet: what pairing them with a kept link needs."""

    id: int
    notification_id: int
    position: int
    match_key: str | None
    name_key: str


async def unlinked(conn: asyncpg.Connection, notification_ids: Sequence[int]) -> list[Unlinked]:
    rows = await conn.fetch(
        f"""SELECT np.id, np.notification_id, np.position, np.match_key, {_NAME_KEY.format(t="np")} AS name_key
              FROM notification_person np
             WHERE np.notification_id = ANY($1::bigint[]) AND np.person_id IS NULL
             ORDER BY np.notification_id, np.position""",  # noqa: S608 - constant SQL
        sorted(set(notification_ids)),
    )
    return to_structs(rows, Unlinked)


async def set_links(conn: asyncpg.Connection, links: Sequence[tuple[int, KeptLink]]) -> None:
    """Give occurrences (by id) the links kept for them, following a merge made since."""
    if not links:
        return
    await conn.execute(
        """UPDATE notification_person np
              SET person_id = coalesce(p.merged_into, p.id), link_status = c.link_status,
                  confirmed_by = c.confirmed_by, confirmed_at = c.confirmed_at
             FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::timestamptz[])
                      AS c(id, person_id, link_status, confirmed_by, confirmed_at)
             JOIN person p ON p.id = c.person_id
            WHERE np.id = c.id""",
        [occurrence for occurrence, _ in links],
        [kept.person_id for _, kept in links],
        [kept.link_status.value for _, kept in links],
        [kept.confirmed_by for _, kept in links],
        [kept.confirmed_at for _, kept in links],
    )


# ---- a person -------------------------------------------------------------------------------------


class PersonRow(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    partnership_id: int
    match_key: str | None
    family_name: str
    given_names: str | None
    date_of_birth: date | None
    auto_match: bool
    split_from: int | None
    merged_into: int | None
    version: int


_PERSON = (
    "id, partnership_id, match_key, family_name, given_names, date_of_birth, auto_match, split_from, merged_into, "
    "version"
)


async def lock_people(conn: asyncpg.Connection, partnership_id: int, person_ids: Sequence[int]) -> list[PersonRow]:
    """The partnership's people among `person_ids`, locked for a change, in id order (no deadlocks)."""
    rows = await conn.fetch(
        f"""SELECT {_PERSON} FROM person WHERE partnership_id = $1 AND id = ANY($2::bigint[])
             ORDER BY id FOR UPDATE""",  # noqa: S608 - column names are constants
        partnership_id,
        sorted(set(person_ids)),
    )
    return to_structs(rows, PersonRow)


async def person(conn: asyncpg.Connection, partnership_id: int, person_id: int) -> PersonRecord | None:
    """The partnership's person, without their incidents; None for anyone else's."""
    row = await conn.fetchrow(
        """SELECT id, family_name, given_names, date_of_birth, auto_match, split_from, merged_into, merged_at, version,
                  created_by, created_at,
                  coalesce((SELECT array_agg(m.id ORDER BY m.id) FROM person m
                             WHERE m.partnership_id = $1 AND m.merged_into = p.id), '{}') AS merged
             FROM person p WHERE partnership_id = $1 AND id = $2""",
        partnership_id,
        person_id,
    )
    return to_struct(row, PersonRecord)


class _IncidentRow(msgspec.Struct, frozen=True, kw_only=True):
    incident: Incident
    addresses: list[str]  # folded, never shown: for the "same address" hint only


async def incidents(conn: asyncpg.Connection, partnership_id: int, person_id: int) -> list[Incident]:
    """A person's incidents, the newest first, each with everyone in it (children first).

    Whether their address agrees with another incident's is worked out here from folded addresses
    that never leave this function; a withheld address (theirs or the incident's) is never compared.
    """
    rows = await conn.fetch(
        """WITH mine AS (
               SELECT np.notification_id,
                      array_agg(np.role ORDER BY np.position) AS roles,
                      CASE WHEN bool_and(np.link_status = 'confirmed') THEN 'confirmed' ELSE 'automatic' END
                          AS link_status,
                      max(np.confirmed_by) AS confirmed_by,
                      max(np.confirmed_at) AS confirmed_at,
                      coalesce(array_agg(DISTINCT person_address_key(np.address))
                                   FILTER (WHERE NOT np.address_withheld AND NOT n.address_withheld
                                             AND person_address_key(np.address) IS NOT NULL), '{}') AS addresses
                 FROM notification_person np
                 JOIN notification n ON n.id = np.notification_id
                WHERE np.person_id = $2 AND n.partnership_id IS NOT DISTINCT FROM $1
                GROUP BY np.notification_id
           )
           SELECT n.id AS notification_id, n.police_reference, coalesce(n.incident_at, n.received_at) AS occurred_at,
                  n.officer_grade, mine.roles, mine.link_status, mine.confirmed_by, mine.confirmed_at, mine.addresses,
                  (SELECT jsonb_agg(jsonb_build_object(
                              'person_id', p.person_id, 'position', p.position, 'role', p.role,
                              'family_name', p.family_name, 'given_names', p.given_names,
                              'date_of_birth', p.date_of_birth)
                          ORDER BY p.role <> 'child', p.position)
                     FROM notification_person p WHERE p.notification_id = n.id) AS people
             FROM mine JOIN notification n ON n.id = mine.notification_id AND n.partnership_id IS NOT DISTINCT FROM $1
            ORDER BY occurred_at DESC, n.id DESC""",
        partnership_id,
        person_id,
    )
    found: list[Incident] = []
    for row in rows:
        record = dict(row)
        here = set(record.pop("addresses"))
        elsewhere = {a for other in rows if other is not row for a in other["addresses"]}
        record["address_agrees"] = bool(here & elsewhere) if here and elsewhere else None
        found.append(msgspec.convert(record, Incident, strict=False))
    return found


async def occurrence_ids(
    conn: asyncpg.Connection, partnership_id: int, person_id: int, notification_id: int
) -> list[int]:
    """The occurrences of a person in a notification of the partnership (usually one)."""
    rows = await conn.fetch(
        """SELECT np.id FROM notification_person np JOIN notification n ON n.id = np.notification_id
            WHERE n.partnership_id IS NOT DISTINCT FROM $1 AND np.person_id = $2 AND np.notification_id = $3
            ORDER BY np.position""",
        partnership_id,
        person_id,
        notification_id,
    )
    return [row["id"] for row in rows]


async def incident_count(conn: asyncpg.Connection, person_id: int) -> int:
    return await conn.fetchval(
        "SELECT count(DISTINCT notification_id) FROM notification_person WHERE person_id = $1", person_id
    )


async def bump_version(conn: asyncpg.Connection, person_id: int, version: int) -> bool:
    """Count a change to the person; False when someone else changed them first."""
    done = await conn.fetchval(
        "UPDATE person SET version = version + 1, updated_at = now() WHERE id = $1 AND version = $2 RETURNING id",
        person_id,
        version,
    )
    return done is not None


async def confirm(conn: asyncpg.Connection, occurrence_ids: Sequence[int], user_id: int) -> None:
    await conn.execute(
        """UPDATE notification_person SET link_status = 'confirmed', confirmed_by = $2, confirmed_at = now()
            WHERE id = ANY($1::bigint[])""",
        list(occurrence_ids),
        user_id,
    )


async def split(
    conn: asyncpg.Connection, partnership_id: int, person_id: int, occurrence_ids: Sequence[int], user_id: int
) -> int:
    """Move these occurrences to a new person who is never matched automatically; the new person's id."""
    new_id = await conn.fetchval(
        """INSERT INTO person (partnership_id, match_key, family_name, given_names, date_of_birth, auto_match,
                               split_from, created_by)
           SELECT $1, np.match_key, np.family_name, np.given_names, np.date_of_birth, false, $2, $4
             FROM notification_person np WHERE np.id = ($3::bigint[])[1]
           RETURNING id""",
        partnership_id,
        person_id,
        list(occurrence_ids),
        user_id,
    )
    await conn.execute(
        """UPDATE notification_person
              SET person_id = $2, link_status = 'confirmed', confirmed_by = $3, confirmed_at = now()
            WHERE id = ANY($1::bigint[])""",
        list(occurrence_ids),
        new_id,
        user_id,
    )
    return new_id


async def merge(conn: asyncpg.Connection, partnership_id: int, survivor: int, merged: int, user_id: int) -> int:
    """Move `merged`'s occurrences to `survivor`, confirmed by this user, and mark `merged` as merged into it.

    Whoever had been merged into `merged` now points at `survivor`, so a link follows one step.
    Returns how many occurrences moved.
    """
    moved = await conn.fetch(
        """UPDATE notification_person
              SET person_id = $2, link_status = 'confirmed', confirmed_by = $3, confirmed_at = now()
            WHERE person_id = $1
           RETURNING id""",
        merged,
        survivor,
        user_id,
    )
    await conn.execute(
        """UPDATE person SET merged_into = $3, merged_by = $4, merged_at = now(), version = version + 1,
                  updated_at = now()
            WHERE partnership_id = $1 AND id = $2""",
        partnership_id,
        merged,
        survivor,
        user_id,
    )
    await conn.execute(
        "UPDATE person SET merged_into = $3, updated_at = now() WHERE partnership_id = $1 AND merged_into = $2",
        partnership_id,
        merged,
        survivor,
    )
    return len(moved)


async def possible_matches(conn: asyncpg.Connection, partnership_id: int, person_id: int) -> list[PossibleMatch]:
    """Other people with the same family name who may be this one, for a coordinator to look at.

    Never linked automatically: the same family name and date of birth with another first name (twins
    look like this), or the same family and first name with a date of birth missing or different (the
    same address as well, when neither is withheld, is worth saying). The same key never appears: those
    people were split apart by a coordinator.
    """
    rows = await conn.fetch(
        """WITH mine AS (
               SELECT DISTINCT person_family_key(np.family_name) AS family, person_first_name(np.given_names) AS first,
                      np.date_of_birth AS born,
                      CASE WHEN np.address_withheld OR n.address_withheld THEN NULL
                           ELSE person_address_key(np.address) END AS address
                 FROM notification_person np JOIN notification n ON n.id = np.notification_id
                WHERE np.person_id = $2 AND n.partnership_id IS NOT DISTINCT FROM $1
           ), candidates AS (
               SELECT p.id FROM person p
                WHERE p.partnership_id = $1 AND p.merged_into IS NULL AND p.id <> $2
                  AND person_family_key(p.family_name) IN (SELECT family FROM mine)
           ), theirs AS (
               SELECT np.person_id,
                      CASE WHEN m.born = np.date_of_birth
                                AND m.first IS DISTINCT FROM person_first_name(np.given_names) THEN 'first_name'
                           WHEN m.first = person_first_name(np.given_names)
                                AND (m.born IS NULL OR np.date_of_birth IS NULL OR m.born <> np.date_of_birth)
                                THEN 'date_of_birth'
                      END AS reason,
                      m.address IS NOT NULL AND NOT np.address_withheld AND NOT n.address_withheld
                          AND m.address = person_address_key(np.address) AS same_address
                 FROM candidates c
                 JOIN notification_person np ON np.person_id = c.id
                 JOIN notification n ON n.id = np.notification_id AND n.partnership_id IS NOT DISTINCT FROM $1
                 JOIN mine m ON m.family = person_family_key(np.family_name)
           )
           SELECT p.id, p.family_name, p.given_names, p.date_of_birth, p.version,
                  (SELECT count(DISTINCT o.notification_id) FROM notification_person o WHERE o.person_id = p.id)
                      AS incidents,
                  CASE WHEN bool_or(t.reason = 'date_of_birth' AND t.same_address) THEN 'address'
                       WHEN bool_or(t.reason = 'date_of_birth') THEN 'date_of_birth'
                       ELSE 'first_name' END AS reason
             FROM theirs t JOIN person p ON p.id = t.person_id AND p.partnership_id = $1
            WHERE t.reason IS NOT NULL AND p.merged_into IS NULL
            GROUP BY p.id
            ORDER BY min(CASE WHEN t.reason = 'date_of_birth' AND t.same_address THEN 0
                              WHEN t.reason = 'date_of_birth' THEN 1 ELSE 2 END), p.id
            LIMIT 20""",
        partnership_id,
        person_id,
    )
    return to_structs(rows, PossibleMatch)


# ---- the repeat-incident rule ---------------------------------------------------------------------


async def rule(conn: asyncpg.Connection, partnership_id: int) -> RepeatRule:
    row = await conn.fetchrow(
        """SELECT partnership_id, threshold, window_months, version, updated_by, updated_at
             FROM repeat_incident_rule WHERE partnership_id = $1""",
        partnership_id,
    )
    return to_struct(row, RepeatRule) or RepeatRule(partnership_id=partnership_id)


async def save_rule(
    conn: asyncpg.Connection, *, partnership_id: int, version: int, threshold: int, window_months: int, user_id: int
) -> bool:
    """Save over `version` (0: there is no row yet). False when someone else saved first."""
    if version == 0:
        done = await conn.fetchval(
            """INSERT INTO repeat_incident_rule (partnership_id, threshold, window_months, updated_by)
               VALUES ($1, $2, $3, $4) ON CONFLICT (partnership_id) DO NOTHING RETURNING partnership_id""",
            partnership_id,
            threshold,
            window_months,
            user_id,
        )
    else:
        done = await conn.fetchval(
            """UPDATE repeat_incident_rule
                  SET threshold = $2, window_months = $3, updated_by = $4, updated_at = now(), version = version + 1
                WHERE partnership_id = $1 AND version = $5 RETURNING partnership_id""",
            partnership_id,
            threshold,
            window_months,
            user_id,
            version,
        )
    return done is not None
