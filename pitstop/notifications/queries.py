"""SQL for notifications: each function takes a connection and returns Structs or plain values."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from pitstop.audit import queries as audit_queries
from pitstop.db.rows import to_structs
from pitstop.notifications.models import Grade, Notification, NotificationIn, Source, Status, Summary
from pitstop.people import linkage
from pitstop.people import queries as people

_NOTIFICATION_COLUMNS = (
    "police_reference, crime_reference, source, received_at, incident_at, address, postcode, council_area, "
    "circumstances, injuries, weapons, strangulation, alcohol_or_drugs, arrest_made, no_arrest_reason, "
    "body_worn_video, risk_tool, risk_answers, risk_yes_count, officer_grade, previous_incidents_12m, "
    "victim_pregnant, safe_to_contact, safe_contact_number, safe_contact_times, open_case, allocated_worker, "
    "address_withheld, safe_contact_notes, consent_to_share, victim_aware"
)
_COLUMN_COUNT = len(_NOTIFICATION_COLUMNS.split(", "))


def _values(body: NotificationIn, source: Source, received_at: datetime) -> list[Any]:
    contact = body.safe_contact
    return [
        body.police_reference.strip(),
        body.crime_reference,
        source.value,
        received_at,
        body.incident_at,
        None if body.address_withheld else body.address,
        body.postcode,
        body.council_area,
        body.circumstances,
        body.injuries,
        body.weapons,
        body.strangulation,
        body.alcohol_or_drugs,
        body.arrest_made,
        body.no_arrest_reason,
        list(body.body_worn_video),
        body.risk.tool,
        dict(body.risk.answers),
        body.risk.yes_count,
        body.risk.grade.value,
        body.previous_incidents_12m,
        body.victim_pregnant,
        contact.safe if contact else None,
        contact.number if contact else None,
        contact.times if contact else None,
        body.open_case,
        body.allocated_worker,
        body.address_withheld,
        body.safe_contact_notes,
        body.consent_to_share,
        body.victim_aware,
    ]


async def lock_existing(conn: asyncpg.Connection, partnership_id: int, reference: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT id, content_hash, status, version, received_at, officer_grade, screening_due_at
             FROM notification WHERE partnership_id = $1 AND police_reference = $2 FOR UPDATE""",
        partnership_id,
        reference.strip(),
    )


async def update(
    conn: asyncpg.Connection,
    notification_id: int,
    body: NotificationIn,
    source: Source,
    received_at: datetime,
    content_hash: str,
    status: Status,
    screening_due_at: datetime | None,
) -> int:
    """Replace the notification's facts with a changed version; return the new version number."""
    columns = _NOTIFICATION_COLUMNS.split(", ")
    assignments = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, start=2))
    return await conn.fetchval(
        f"""UPDATE notification SET {assignments}, content_hash = ${_COLUMN_COUNT + 2}, status = ${_COLUMN_COUNT + 3},
                   screening_due_at = ${_COLUMN_COUNT + 4},
                   version = version + 1, updated_at = now()
             WHERE id = $1 RETURNING version""",  # noqa: S608 - column names are constants
        notification_id,
        *_values(body, source, received_at),
        content_hash,
        status.value,
        screening_due_at,
    )


_PERSON_COLUMNS = (
    ("notification_id", "bigint"),
    ("position", "integer"),
    ("role", "text"),
    ("family_name", "text"),
    ("given_names", "text"),
    ("date_of_birth", "date"),
    ("sex", "text"),
    ("ethnicity", "text"),
    ("relationship", "text"),
    ("address", "text"),
    ("address_withheld", "boolean"),
    ("school", "text"),
    ("gp_or_health_visitor", "text"),
    ("ordinarily_resident", "boolean"),
    ("present", "boolean"),
    ("witnessed", "boolean"),
    ("injured", "boolean"),
)
_PERSON_NAMES = ", ".join(name for name, _ in _PERSON_COLUMNS)
_PERSON_ARRAYS = ", ".join(f"${i}::{kind}[]" for i, (_, kind) in enumerate(_PERSON_COLUMNS, start=2))
_UNLINKED_PEOPLE = f"""
    INSERT INTO notification_person ({_PERSON_NAMES})
    SELECT * FROM unnest({", ".join(f"${i}::{kind}[]" for i, (_, kind) in enumerate(_PERSON_COLUMNS, start=1))})"""  # noqa: S608


