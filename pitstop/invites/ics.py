"""Calendar invites for the meeting series (RFC 5545 / RFC 5546), with no database and no mail.

What goes in an invite is only the meeting: its name, time, place or call link, a link into Pitstop,
the organiser (the partnership's mailbox) and the invitees (names and work addresses). Never case data.

- The series is one VEVENT with a stable UID: DTSTART/DTEND in Europe/London, an RRULE on the meeting
  weekdays, EXDATEs for closed days (bank holidays and closure days), a SEQUENCE that rises with each
  change. A series that ends gets UNTIL.
- One meeting moved is an override of its occurrence (RECURRENCE-ID); one meeting cancelled is a
  METHOD:CANCEL of its occurrence with STATUS:CANCELLED; the whole series cancelled is a METHOD:CANCEL
  of the UID.
- Times are written as local times with TZID=Europe/London and a VTIMEZONE in the rule form that
  Outlook, Google, Apple and Thunderbird all read: the last Sundays of March and October.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import msgspec
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress, vRecur, vText

LONDON = ZoneInfo("Europe/London")
TZID = "Europe/London"
PRODID = "-//Pitstop//Daily safeguarding meeting//EN"
_DAYS = {1: "MO", 2: "TU", 3: "WE", 4: "TH", 5: "FR", 6: "SA", 7: "SU"}


class Method(StrEnum):
    REQUEST = "REQUEST"  # an invite, or an update of one (mailed to invitees)
    CANCEL = "CANCEL"  # a cancellation (mailed)
    PUBLISH = "PUBLISH"  # a download or subscription: no replies expected


class Person(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    email: str


class SeriesInvite(msgspec.Struct, frozen=True, kw_only=True):
    """A meeting series as calendars see it."""

    uid: str
    sequence: int
    summary: str
    first_day: date  # the day of the first meeting (DTSTART)
    starts: time  # local wall-clock time
    length_minutes: int
    weekdays: Sequence[int]  # ISO weekdays, Monday = 1
    exdates: Sequence[date] = ()  # closed days on which the rule would otherwise fall
    until: date | None = None  # the last day the series may meet (included); None: no end
    place: str | None = None
    call_link: str | None = None
    url: str  # the meetings page in Pitstop
    organizer: Person
    attendees: Sequence[Person] = ()
    stamp: datetime  # when this version was made (DTSTAMP), aware


class Occurrence(msgspec.Struct, frozen=True, kw_only=True):
    """One meeting of a series that differs from the rule: moved (new start, length, place)."""

    day: date  # the series day it replaces (RECURRENCE-ID)
    starts_at: datetime  # aware
    length_minutes: int
    place: str | None = None
    call_link: str | None = None
    url: str


def london_timezone() -> Timezone:
    """Europe/London in rule form (BST from 01:00 UTC on the last Sunday of March to 01:00 UTC on the
    last Sunday of October), valid for every year since 1996."""
    zone = Timezone()
    zone.add("tzid", TZID)
    zone.add("x-lic-location", TZID)
    summer = TimezoneDaylight()
    summer.add("tzname", "BST")
    summer.add("dtstart", datetime(1970, 3, 29, 1, 0))
    summer.add("rrule", vRecur(freq="YEARLY", bymonth=3, byday="-1SU"))
    summer.add("tzoffsetfrom", timedelta(0))
    summer.add("tzoffsetto", timedelta(hours=1))
    winter = TimezoneStandard()
    winter.add("tzname", "GMT")
    winter.add("dtstart", datetime(1970, 10, 25, 2, 0))
    winter.add("rrule", vRecur(freq="YEARLY", bymonth=10, byday="-1SU"))
    winter.add("tzoffsetfrom", timedelta(hours=1))
    winter.add("tzoffsetto", timedelta(0))
    zone.add_component(summer)
    zone.add_component(winter)
    return zone


def _calendar(method: Method) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method.value)
    cal.add_component(london_timezone())
    return cal


def _local(day: date, clock: time) -> datetime:
    """A London wall-clock time, written with TZID=Europe/London."""
    return datetime.combine(day, clock, tzinfo=LONDON)


def _address(person: Person, *, role: str | None = None, rsvp: bool = False) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["cn"] = vText(person.name)
    if role:
        address.params["role"] = vText(role)
        address.params["partstat"] = vText("NEEDS-ACTION")
        address.params["cutype"] = vText("INDIVIDUAL")
    if rsvp:
        address.params["rsvp"] = vText("TRUE")
    return address


def description(place: str | None, call_link: str | None, url: str) -> str:
    """What the invite says: where, how to join, and where the agenda is. Never case data."""
    lines = ["The partnership's daily multi-agency meeting about domestic abuse notifications."]
    if place:
        lines.append(f"Place: {place}")
    if call_link:
        lines.append(f"Join the call: {call_link}")
    lines.append(f"The agenda, once published, is in Pitstop: {url}")
    return "\n".join(lines)


def _base(invite: SeriesInvite, event: Event, *, sequence: int, attendees: Sequence[Person]) -> None:
    event.add("uid", invite.uid)
    event.add("dtstamp", invite.stamp.astimezone(UTC))
    event.add("sequence", sequence)
    event.add("summary", invite.summary)
    event.add("organizer", _address(invite.organizer))
    for person in attendees:
        event.add("attendee", _address(person, role="REQ-PARTICIPANT", rsvp=True))


def _details(event: Event, place: str | None, call_link: str | None, url: str, status: str) -> None:
    """Where and how to join, the link into Pitstop, and the event's status: all a calendar shows."""
    if place:
        event.add("location", place)
    event.add("description", description(place, call_link, url))
    event.add("url", url)
    event.add("status", status)
    event.add("transp", "OPAQUE")
    event.add("class", "PRIVATE")


