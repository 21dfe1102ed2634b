"""The invites Pitstop writes (pitstop.invites.ics), read back with the icalendar package: methods, UID,
SEQUENCE, RECURRENCE-ID, the time zone's rules against zoneinfo, and nothing but the meeting in them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec
from dateutil.rrule import rrulestr
from icalendar import Calendar

from pitstop.invites import ics

LONDON = ZoneInfo("Europe/London")
INVITE = ics.SeriesInvite(
    uid="series-7@pitstop.example",
    sequence=3,
    summary="Northfield daily pitstop",
    first_day=date(2027, 1, 4),
    starts=time(9, 30),
    length_minutes=60,
    weekdays=[5, 1, 3],
    exdates=[date(2027, 3, 26), date(2026, 12, 25)],
    place="MASH meeting room",
    call_link="https://meet.northfield.example/pitstop",
    url="https://pitstop.northfield.example/meetings",
    organizer=ics.Person(name="Northfield pitstop", email="pitstop@northfield.example"),
    attendees=[
        ics.Person(name="Pat Police", email="pat@police.example"),
        ics.Person(name="Sam Social", email="sam@care.example"),
    ],
    stamp=datetime(2026, 11, 26, 9, 0, tzinfo=UTC),
)


def read(payload: bytes) -> tuple[Calendar, list]:
    calendar = Calendar.from_ical(payload)
    return calendar, [c for c in calendar.walk("VEVENT")]


def test_the_series_invite_is_one_event_with_its_rule_exdates_and_invitees() -> None:
    calendar, [event] = read(ics.series(INVITE))
    assert str(calendar["method"]) == "REQUEST"
    assert str(event["uid"]) == "series-7@pitstop.example"
    assert int(event["sequence"]) == 3
    assert event.decoded("dtstart") == datetime(2027, 1, 4, 9, 30, tzinfo=LONDON)
    assert event["dtstart"].params["TZID"] == "Europe/London"
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(hours=1)
    rule = event["rrule"]
    assert rule["FREQ"] == ["WEEKLY"]
    assert rule["BYDAY"] == ["MO", "WE", "FR"]
    assert "UNTIL" not in rule
    exdates = [
        d.dt for x in (event["exdate"] if isinstance(event["exdate"], list) else [event["exdate"]]) for d in x.dts
    ]
    assert exdates == [datetime(2027, 3, 26, 9, 30, tzinfo=LONDON)]  # one before the series began is left out
    attendees = [str(a) for a in event["attendee"]]
    assert attendees == ["mailto:pat@police.example", "mailto:sam@care.example"]
    assert all(a.params["RSVP"] == "TRUE" for a in event["attendee"])
    assert str(event["organizer"]) == "mailto:pitstop@northfield.example"


def test_a_series_set_up_on_a_weekend_starts_on_its_first_meeting_day() -> None:
    # Many clients count DTSTART as a meeting even when the rule would not: it must be a meeting day.
    saturday = ics.SeriesInvite(
        **{**{f: getattr(INVITE, f) for f in INVITE.__struct_fields__}, "first_day": date(2027, 1, 2)}
    )
    _, [event] = read(ics.series(saturday))
    assert event.decoded("dtstart") == datetime(2027, 1, 4, 9, 30, tzinfo=LONDON)  # Monday


def test_an_invite_holds_only_the_meeting() -> None:
    text = ics.series(INVITE).decode()
    description = str(read(ics.series(INVITE))[1][0]["description"])
    assert "https://meet.northfield.example/pitstop" in description
    assert "https://pitstop.northfield.example/meetings" in description
    # The only people in it are the organiser's mailbox and the invitees.
    assert sorted(
        set(line.split("mailto:")[1] for line in text.replace("\r\n ", "").splitlines() if "mailto:" in line)
    ) == [
        "pat@police.example",
        "pitstop@northfield.example",
        "sam@care.example",
    ]


def test_an_ended_series_says_until_the_end_of_its_last_day_in_utc() -> None:
    ended = ics.SeriesInvite(
        **{**{f: getattr(INVITE, f) for f in INVITE.__struct_fields__}, "until": date(2027, 6, 30)}
    )
    _, [event] = read(ics.series(ended))
    assert event["rrule"]["UNTIL"] == [datetime(2027, 6, 30, 22, 59, 59, tzinfo=UTC)]  # 23:59:59 BST


def test_a_moved_meeting_overrides_its_occurrence_of_the_same_series() -> None:
    moved = ics.Occurrence(
        day=date(2027, 7, 7),
        starts_at=datetime(2027, 7, 7, 13, 0, tzinfo=UTC),
        length_minutes=45,
        place="Civic Centre",
        url="https://pitstop.northfield.example/meetings/42",
    )
    calendar, [event] = read(ics.moved(INVITE, moved))
    assert str(calendar["method"]) == "REQUEST"
    assert str(event["uid"]) == INVITE.uid
    assert event.decoded("recurrence-id") == datetime(2027, 7, 7, 9, 30, tzinfo=LONDON)
    assert event.decoded("dtstart") == datetime(2027, 7, 7, 14, 0, tzinfo=LONDON)
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=45)
    assert "rrule" not in event


def test_a_cancelled_meeting_and_a_cancelled_series() -> None:
    calendar, [event] = read(ics.occurrence_cancelled(INVITE, date(2027, 7, 8)))
    assert str(calendar["method"]) == "CANCEL"
    assert str(event["status"]) == "CANCELLED"
    assert event.decoded("recurrence-id") == datetime(2027, 7, 8, 9, 30, tzinfo=LONDON)
    calendar, [event] = read(ics.series_cancelled(INVITE))
    assert str(calendar["method"]) == "CANCEL"
    assert str(event["status"]) == "CANCELLED"
    assert "recurrence-id" not in event
    assert str(event["uid"]) == INVITE.uid
    # A removed invitee is sent the cancellation on their own.
    _, [event] = read(ics.series_cancelled(INVITE, [INVITE.attendees[1]]))
    assert str(event["attendee"]) == "mailto:sam@care.example"


EXTRA = ics.MeetingInvite(
    uid="meeting-42@pitstop.example",
    sequence=3,
    summary="Northfield daily pitstop",
    starts_at=datetime(2027, 1, 5, 9, 30, tzinfo=UTC),
    length_minutes=60,
    call_link="https://meet.northfield.example/pitstop",
    url="https://pitstop.northfield.example/meetings/42",
    organizer=INVITE.organizer,
    attendees=INVITE.attendees,
    stamp=INVITE.stamp,
)


def test_a_single_meeting_download_is_published_without_invitees() -> None:
    calendar, [event] = read(ics.meeting(msgspec.structs.replace(EXTRA, attendees=()), ics.Method.PUBLISH))
    assert str(calendar["method"]) == "PUBLISH"
    assert "attendee" not in event
    assert "rrule" not in event
    assert event.decoded("dtstart") == datetime(2027, 1, 5, 9, 30, tzinfo=LONDON)


def test_an_extra_meeting_is_its_own_event_invited_and_cancelled_by_its_uid() -> None:
    calendar, [event] = read(ics.meeting(EXTRA))
    assert str(calendar["method"]) == "REQUEST"
    assert (str(event["uid"]), event["sequence"]) == (EXTRA.uid, 3)
    assert [str(a) for a in event["attendee"]] == [f"mailto:{p.email}" for p in EXTRA.attendees]
    assert all(a.params["RSVP"] == "TRUE" for a in event["attendee"])
    calendar, [event] = read(ics.meeting_cancelled(EXTRA))
    assert str(calendar["method"]) == "CANCEL"
    assert (str(event["uid"]), str(event["status"])) == (EXTRA.uid, "CANCELLED")


def test_a_re_sent_series_carries_its_moved_meetings_again() -> None:
    moved = ics.Occurrence(
        day=date(2027, 7, 7),
        starts_at=datetime(2027, 7, 7, 14, 0, tzinfo=LONDON),
        length_minutes=60,
        url="https://pitstop.northfield.example/meetings/42",
    )
    _, [master, override] = read(ics.series(INVITE, overrides=[moved]))
    assert str(master["uid"]) == str(override["uid"]) == INVITE.uid
    assert master["sequence"] == override["sequence"] == INVITE.sequence
    assert "recurrence-id" not in master
    assert override.decoded("recurrence-id") == datetime(2027, 7, 7, 9, 30, tzinfo=LONDON)
    assert override.decoded("dtstart") == datetime(2027, 7, 7, 14, 0, tzinfo=LONDON)


def test_a_feed_holds_series_with_their_overrides_and_meetings_on_their_own() -> None:
    calendar, events = read(ics.feed([(INVITE, [])], [EXTRA]))
    assert str(calendar["method"]) == "PUBLISH"
    assert [str(e["uid"]) for e in events] == [INVITE.uid, EXTRA.uid]


def test_the_time_zone_rules_match_londons_clock_changes_for_years_to_come() -> None:
    zone = ics.london_timezone()
    for part, offset in (("DAYLIGHT", timedelta(hours=1)), ("STANDARD", timedelta(0))):
        [rule_part] = [c for c in zone.walk(part)]
        start = rule_part.decoded("dtstart")
        rule = rrulestr(rule_part["rrule"].to_ical().decode(), dtstart=start)
        before = rule_part.decoded("tzoffsetfrom")
        for change in rule.between(datetime(2026, 1, 1), datetime(2045, 12, 31)):
            # The change's local time is in the offset it changes from.
            moment = (change - before).replace(tzinfo=UTC)
            assert (moment - timedelta(minutes=1)).astimezone(LONDON).utcoffset() == before, change
            assert (moment + timedelta(minutes=1)).astimezone(LONDON).utcoffset() == offset, change