# One statement writes the people of new notifications, each already linked (linking by a later
# UPDATE would write every row twice):
# - `made`: a person for each key the partnership has not seen, named as in its earliest incident
#   here. ON CONFLICT on the partial unique index skips keys it has (and waits for a concurrent
#   intake bringing the same new person; the rare loser is linked afterwards the usual way).
# - `found`: the person of a known key, or whom they were merged into. LATERAL with LIMIT keeps it
#   an index probe whatever plan is cached; FOR KEY SHARE waits for a merge of that person under
#   way and then reads the merged row, so a link never points at someone merged away.
# - `own`: without a key (no date of birth or given name), a person of their own, never matched.
def _linked_people_sql(people: str, head: str = "") -> str:
    """The statement below, its people read by `people` (a FROM list naming `u`), after CTEs `head`."""
    return f"""
    WITH {head}u AS MATERIALIZED (
        SELECT u.*, person_match_key(u.family_name, u.given_names, u.date_of_birth) AS key FROM {people}
    ), made AS (
        INSERT INTO person (partnership_id, match_key, family_name, given_names, date_of_birth, auto_match)
        SELECT DISTINCT ON (key) $1, key, family_name, given_names, date_of_birth, true
          FROM u WHERE key IS NOT NULL
         ORDER BY key, occurred_at, n
        ON CONFLICT (match_key, partnership_id) WHERE auto_match DO NOTHING
        RETURNING id, match_key
    ), resolved AS (
        SELECT u.*, CASE WHEN u.key IS NULL THEN nextval('person_id_seq') ELSE coalesce(found.id, made.id) END
                    AS person_id
          FROM u
          LEFT JOIN made ON made.match_key = u.key
          LEFT JOIN LATERAL (
                   SELECT coalesce(p.merged_into, p.id) AS id FROM person p
                    WHERE p.match_key = u.key AND p.partnership_id = $1 AND p.auto_match LIMIT 1 FOR KEY SHARE
               ) found ON u.key IS NOT NULL
    ), own AS (
        INSERT INTO person (id, partnership_id, match_key, family_name, given_names, date_of_birth, auto_match)
        OVERRIDING SYSTEM VALUE
        SELECT person_id, $1, NULL, family_name, given_names, date_of_birth, false FROM resolved WHERE key IS NULL
    )
    INSERT INTO notification_person ({_PERSON_NAMES}, person_id)
    SELECT {_PERSON_NAMES}, person_id FROM resolved
    RETURNING notification_id, person_id"""  # noqa: S608 - column names are constants


_LINKED_PEOPLE = _linked_people_sql(
    f"unnest({_PERSON_ARRAYS}, ${len(_PERSON_COLUMNS) + 2}::timestamptz[]) WITH ORDINALITY "
    f"AS u({_PERSON_NAMES}, occurred_at, n)"
)

# A new notification and its linked people in one statement (one round trip for every intake):
# the notification unless its police reference is here already, then its people as above.
_ONE_PERSON_ARRAYS = ", ".join(
    f"${i}::{kind}[]" for i, (_, kind) in enumerate(_PERSON_COLUMNS[1:], start=_COLUMN_COUNT + 4)
)
_ONE_PERSON_NAMES = ", ".join(name for name, _ in _PERSON_COLUMNS[1:])
_NEW_NOTIFICATION_WITH_PEOPLE = _linked_people_sql(
    f"""new_notification, unnest({_ONE_PERSON_ARRAYS}) WITH ORDINALITY AS p({_ONE_PERSON_NAMES}, n),
        LATERAL (SELECT new_notification.id AS notification_id, p.*,
                        ${_COLUMN_COUNT + 4 + len(_PERSON_COLUMNS) - 1}::timestamptz AS occurred_at) AS u""",
    head=f"""new_notification AS (
        INSERT INTO notification (partnership_id, {_NOTIFICATION_COLUMNS}, content_hash, screening_due_at)
        VALUES ($1, {", ".join(f"${i}" for i in range(2, _COLUMN_COUNT + 4))})
        ON CONFLICT (partnership_id, police_reference) DO NOTHING
        RETURNING id
    ), """,  # noqa: S608 - column names are constants
)