def _rule(invite: SeriesInvite) -> vRecur:
    rule = vRecur(freq="WEEKLY", byday=[_DAYS[d] for d in sorted(set(invite.weekdays))], wkst="MO")
    if invite.until is not None:
        # UNTIL in UTC when DTSTART has a time zone (RFC 5545 3.3.10): the end of the last day.
        rule["until"] = _local(invite.until, time(23, 59, 59)).astimezone(UTC)
    return rule


def first_meeting_day(invite: SeriesInvite) -> date:
    """DTSTART on the first day of the rule: many clients count DTSTART as a meeting even when the rule
    would not, so a series set up on a Saturday must not start on it."""
    day = invite.first_day
    while day.isoweekday() not in invite.weekdays:
        day += timedelta(days=1)
    return day


def _series_event(invite: SeriesInvite, *, sequence: int, status: str) -> Event:
    event = Event()
    _base(invite, event, sequence=sequence, attendees=invite.attendees)
    start = _local(first_meeting_day(invite), invite.starts)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=invite.length_minutes))
    event.add("rrule", _rule(invite))
    for day in sorted(set(invite.exdates)):
        if day >= invite.first_day:
            event.add("exdate", _local(day, invite.starts))
    _details(event, invite.place, invite.call_link, invite.url, status)
    return event


def series(invite: SeriesInvite, method: Method = Method.REQUEST, overrides: Sequence[Occurrence] = ()) -> bytes:
    """The series: the invite (REQUEST) or, for a download or feed, PUBLISH. Its moved meetings go with it
    as overrides (same UID, RECURRENCE-ID): a client that takes a re-sent series as a new master drops
    the overrides it held, so each re-send carries them again."""
    cal = _calendar(method)
    cal.add_component(_series_event(invite, sequence=invite.sequence, status="CONFIRMED"))
    for occurrence in overrides:
        cal.add_component(_override(invite, occurrence))
    return cal.to_ical()


def series_cancelled(invite: SeriesInvite, attendees: Sequence[Person] | None = None) -> bytes:
    """The whole series cancelled (to `attendees`: all of them, or one removed invitee)."""
    cal = _calendar(Method.CANCEL)
    event = _series_event(invite, sequence=invite.sequence, status="CANCELLED")
    if attendees is not None:
        event.pop("attendee", None)
        for person in attendees:
            event.add("attendee", _address(person, role="REQ-PARTICIPANT"))
    cal.add_component(event)
    return cal.to_ical()


