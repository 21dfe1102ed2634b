"""The agenda's order with no database: why an item sits where it does, its score under a partnership's
weights, slotting new items into a hand-made order, and each item's time box."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pitstop.agenda.ordering import (
    DEFAULT_TIME_BOXES,
    DEFAULT_WEIGHTS,
    Facts,
    Reason,
    Rules,
    Slot,
    by_score,
    child_under_one,
    grade_of,
    parse_weights,
    reasons,
    score,
    slot_in,
    time_slots,
)
from pitstop.notifications.models import Grade

MEETING_DAY = date(2026, 6, 10)  # a Wednesday
EVERY_FACTOR = {
    "children_present": True,
    "child_dates_of_birth": (MEETING_DAY - timedelta(days=30),),
    "pregnancy": True,
    "strangulation": True,
    "weapons": True,
    "threats_to_kill": True,
    "potential_escalation": True,
}


def found(*facts: Facts, carried_over: bool = False, on: date = MEETING_DAY) -> list[Reason]:
    return reasons(facts, meeting_day=on, carried_over=carried_over)


# ---- reasons ------------------------------------------------------------------------------------


def test_a_plain_notification_is_there_for_its_grade_alone() -> None:
    """A notification with nothing else noted shows only its grade as the reason."""
    assert found(Facts(grade="medium")) == [Reason.GRADE_MEDIUM]
    assert found(Facts(grade="standard")) == [Reason.GRADE_STANDARD]
    assert found(Facts(grade="high")) == [Reason.GRADE_HIGH]


def test_the_grade_is_the_highest_of_the_items_notifications() -> None:
    """An item holding a standard, a high and a medium notification is high, and shows one grade only."""
    item = found(Facts(grade="standard"), Facts(grade="high"), Facts(grade="medium"))
    assert item == [Reason.GRADE_HIGH]
    assert grade_of(item) == "high"
    assert found(Facts(grade="standard"), Facts(grade="medium")) == [Reason.GRADE_MEDIUM]
    assert found(Facts(grade="standard"), Facts(grade="standard")) == [Reason.GRADE_STANDARD]


def test_the_grade_enum_reads_the_same_as_its_text() -> None:
    """The screened grade as stored (the Grade enum) gives the same reason as its plain text."""
    assert found(Facts(grade=Grade.MEDIUM), Facts(grade=Grade.HIGH)) == [Reason.GRADE_HIGH]
    assert found(Facts(grade=Grade.STANDARD)) == [Reason.GRADE_STANDARD]


def test_grade_of_reads_the_grade_back() -> None:
    """The grade shown beside an item is the one its reasons carry."""
    assert grade_of([Reason.IMMEDIATE_PROTECTION, Reason.GRADE_MEDIUM, Reason.WEAPONS]) == "medium"
    assert grade_of([Reason.GRADE_STANDARD, Reason.CARRIED_OVER]) == "standard"
    assert grade_of([Reason.GRADE_HIGH]) == "high"


@pytest.mark.parametrize(
    ("flag", "reason"),
    [
        ("immediate_protection", Reason.IMMEDIATE_PROTECTION),
        ("children_present", Reason.CHILDREN_PRESENT),
        ("pregnancy", Reason.PREGNANCY),
        ("strangulation", Reason.STRANGULATION),
        ("weapons", Reason.WEAPONS),
        ("threats_to_kill", Reason.THREATS_TO_KILL),
        ("potential_escalation", Reason.POTENTIAL_ESCALATION),
    ],
)
def test_each_noted_factor_is_a_reason(flag: str, reason: Reason) -> None:
    """Each factor noted on a notification appears as a reason, after the grade (immediate protection before it)."""
    got = found(Facts(grade="standard", **{flag: True}))
    expected = (
        [reason, Reason.GRADE_STANDARD] if reason is Reason.IMMEDIATE_PROTECTION else [Reason.GRADE_STANDARD, reason]
    )
    assert got == expected


def test_a_factor_on_any_of_the_items_notifications_counts() -> None:
    """A factor noted on only one of an item's notifications still counts for the item."""
    got = found(Facts(grade="high"), Facts(grade="standard", weapons=True), Facts(grade="medium"))
    assert got == [Reason.GRADE_HIGH, Reason.WEAPONS]