def _people_arrays(
    notifications: Sequence[tuple[int, NotificationIn, datetime | None]],
) -> tuple[list[list[Any]], list[datetime | None]]:
    """The people of (notification id, body, when it happened) as one array per column, and each one's time."""
    columns: list[list[Any]] = [[] for _ in _PERSON_COLUMNS]
    (ids, positions, roles, family, given, born, sex, ethnicity, relationship, address, withheld, school, gp,
     resident, present, witnessed, injured) = columns  # fmt: skip
    occurred: list[datetime | None] = []
    for notification_id, body, occurred_at in notifications:
        for position, p in enumerate(body.people, start=1):
            ids.append(notification_id)
            positions.append(position)
            roles.append(p.role.value)
            family.append(p.family_name)
            given.append(p.given_names)
            born.append(p.date_of_birth)
            sex.append(p.sex)
            ethnicity.append(p.ethnicity)
            relationship.append(p.relationship)
            address.append(None if p.address_withheld else p.address)
            withheld.append(p.address_withheld)
            school.append(p.school)
            gp.append(p.gp_or_health_visitor)
            resident.append(p.ordinarily_resident)
            present.append(p.present)
            witnessed.append(p.witnessed)
            injured.append(p.injured)
            occurred.append(occurred_at)
    return columns, occurred


async def replace_people(conn: asyncpg.Connection, notification_id: int, body: NotificationIn) -> None:
    """Replace an updated notification's people, keeping how the same people were linked.

    A coordinator's confirmed links and splits outlive the police sending the notification again.
    Callers link the rest afterwards (`pitstop.people.linkage.link_people`).
    """
    kept = await linkage.delete_people_keeping_links(conn, [notification_id])
    columns, _ = _people_arrays([(notification_id, body, None)])
    await conn.execute(_UNLINKED_PEOPLE, *columns)
    await linkage.restore_links(conn, kept)


async def insert_linked_people(
    conn: asyncpg.Connection, partnership_id: int, notifications: Sequence[tuple[int, NotificationIn, datetime]]
) -> None:
    """Write the people of new notifications (id, body, when it happened), each linked as it is written.

    One statement however many notifications (see _linked_people_sql). Anyone left without a link (a
    concurrent intake made their person a moment before) is linked the usual way.
    """
    columns, occurred = _people_arrays(notifications)
    rows = await conn.fetch(_LINKED_PEOPLE, partnership_id, *columns, occurred)
    if any(row["person_id"] is None for row in rows):
        await linkage.link_people(conn, partnership_id, sorted(set(columns[0])))


async def insert_new_with_people(
    conn: asyncpg.Connection,
    partnership_id: int,
    body: NotificationIn,
    source: Source,
    received_at: datetime,
    content_hash: str,
    screening_due_at: datetime | None,
) -> int | None:
    """Insert the notification, unless its police reference is here already, with its people linked.

    One statement (one round trip for every intake); the new id, or None when the reference exists.
    ON CONFLICT waits for a concurrent insert of the same reference, so fifty posts at once make one.
    """
    columns, _ = _people_arrays([(0, body, received_at)])
    rows = await conn.fetch(
        _NEW_NOTIFICATION_WITH_PEOPLE,
        partnership_id,
        *_values(body, source, received_at),
        content_hash,
        screening_due_at,
        *columns[1:],
        body.incident_at or received_at,
    )
    if not rows:
        return None
    notification_id: int = rows[0]["notification_id"]
    if any(row["person_id"] is None for row in rows):
        await linkage.link_people(conn, partnership_id, [notification_id])
    return notification_id


async def insert_version(
    conn: asyncpg.Connection,
    notification_id: int,
    version: int,
    body: NotificationIn,
    source: Source,
    received_by: int | None,
    import_id: int | None = None,
    audit_row: Sequence[Any] = (),
) -> None:
    """Keep a version as received; with `audit_row` (audit.service.values), its audit row in the same round trip."""
    version_insert = (
        "INSERT INTO notification_version (notification_id, version, body, source, received_by, import_id) "
        "VALUES ($1, $2, $3, $4, $5, $6)"
    )
    await conn.execute(
        f"WITH version AS ({version_insert}) {audit_queries.insert_statement(7)}" if audit_row else version_insert,
        notification_id,
        version,
        msgspec.to_builtins(body),
        source.value,
        received_by,
        import_id,
        *audit_row,
    )


