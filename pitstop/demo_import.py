"""The demo partnership reads its force's extract layout (shared/samples/police-extract-example.csv)."""

from __future__ import annotations

import asyncpg
import msgspec

from pitstop.notifications.imports import queries
from pitstop.notifications.imports.extract import ImportMapping
from pitstop.notifications.models import PersonRole

# Northfield Police's headers for each of Pitstop's fields, and the force's word for a suspect.
NORTHFIELD_MAPPING = ImportMapping(
    columns={
        "police_reference": "Occurrence No",
        "received_at": "Date/Time Reported",
        "incident_at": "Date/Time of Incident",
        "address": "Address",
        "postcode": "Postcode",
        "council_area": "LA",
        "circumstances": "Brief Circumstances",
        "risk.tool": "Risk Tool",
        "risk.grade": "Risk Level",
        "risk.yes_count": "DASH Score",
        "previous_incidents_12m": "Previous DA Incidents (12m)",
        "injuries": "Injuries Y/N",
        "weapons": "Weapons Y/N",
        "strangulation": "Strangulation Y/N",
        "alcohol_or_drugs": "Alcohol/Drugs Y/N",
        "arrest_made": "Arrest Y/N",
        "no_arrest_reason": "Reason No Arrest",
        "consent_to_share": "Consent to Share Y/N",
        "victim_aware": "Victim Aware of Referral Y/N",
        "safe_contact_notes": "Safe Contact",
        "people.role": "Role",
        "people.family_name": "Surname",
        "people.given_names": "Forename(s)",
        "people.date_of_birth": "DOB",
        "people.sex": "Gender",
        "people.ethnicity": "Ethnicity Code",
        "people.relationship": "Relationship",
        "people.ordinarily_resident": "Ordinarily Resides Y/N",
        "people.school": "School/Nursery",
        "people.gp_or_health_visitor": "GP/HV",
        "people.present": "Present Y/N",
        "people.witnessed": "Witnessed Y/N",
        "people.injured": "Injured Y/N",
    },
    roles={"Suspect": PersonRole.ALLEGED_PERPETRATOR},
    withheld_address=["address withheld"],
)


async def ensure_mapping(conn: asyncpg.Connection, partnership_id: int) -> bool:
    """Give the partnership the Northfield mapping unless it has one; True if it was added."""
    saved = await queries.save_mapping(conn, partnership_id, msgspec.to_builtins(NORTHFIELD_MAPPING), 0, None)
    return saved is not None