def _recurrence_id(invite: SeriesInvite, day: date) -> datetime:
    return _local(day, invite.starts)


def _override(invite: SeriesInvite, occurrence: Occurrence) -> Event:
    event = Event()
    _base(invite, event, sequence=invite.sequence, attendees=invite.attendees)
    event.add("recurrence-id", _recurrence_id(invite, occurrence.day))
    start = occurrence.starts_at.astimezone(LONDON)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=occurrence.length_minutes))
    _details(event, occurrence.place, occurrence.call_link, occurrence.url, "CONFIRMED")
    return event


def moved(invite: SeriesInvite, occurrence: Occurrence) -> bytes:
    """One meeting moved: an override of its occurrence, same UID, with RECURRENCE-ID."""
    cal = _calendar(Method.REQUEST)
    cal.add_component(_override(invite, occurrence))
    return cal.to_ical()


def occurrence_cancelled(invite: SeriesInvite, day: date) -> bytes:
    """One meeting of the series cancelled: METHOD:CANCEL of its occurrence, STATUS:CANCELLED."""
    cal = _calendar(Method.CANCEL)
    event = Event()
    _base(invite, event, sequence=invite.sequence, attendees=invite.attendees)
    event.add("recurrence-id", _recurrence_id(invite, day))
    start = _recurrence_id(invite, day)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=invite.length_minutes))
    event.add("status", "CANCELLED")
    cal.add_component(event)
    return cal.to_ical()


class MeetingInvite(msgspec.Struct, frozen=True, kw_only=True):
    """One meeting on its own: an extra meeting (its own UID, mailed) or a download of any meeting."""

    uid: str
    sequence: int
    summary: str
    starts_at: datetime  # aware
    length_minutes: int
    place: str | None = None
    call_link: str | None = None
    url: str  # the meeting's page in Pitstop
    organizer: Person
    attendees: Sequence[Person] = ()
    stamp: datetime  # aware


def meeting_event(invite: MeetingInvite, *, status: str = "CONFIRMED") -> Event:
    event = Event()
    event.add("uid", invite.uid)
    event.add("dtstamp", invite.stamp.astimezone(UTC))
    event.add("sequence", invite.sequence)
    event.add("summary", invite.summary)
    event.add("organizer", _address(invite.organizer))
    for person in invite.attendees:
        event.add("attendee", _address(person, role="REQ-PARTICIPANT", rsvp=status != "CANCELLED"))
    start = invite.starts_at.astimezone(LONDON)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=invite.length_minutes))
    _details(event, invite.place, invite.call_link, invite.url, status)
    return event


def meeting(invite: MeetingInvite, method: Method = Method.REQUEST) -> bytes:
    """One meeting: its invite or update (REQUEST), or a download (PUBLISH)."""
    cal = _calendar(method)
    cal.add_component(meeting_event(invite))
    return cal.to_ical()


def meeting_cancelled(invite: MeetingInvite) -> bytes:
    """One meeting on its own cancelled, to everyone or to one invitee who left (METHOD:CANCEL)."""
    cal = _calendar(Method.CANCEL)
    cal.add_component(meeting_event(invite, status="CANCELLED"))
    return cal.to_ical()


def feed(
    series_events: Sequence[tuple[SeriesInvite, Sequence[Occurrence]]], meetings: Sequence[MeetingInvite]
) -> bytes:
    """A subscription feed (PUBLISH): whole series with their moved meetings, and meetings on their own."""
    cal = _calendar(Method.PUBLISH)
    cal.add("x-wr-calname", "Pitstop meetings")
    for invite, overrides in series_events:
        cal.add_component(_series_event(invite, sequence=invite.sequence, status="CONFIRMED"))
        for occurrence in overrides:
            cal.add_component(_override(invite, occurrence))
    for one in meetings:
        cal.add_component(meeting_event(one))
    return cal.to_ical()