# Per person of notification `n`: how often they appear in the partnership's window, and whether their
# address agrees with another of their incidents (never compared when withheld, here or there).
_PERSON_LINKAGE = f"""jsonb_build_object(
    'matchable', p.match_key IS NOT NULL,
    'recent_incidents', CASE WHEN p.person_id IS NOT NULL
                             THEN {people.recent_incidents_sql("p.person_id", "n", "rule.window_months")} END,
    'address_agrees', CASE WHEN p.person_id IS NOT NULL AND NOT p.address_withheld AND NOT n.address_withheld
                                AND person_address_key(p.address) IS NOT NULL THEN
        (SELECT bool_or(person_address_key(o.address) = person_address_key(p.address))
           FROM notification_person o JOIN notification m ON m.id = o.notification_id
          WHERE o.person_id = p.person_id AND o.notification_id <> n.id
            AND m.partnership_id IS NOT DISTINCT FROM n.partnership_id
            AND NOT o.address_withheld AND NOT m.address_withheld AND o.address IS NOT NULL) END)"""  # noqa: S608


async def get(conn: asyncpg.Connection, notification_id: int) -> Notification | None:
    """The notification with its people, their repeat incidents and the escalation flag, in one query."""
    row = await conn.fetchrow(
        f"""SELECT n.id, n.partnership_id, {_qualified("n", _NOTIFICATION_COLUMNS)}, n.status, n.screening_due_at,
                   n.version, n.created_at, n.updated_at,
                   coalesce((SELECT jsonb_agg(to_jsonb(p) - 'notification_id' - 'match_key' || {_PERSON_LINKAGE}
                                              ORDER BY p.position)
                               FROM notification_person p WHERE p.notification_id = n.id), '[]'::jsonb) AS people,
                   {people.escalation_sql("n", "rule.threshold", "rule.window_months")} AS potential_escalation,
                   rule.threshold AS repeat_threshold, rule.window_months AS repeat_window_months
              FROM notification n CROSS JOIN LATERAL {people.rule_sql("n.partnership_id")} rule
             WHERE n.id = $1""",  # noqa: S608 - column names and SQL are constants
        notification_id,
    )
    return None if row is None else msgspec.convert(dict(row), Notification, strict=False)


def _qualified(alias: str, columns: str) -> str:
    return ", ".join(f"{alias}.{c}" for c in columns.split(", "))


async def risk_tool_question_keys(conn: asyncpg.Connection) -> dict[str, list[str]]:
    """Every risk tool's code -> its question keys."""
    rows = await conn.fetch("SELECT code, questions FROM risk_tool")
    return {row["code"]: [q["key"] for q in row["questions"]] for row in rows}


async def risk_tool_questions(conn: asyncpg.Connection, code: str) -> list[str] | None:
    """The question keys of a risk tool, or None when there is no such tool."""
    questions = await conn.fetchval("SELECT questions FROM risk_tool WHERE code = $1", code)
    return None if questions is None else [q["key"] for q in questions]


async def summaries(
    conn: asyncpg.Connection,
    partnership_id: int,
    *,
    status: Status | None = None,
    grade: Grade | None = None,
    overdue_at: datetime | None = None,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
    limit: int = 200,
) -> list[Summary]:
    """The intake queue, most urgent first: unscreened before screened, then by deadline, then grade."""
    rows = await conn.fetch(
        f"""SELECT n.id, n.police_reference, n.received_at, n.officer_grade, n.status, n.screening_due_at,
                  n.open_case, n.version,
                  (n.status <> 'screened' AND n.screening_due_at < now()) AS overdue,
                  (SELECT count(*) FROM notification_person p
                    WHERE p.notification_id = n.id AND p.role = 'child') AS children,
                  {people.escalation_sql("n", "rule.threshold", "rule.window_months")} AS potential_escalation
             FROM notification n CROSS JOIN {people.rule_sql("$1")} rule
            WHERE n.partnership_id = $1
              AND ($2::text IS NULL OR n.status = $2)
              AND ($3::text IS NULL OR n.officer_grade = $3)
              AND ($4::timestamptz IS NULL OR (n.status <> 'screened' AND n.screening_due_at < $4))
              AND ($5::timestamptz IS NULL OR n.received_at >= $5)
              AND ($6::timestamptz IS NULL OR n.received_at < $6)
            ORDER BY n.status = 'screened', n.screening_due_at NULLS LAST,
                     array_position(ARRAY['high', 'medium', 'standard'], n.officer_grade), n.received_at
            LIMIT $7""",  # noqa: S608 - constant SQL
        partnership_id,
        status.value if status else None,
        grade.value if grade else None,
        overdue_at,
        received_from,
        received_to,
        limit,
    )
    return to_structs(rows, Summary)


