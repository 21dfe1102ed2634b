"""Which re-sent person keeps which link when the police send a notification again (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

from pitstop.notifications.models import LinkStatus
from pitstop.people.linkage import pair_links
from pitstop.people.models import KeptLink
from pitstop.people.queries import Unlinked

AT = datetime(2026, 11, 24, tzinfo=UTC)


def kept(position: int, key: str | None, person: int, status: LinkStatus, name: str = "marsh|kelly") -> KeptLink:
    confirmed = status is LinkStatus.CONFIRMED
    return KeptLink(
        notification_id=1,
        position=position,
        match_key=key,
        name_key=name,
        person_id=person,
        link_status=status,
        confirmed_by=7 if confirmed else None,
        confirmed_at=AT if confirmed else None,
    )


def fresh(occurrence: int, position: int, key: str | None, name: str = "marsh|kelly") -> Unlinked:
    return Unlinked(id=occurrence, notification_id=1, position=position, match_key=key, name_key=name)


def paired(links: list[tuple[int, KeptLink]]) -> dict[int, int]:
    return {occurrence: link.person_id for occurrence, link in links}


def test_the_same_key_keeps_its_link_wherever_it_moved() -> None:
    old = [kept(1, "k", 10, LinkStatus.CONFIRMED), kept(2, "c", 20, LinkStatus.AUTOMATIC, "dunmore|craig")]
    new = [fresh(101, 1, "c", "dunmore|craig"), fresh(102, 2, "t", "marsh|tyler"), fresh(103, 3, "k")]
    assert paired(pair_links(old, new)) == {101: 20, 103: 10}


def test_the_same_key_twice_pairs_in_order() -> None:
    old = [kept(1, "k", 10, LinkStatus.CONFIRMED), kept(3, "k", 11, LinkStatus.CONFIRMED)]
    new = [fresh(101, 2, "k"), fresh(102, 5, "k"), fresh(103, 6, "k")]
    assert paired(pair_links(old, new)) == {101: 10, 102: 11}


def test_a_coordinators_decision_stays_with_the_same_place_and_name() -> None:
    # The police corrected the date of birth: the key changed, the split stands.
    old = [kept(1, "k-old", 10, LinkStatus.CONFIRMED)]
    assert paired(pair_links(old, [fresh(101, 1, "k-new")])) == {101: 10}
    # Another name in that place is someone else.
    assert pair_links(old, [fresh(101, 1, "k-new", "marsh|dana")]) == []


def test_an_automatic_link_is_made_afresh_when_the_key_changed() -> None:
    old = [kept(1, "k-old", 10, LinkStatus.AUTOMATIC)]
    assert pair_links(old, [fresh(101, 1, "k-new")]) == []


def test_someone_without_a_key_keeps_their_own_record() -> None:
    old = [kept(2, None, 30, LinkStatus.AUTOMATIC, "dunmore|craig")]
    assert paired(pair_links(old, [fresh(101, 2, None, "dunmore|craig")])) == {101: 30}
    # Given a date of birth now: matched by key instead.
    assert pair_links(old, [fresh(101, 2, "c", "dunmore|craig")]) == []
