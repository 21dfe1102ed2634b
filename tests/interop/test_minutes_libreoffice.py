"""The minutes laid out by LibreOffice (headless, into PDF) and read back with poppler's pdftotext: every page
is marked OFFICIAL-SENSITIVE at its top and its bottom and says "Page x of y" with the real y, which only a
program that lays pages out can show. Skipped where LibreOffice or pdftotext is not installed
(`apt-get install -y libreoffice-writer-nogui poppler-utils`)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pitstop.minutes import document
from pitstop.minutes.models import (
    Action,
    Attendee,
    Case,
    Decision,
    Information,
    Minutes,
    MinutesState,
    Person,
    Recipient,
)

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
pytestmark = [
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed"),
    pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed"),
]
STARTS = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
AGENCIES = ["Police", "Children's Social Care", "Health", "Education", "IDVA service"]


def meeting(cases: int, state: MinutesState) -> Minutes:
    """A meeting long enough to run over several pages."""
    items = []
    for number in range(1, cases + 1):
        reference = f"NF-26-{number:04d}"
        actions = [
            Action(
                id=number * 10 + i,
                police_reference=reference,
                item_number=number,
                description="Complete a child and family assessment and tell the school",
                owner_agency_id=i + 1,
                owner_agency_name=AGENCIES[i],
                owner_name="Sam Social",
                due_at=STARTS + timedelta(days=1),
                status="Open",
            )
            for i in range(3)
        ]
        items.append(
            Case(
                number=number,
                for_information=False,
                police_references=[reference],
                incident_at=STARTS - timedelta(hours=12),
                grade="High",
                reasons=["High grade", "Children present"],
                people=[
                    Person(role="Child", name=f"Child {number}", age="6 years"),
                    Person(role="Victim", name=f"Victim {number}", age="30 years"),
                ],
                carried_from=None,
                information=[
                    Information(
                        agency_id=a + 1,
                        agency_name=name,
                        knowledge="Known to our agency",
                        summary="Two referrals last year; the family worked with early help until March.",
                        source_system="Case system",
                        checked_at=STARTS - timedelta(hours=2),
                        restricted_to=[],
                        restricted_to_names=[],
                        third_party=False,
                        recorded_by_name="Alex Recorder",
                    )
                    for a, name in enumerate(AGENCIES)
                ],
                decision=Decision(
                    outcomes=["Section 47 enquiry"],
                    rationale="The children saw the assault.",
                    deferred=False,
                    regrade=None,
                    regrade_rationale=None,
                    marac_criterion=None,
                    dissents=[],
                    recorded_by_name="Chris Chair",
                ),
                actions=actions,
            )
        )
    return Minutes(
        partnership_name="Northfield Safeguarding Partnership",
        meeting_id=1,
        series_name="Northfield daily pitstop",
        starts_at=STARTS,
        ends_at=STARTS + timedelta(hours=1),
        place="MASH meeting room",
        chair_name="Chris Chair",
        minute_taker_name="Mo Minutes",
        version=2 if state is MinutesState.APPROVED else 1,
        state=state,
        approved_at=STARTS + timedelta(hours=5) if state is MinutesState.APPROVED else None,
        approved_by_name="Chris Chair" if state is MinutesState.APPROVED else None,
        correction_reason=None,
        drawn_at=STARTS + timedelta(hours=5),
        attendance=[
            Attendee(agency_id=i + 1, agency_name=n, status="Present", present_names="Someone", information_sent=True)
            for i, n in enumerate(AGENCIES)
        ],
        observers=[],
        confidentiality="What is shared here stays here.",
        review=[],
        cases=items,
        actions=[a for item in items for a in item.actions],
        distribution=[Recipient(agency_id=1, agency_name="Police", names=["Pat Police"])],
    )


def to_pdf_pages(tmp_path: Path, files: dict[str, bytes]) -> dict[str, list[list[str]]]:
    """Convert each .docx to PDF with one LibreOffice run; the non-blank lines of each page, by file."""
    for name, payload in files.items():
        (tmp_path / f"{name}.docx").write_bytes(payload)
    profile = tmp_path / "profile"  # a private profile: no clash with a running or concurrent LibreOffice
    subprocess.run(
        [
            SOFFICE,  # type: ignore[list-item]
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            *(str(tmp_path / f"{name}.docx") for name in files),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pages = {}
    for name in files:
        text = subprocess.run(
            [PDFTOTEXT, "-layout", str(tmp_path / f"{name}.pdf"), "-"],  # type: ignore[list-item]
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        # pdftotext ends each page with a form feed.
        pages[name] = [[line.strip() for line in page.splitlines() if line.strip()] for page in text.split("\f")[:-1]]
    return pages


def test_every_page_is_marked_top_and_bottom_and_numbered(tmp_path: Path) -> None:
    pages = to_pdf_pages(
        tmp_path,
        {
            "long": document.render(meeting(12, MinutesState.APPROVED)),
            "short": document.render(meeting(0, MinutesState.DRAFT)),
        },
    )
    long, short = pages["long"], pages["short"]
    assert len(long) > 3
    for name, version in (
        ("long", "Version 2, approved 26 November 2026"),
        ("short", "Version 1 DRAFT (not approved)"),
    ):
        for number, lines in enumerate(pages[name], start=1):
            assert lines[0] == "OFFICIAL-SENSITIVE", (name, number)
            assert lines[-1] == "OFFICIAL-SENSITIVE", (name, number)
            assert f"Page {number} of {len(pages[name])}" in lines, (name, number)
            assert version in lines, (name, number)
    assert "Minutes of Northfield daily pitstop" in long[0]
    first = short[0]
    assert first[first.index("Minutes of Northfield daily pitstop") + 1] == "DRAFT"