def test_carried_over_is_a_reason_only_when_carried_over() -> None:
    """An item brought forward from an earlier meeting says so; one that wasn't doesn't."""
    assert found(Facts(grade="medium"), carried_over=True) == [Reason.GRADE_MEDIUM, Reason.CARRIED_OVER]
    assert Reason.CARRIED_OVER not in found(Facts(grade="medium"), carried_over=False)
    assert Reason.CARRIED_OVER not in found(Facts(grade="medium"))


def test_reasons_come_in_domain_order_without_repeats() -> None:
    """Every reason, spread over notifications in the reverse order and some noted twice, reads in
    DOMAIN.md's order, each once."""
    facts = [
        Facts(grade="standard", potential_escalation=True, threats_to_kill=True, weapons=True),
        Facts(grade="medium", strangulation=True, pregnancy=True, weapons=True, threats_to_kill=True),
        Facts(
            grade="high",
            child_dates_of_birth=(MEETING_DAY - timedelta(days=10),),
            children_present=True,
            immediate_protection=True,
            pregnancy=True,
        ),
        Facts(grade="high", immediate_protection=True, children_present=True),
    ]
    got = reasons(facts, meeting_day=MEETING_DAY, carried_over=True)
    assert got == [
        Reason.IMMEDIATE_PROTECTION,
        Reason.GRADE_HIGH,
        Reason.CHILDREN_PRESENT,
        Reason.CHILD_UNDER_ONE,
        Reason.PREGNANCY,
        Reason.STRANGULATION,
        Reason.WEAPONS,
        Reason.THREATS_TO_KILL,
        Reason.POTENTIAL_ESCALATION,
        Reason.CARRIED_OVER,
    ]
    assert len(got) == len(set(got))


def test_every_reason_has_a_label() -> None:
    """Each reason shown beside an item has words a coordinator can read."""
    labels = [r.label for r in Reason]
    assert all(labels)
    assert len(set(labels)) == len(labels)
    assert Reason.CHILD_UNDER_ONE.label == "A child under one"


# ---- a child under one ----------------------------------------------------------------------------


def test_a_child_born_364_days_before_the_meeting_is_under_one() -> None:
    """A child one day short of their first birthday on the meeting's day counts."""
    born = MEETING_DAY - timedelta(days=364)
    assert born == date(2025, 6, 11)
    assert child_under_one([born], MEETING_DAY)
    assert Reason.CHILD_UNDER_ONE in found(Facts(grade="standard", child_dates_of_birth=(born,)))


def test_a_child_whose_first_birthday_is_the_meeting_day_is_not_under_one() -> None:
    """A child born exactly a year before the meeting is one year old on the day: not under one."""
    born = date(2025, 6, 10)
    assert not child_under_one([born], MEETING_DAY)
    assert Reason.CHILD_UNDER_ONE not in found(Facts(grade="standard", child_dates_of_birth=(born,)))


def test_a_child_born_on_the_meeting_day_is_under_one() -> None:
    """A baby born that very day counts."""
    assert child_under_one([MEETING_DAY], MEETING_DAY)


def test_a_child_born_on_29_february_turns_one_on_1_march() -> None:
    """Born 29 February 2024: still under one on 28 February 2025, one year old on 1 March 2025."""
    born = date(2024, 2, 29)
    assert child_under_one([born], date(2025, 2, 28))
    assert not child_under_one([born], date(2025, 3, 1))
    assert Reason.CHILD_UNDER_ONE in found(Facts(grade="high", child_dates_of_birth=(born,)), on=date(2025, 2, 28))
    assert Reason.CHILD_UNDER_ONE not in found(Facts(grade="high", child_dates_of_birth=(born,)), on=date(2025, 3, 1))