# ---- for the coordinator's pages --------------------------------------------------------------


class QueueCounts(msgspec.Struct, frozen=True, kw_only=True):
    """How many notifications of each status and grade (no names, no references)."""

    total: int
    by_status: dict[str, int]
    by_grade: dict[str, int]
    overdue: int


async def queue_counts(
    conn: asyncpg.Connection,
    partnership_id: int,
    *,
    now: datetime,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
) -> QueueCounts:
    """Counts of the partnership's notifications received in the range: by status, by grade, overdue."""
    rows = await conn.fetch(
        """SELECT status, officer_grade, count(*) AS n,
                  count(*) FILTER (WHERE status <> 'screened' AND screening_due_at < $2) AS overdue
             FROM notification
            WHERE partnership_id = $1
              AND ($3::timestamptz IS NULL OR received_at >= $3)
              AND ($4::timestamptz IS NULL OR received_at < $4)
            GROUP BY status, officer_grade""",
        partnership_id,
        now,
        received_from,
        received_to,
    )
    by_status = {s.value: 0 for s in Status}
    by_grade = {g.value: 0 for g in Grade}
    for row in rows:
        by_status[row["status"]] += row["n"]
        by_grade[row["officer_grade"]] += row["n"]
    return QueueCounts(
        total=sum(by_status.values()),
        by_status=by_status,
        by_grade=by_grade,
        overdue=sum(row["overdue"] for row in rows),
    )


class VersionRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One version of a notification as received, whole, with who sent or keyed it."""

    version: int
    source: Source
    received_at: datetime
    received_by: int | None
    received_by_name: str | None
    body: dict[str, Any]


async def versions(conn: asyncpg.Connection, notification_id: int) -> list[VersionRecord]:
    """Every version of a notification, the first first."""
    rows = await conn.fetch(
        """SELECT v.version, v.source, v.received_at, v.received_by, u.name AS received_by_name, v.body
             FROM notification_version v LEFT JOIN app_user u ON u.id = v.received_by
            WHERE v.notification_id = $1
            ORDER BY v.version""",
        notification_id,
    )
    return to_structs(rows, VersionRecord)


async def user_names(conn: asyncpg.Connection, partnership_id: int, user_ids: list[int]) -> dict[int, str]:
    """The names of the partnership's users among `user_ids`."""
    rows = await conn.fetch(
        "SELECT id, name FROM app_user WHERE partnership_id = $1 AND id = ANY($2::bigint[])",
        partnership_id,
        user_ids,
    )
    return {row["id"]: row["name"] for row in rows}


async def active_managers(conn: asyncpg.Connection, partnership_id: int) -> list[tuple[int, str]]:
    """(id, name) of the partnership's active managers, by name: who may authorise sharing without consent."""
    rows = await conn.fetch(
        """SELECT id, name FROM app_user
            WHERE partnership_id = $1 AND active AND 'manager' = ANY(roles)
            ORDER BY name, id""",
        partnership_id,
    )
    return [(row["id"], row["name"]) for row in rows]


class RiskTool(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    label: str
    questions: list[dict[str, str]]  # [{"key": ..., "text": ...}]


async def risk_tools(conn: asyncpg.Connection) -> list[RiskTool]:
    rows = await conn.fetch("SELECT code, label, questions FROM risk_tool ORDER BY code")
    return to_structs(rows, RiskTool)
