"""An agency's copy of the minutes: the full minutes cut to what that agency may see.

Shared information, every decision, and its own actions in full; its own records whatever their marking;
never another agency's restricted information (unless restricted to it), never another agency's
third-party information (which is not to be passed on beyond the meeting: the copy says it was shared,
not what it said), never another agency's actions. What is "not for the minutes" is in no copy: the
snapshot never holds it.
"""

from __future__ import annotations

import msgspec

from pitstop.minutes.models import Action, Case, Information, Minutes


def may_see(agency_id: int, record: Information) -> bool:
    if record.agency_id == agency_id:
        return True
    if record.restricted_to and agency_id not in record.restricted_to:
        return False
    return not record.third_party


def _withheld_third_party(agency_id: int, records: list[Information]) -> list[str]:
    """Agencies whose third-party information this copy leaves out (it was shared with this agency at the
    meeting, so the copy may say it exists)."""
    return sorted(
        {
            r.agency_name
            for r in records
            if r.agency_id != agency_id and r.third_party and (not r.restricted_to or agency_id in r.restricted_to)
        }
    )


def _own(agency_id: int, actions: list[Action]) -> list[Action]:
    return [a for a in actions if a.owner_agency_id == agency_id]


def _case(agency_id: int, case: Case) -> Case:
    return msgspec.structs.replace(
        case,
        information=[r for r in case.information if may_see(agency_id, r)],
        third_party_withheld=_withheld_third_party(agency_id, case.information),
        actions=_own(agency_id, case.actions),
    )


def for_agency(full: Minutes, agency_id: int, agency_name: str) -> Minutes:
    """The copy of `full` for one agency."""
    return msgspec.structs.replace(
        full,
        review=_own(agency_id, full.review),
        cases=[_case(agency_id, c) for c in full.cases],
        actions=_own(agency_id, full.actions),
        copy_for_agency_id=agency_id,
        copy_for_agency_name=agency_name,
    )