def test_a_child_turning_one_across_29_february_counts_the_leap_day() -> None:
    """Born 1 March 2023: still under one on 29 February 2024, one on 1 March 2024."""
    born = date(2023, 3, 1)
    assert child_under_one([born], date(2024, 2, 29))
    assert not child_under_one([born], date(2024, 3, 1))


def test_one_infant_among_older_children_counts() -> None:
    """A family with older children and one baby is flagged for the baby."""
    births = (date(2015, 1, 1), date(2020, 5, 5), MEETING_DAY - timedelta(days=100))
    assert child_under_one(births, MEETING_DAY)
    assert not child_under_one(births[:2], MEETING_DAY)
    assert not child_under_one([], MEETING_DAY)


def test_under_one_is_judged_on_the_meeting_day() -> None:
    """The same child counts at a meeting before their first birthday and not at one after it."""
    facts = Facts(grade="standard", child_dates_of_birth=(date(2025, 6, 20),))
    assert Reason.CHILD_UNDER_ONE in found(facts, on=date(2026, 6, 19))
    assert Reason.CHILD_UNDER_ONE not in found(facts, on=date(2026, 6, 20))


# ---- score --------------------------------------------------------------------------------------


def test_immediate_protection_at_standard_beats_high_with_every_other_factor() -> None:
    """With the default weights, immediate protection comes first whatever else the others carry."""
    urgent = found(Facts(grade="standard", immediate_protection=True))
    loaded = found(Facts(grade="high", **EVERY_FACTOR), carried_over=True)
    assert len(loaded) == len(Reason) - 3  # every reason but immediate protection and the two lower grades
    assert score(urgent, Rules()) > score(loaded, Rules())


def test_high_alone_beats_medium_with_every_factor_but_immediate_protection() -> None:
    """With the default weights one step of grade outweighs every later rule together."""
    high = found(Facts(grade="high"))
    medium = found(Facts(grade="medium", **EVERY_FACTOR), carried_over=True)
    assert score(high, Rules()) > score(medium, Rules())
    medium_alone = found(Facts(grade="medium"))
    standard = found(Facts(grade="standard", **EVERY_FACTOR), carried_over=True)
    assert score(medium_alone, Rules()) > score(standard, Rules())


def test_the_score_is_the_sum_of_the_reasons_weights() -> None:
    """An item's score adds up the weights of the rules it meets."""
    got = found(Facts(grade="medium", weapons=True, pregnancy=True), carried_over=True)
    expected = (
        DEFAULT_WEIGHTS[Reason.GRADE_MEDIUM]
        + DEFAULT_WEIGHTS[Reason.WEAPONS]
        + DEFAULT_WEIGHTS[Reason.PREGNANCY]
        + DEFAULT_WEIGHTS[Reason.CARRIED_OVER]
    )
    assert score(got, Rules()) == expected


def test_a_partnerships_weights_change_the_order() -> None:
    """A partnership that weights children present above a grade step sees medium-with-children above high."""
    medium_with_children = found(Facts(grade="medium", children_present=True))
    high = found(Facts(grade="high"))
    assert score(high, Rules()) > score(medium_with_children, Rules())
    rules = Rules(weights={Reason.CHILDREN_PRESENT: 5_000})
    assert score(medium_with_children, rules) > score(high, rules)


def test_a_weight_left_unset_takes_its_default() -> None:
    """A partnership's table missing a rule scores that rule at its default weight."""
    rules = Rules(weights={Reason.WEAPONS: 7})
    assert rules.weight(Reason.WEAPONS) == 7
    assert rules.weight(Reason.GRADE_HIGH) == DEFAULT_WEIGHTS[Reason.GRADE_HIGH]
    assert score([Reason.GRADE_HIGH, Reason.WEAPONS], rules) == DEFAULT_WEIGHTS[Reason.GRADE_HIGH] + 7


