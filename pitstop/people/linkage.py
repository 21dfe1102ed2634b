"""Repeat-incident linkage: what intake and imports call, and what makes a potential escalation.

For whatever takes notifications in (intake, the CSV import):

- `link_people(conn, partnership_id, notification_ids)` after writing notifications' people: links
  each person not yet linked to the partnership's person with the same normalised family name, first
  given name and date of birth (making one when there is none), or to a person of their own when the
  date of birth or a name is missing. Set-based: four statements however many notifications, safe
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

from pitstop.notifications.models import LinkStatus, Notification, Person
from pitstop.people import queries
from pitstop.people.models import ESCALATING_ROLES, KeptLink

__all__ = ["delete_people_keeping_links", "escalation_reasons", "link_people", "pair_links", "restore_links"]


async def link_people(conn: asyncpg.Connection, partnership_id: int, notification_ids: Sequence[int]) -> None:
    """Link every person named in these notifications of the partnership who has no person yet."""
    await queries.link_people(conn, partnership_id, notification_ids)


async def delete_people_keeping_links(conn: asyncpg.Connection, notification_ids: Sequence[int]) -> list[KeptLink]:
    """Delete the people of these notifications, returning how each was linked (for `restore_links`)."""
    return await queries.delete_people_keeping_links(conn, notification_ids)


async def restore_links(conn: asyncpg.Connection, kept: Sequence[KeptLink]) -> None:
    """Give the people the police sent again the links they had, before `link_people` links the rest."""
    if not kept:
        return
    fresh = await queries.unlinked(conn, sorted({k.notification_id for k in kept}))
    await queries.set_links(conn, pair_links(kept, fresh))


def pair_links(kept: Sequence[KeptLink], fresh: Sequence[queries.Unlinked]) -> list[tuple[int, KeptLink]]:
    """Which re-inserted occurrence (by id) gets which kept link, one to one within each notification.

    First the same key: the k-th occurrence of a key with the k-th, in position order, keeping any
    link (automatic or a coordinator's). Then, for the rest, the same position and the same name,
    keeping only a coordinator's decision, or a keyless person's own record (so that every update
    does not make them another). So an update never undoes a split, a confirmation or a merge, while
    someone whose date of birth the police corrected is matched afresh.
    """
    by_key: dict[tuple[int, str], list[KeptLink]] = {}
    for link in sorted(kept, key=lambda k: (k.notification_id, k.position)):
        if link.match_key is not None:
            by_key.setdefault((link.notification_id, link.match_key), []).append(link)
    pairs: list[tuple[int, KeptLink]] = []
    used: set[tuple[int, int]] = set()
    rest = []
    for occurrence in sorted(fresh, key=lambda f: (f.notification_id, f.position)):
        queue = by_key.get((occurrence.notification_id, occurrence.match_key)) if occurrence.match_key else None
        if queue:
            link = queue.pop(0)
            pairs.append((occurrence.id, link))
            used.add((link.notification_id, link.position))
        else:
            rest.append(occurrence)
    by_place = {(k.notification_id, k.position): k for k in kept if (k.notification_id, k.position) not in used}
    for occurrence in rest:
        link = by_place.get((occurrence.notification_id, occurrence.position))
        if (
            link is not None
            and link.name_key == occurrence.name_key
            and (link.link_status is LinkStatus.CONFIRMED or (link.match_key is None and occurrence.match_key is None))
        ):
            pairs.append((occurrence.id, link))
    return pairs


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
