"""Repeat-incident linkage: what intake and imports call, and what makes a potential escalation.

For whatever takes notifications in (intake, the CSV import):

- `link_people(conn, partnership_id, notification_ids)` after writing notifications' people: links
  each person not yet linked to the partnership's person with the same normalised family name, first
  given name and date of birth (making one when there is none), or to a person of their own when the
  date of birth or a name is missing. Set-based: three statements however many notifications, safe
  to run twice, and safe while another intake links the same new people.
- Replacing the people of notifications that exist (a police update): `delete_people_keeping_links`
  instead of deleting them, insert the new people, `restore_links(kept)`, then `link_people`. That
  keeps a coordinator's decisions (confirmed links, splits, merges) for the people still there.
  `pitstop.notifications.queries.replace_people` does this for one notification.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from pitstop.notifications.models import Notification, Person
from pitstop.people import queries
from pitstop.people.models import ESCALATING_ROLES, KeptLink

__all__ = ["delete_people_keeping_links", "escalation_reasons", "link_people", "restore_links"]


async def link_people(conn: asyncpg.Connection, partnership_id: int, notification_ids: Sequence[int]) -> None:
    """Link every person named in these notifications of the partnership who has no person yet."""
    await queries.link_people(conn, partnership_id, notification_ids)


async def delete_people_keeping_links(conn: asyncpg.Connection, notification_ids: Sequence[int]) -> list[KeptLink]:
    """Delete the people of these notifications, returning how each was linked (for `restore_links`)."""
    return await queries.delete_people_keeping_links(conn, notification_ids)


async def restore_links(conn: asyncpg.Connection, kept: Sequence[KeptLink]) -> None:
    """Give the re-inserted people the links they had: by the same key, else the same position and name."""
    await queries.restore_links(conn, kept)


@dataclass(frozen=True, slots=True)
class EscalationReason:
    """Why a notification is a potential escalation: someone's incidents, or the police's own count."""

    count: int  # incidents in the window, this one included
    person: Person | None = None  # None: the police's count of previous incidents, plus this one


def escalation_reasons(notification: Notification) -> list[EscalationReason]:
    """What takes the notification to its partnership's threshold (empty when nothing does).

    The same rule as `queries.escalation_sql`, which flags the queue; this says why, on the page.
    """
    threshold = notification.repeat_threshold
    reasons = [
        EscalationReason(count=person.recent_incidents, person=person)
        for person in notification.people
        if person.role in ESCALATING_ROLES
        and person.recent_incidents is not None
        and person.recent_incidents >= threshold
    ]
    previous = notification.previous_incidents_12m
    if previous is not None and previous + 1 >= threshold:
        reasons.append(EscalationReason(count=previous + 1))
    return reasons