def test_a_zero_weight_switches_a_rule_off() -> None:
    """A partnership that sets carried-over to 0 no longer lifts carried-over items."""
    rules = Rules(weights={Reason.CARRIED_OVER: 0})
    carried = found(Facts(grade="medium"), carried_over=True)
    fresh = found(Facts(grade="medium"))
    assert score(carried, rules) == score(fresh, rules)
    assert score(carried, Rules()) > score(fresh, Rules())


def test_time_boxes_default_by_grade_and_follow_the_partnership() -> None:
    """Minutes per item come from the grade; a partnership's own box replaces the default."""
    assert Rules().time_box("high") == DEFAULT_TIME_BOXES["high"]
    assert Rules().time_box("standard") == DEFAULT_TIME_BOXES["standard"]
    rules = Rules(time_boxes={"high": 12})
    assert rules.time_box("high") == 12
    assert rules.time_box("medium") == DEFAULT_TIME_BOXES["medium"]


def test_partnership_rules_do_not_share_the_default_tables() -> None:
    """Two partnerships' rules start from separate copies of the defaults."""
    one, other = Rules(), Rules()
    one.weights[Reason.WEAPONS] = 1
    one.time_boxes["high"] = 1
    assert other.weight(Reason.WEAPONS) == DEFAULT_WEIGHTS[Reason.WEAPONS] == 100
    assert other.time_box("high") == 8


# ---- by score and slotting in ---------------------------------------------------------------------


def test_by_score_runs_from_the_highest_score_down() -> None:
    """The agenda runs from the highest score to the lowest."""
    assert by_score([(1, 1000), (2, 11_000), (3, 3000), (4, 2050)]) == [2, 3, 4, 1]


def test_by_score_keeps_the_order_they_came_in_for_equal_scores() -> None:
    """Items scoring the same stay oldest first."""
    assert by_score([(5, 2000), (3, 3000), (9, 2000), (1, 2000), (7, 3000)]) == [3, 7, 5, 9, 1]
    assert by_score([]) == []


def test_slot_in_puts_a_new_item_before_the_first_lower_scoring_one() -> None:
    """A new item lands just above the first item that scores lower, after those that score the same."""
    current = [(1, 3000), (2, 2000), (3, 1000)]
    assert slot_in(current, [(4, 2500)]) == [1, 4, 2, 3]
    assert slot_in(current, [(4, 2000)]) == [1, 2, 4, 3]
    assert slot_in(current, [(4, 11_000)]) == [4, 1, 2, 3]
    assert slot_in(current, [(4, 500)]) == [1, 2, 3, 4]
    assert slot_in(current, [(4, 1000)]) == [1, 2, 3, 4]


def test_slot_in_keeps_a_hand_made_order_that_is_not_by_score() -> None:
    """A coordinator's own order stays as it is; the new item goes before the first item scoring lower
    than it, wherever that is."""
    hand_made = [(2, 3000), (1, 1000), (3, 2000)]
    assert slot_in(hand_made, [(4, 1500)]) == [2, 4, 1, 3]
    assert slot_in(hand_made, [(4, 2500)]) == [2, 4, 1, 3]
    assert slot_in(hand_made, [(4, 500)]) == [2, 1, 3, 4]
    low_first = [(1, 1000), (2, 3000), (3, 2000)]
    assert slot_in(low_first, [(4, 2500)]) == [4, 1, 2, 3]


def test_slot_in_places_several_new_items() -> None:
    """Several new items each find their place; the hand-made order of the rest is untouched."""
    current = [(1, 3000), (2, 2000), (3, 1000)]
    assert slot_in(current, [(5, 1500), (6, 2500), (7, 2500)]) == [1, 6, 7, 2, 5, 3]
    assert slot_in(current, [(7, 2500), (6, 2500)]) == [1, 7, 6, 2, 3]
    hand_made = [(3, 1000), (1, 3000), (2, 2000)]
    placed = slot_in(hand_made, [(8, 500), (9, 3500)])
    assert placed == [9, 3, 1, 2, 8]
    assert [i for i in placed if i in {1, 2, 3}] == [3, 1, 2]


def test_slot_in_with_nothing_new_or_nothing_yet() -> None:
    """No new items leaves the order alone; an empty agenda takes the new items by score."""
    assert slot_in([(2, 1000), (1, 3000)], []) == [2, 1]
    assert slot_in([], [(1, 1000), (2, 3000), (3, 3000)]) == [2, 3, 1]


# ---- time slots ---------------------------------------------------------------------------------


def test_time_slots_start_where_the_last_item_ended() -> None:
    """Each item starts when the items before it have had their minutes."""
    slots = time_slots([8, 5, 3, 8], 60)
    assert [s.starts_after for s in slots] == [0, 8, 13, 16]
    assert [s.minutes for s in slots] == [8, 5, 3, 8]
    assert not any(s.overrun for s in slots)


def test_only_items_ending_after_the_meeting_overrun() -> None:
    """An item ending exactly at the meeting's length fits; the ones ending later are flagged."""
    assert time_slots([8, 5, 3], 16) == [
        Slot(starts_after=0, minutes=8, overrun=False),
        Slot(starts_after=8, minutes=5, overrun=False),
        Slot(starts_after=13, minutes=3, overrun=False),
    ]
    assert [s.overrun for s in time_slots([8, 5, 3], 15)] == [False, False, True]
    assert [s.overrun for s in time_slots([8, 5, 3, 3], 12)] == [False, True, True, True]


def test_an_item_starting_inside_but_ending_after_overruns() -> None:
    """An item that starts before the end but runs past it is flagged."""
    [first, second] = time_slots([10, 10], 15)
    assert not first.overrun
    assert second.starts_after == 10
    assert second.overrun


def test_no_items_no_slots() -> None:
    assert time_slots([], 60) == []


# ---- stored weights -----------------------------------------------------------------------------


def test_parse_weights_fills_every_rule_from_the_defaults() -> None:
    """Nothing stored: the full default table."""
    assert parse_weights({}) == DEFAULT_WEIGHTS
    assert set(parse_weights({})) == set(Reason)


def test_parse_weights_takes_stored_whole_numbers() -> None:
    """A stored weight replaces the default for its rule and leaves the others alone."""
    got = parse_weights({"weapons": 5, "grade_high": 9000})
    assert got[Reason.WEAPONS] == 5
    assert got[Reason.GRADE_HIGH] == 9000
    assert {r: w for r, w in got.items() if r not in {Reason.WEAPONS, Reason.GRADE_HIGH}} == {
        r: w for r, w in DEFAULT_WEIGHTS.items() if r not in {Reason.WEAPONS, Reason.GRADE_HIGH}
    }
    assert all(isinstance(r, Reason) for r in got)


def test_parse_weights_ignores_unknown_keys_and_non_whole_numbers() -> None:
    """Stray or malformed entries in the stored table fall back to the defaults and add no rules."""
    got = parse_weights(
        {
            "nonsense": 7,
            "WEAPONS": 1,  # the member's name, not its stored value
            "threats_to_kill": "9",
            "pregnancy": 1.5,
            "strangulation": None,
            "children_present": [200],
        }
    )
    assert got == DEFAULT_WEIGHTS
    assert set(got) == set(Reason)


def test_parse_weights_does_not_change_the_defaults() -> None:
    """One partnership's stored weights leave the defaults for everyone else untouched."""
    before = dict(DEFAULT_WEIGHTS)
    got = parse_weights({"weapons": 1})
    got[Reason.GRADE_HIGH] = 2
    assert before == DEFAULT_WEIGHTS
