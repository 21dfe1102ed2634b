"""The minutes document (pitstop.minutes.document) read back with docx2python, which is not python-docx (the
writer), plus the package's XML through zipfile for what a text reader does not show: field codes, repeating
header rows, table styles, and the section's header and footer references.

One meeting of 60 cases and 200 actions rendered in about 0.4 s into a 50 kB file on the 2-core development
machine (see the report with the change); no timings are asserted here.
"""

from __future__ import annotations

import io
import multiprocessing
import pickle
import re
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from xml.etree import ElementTree

import msgspec
import pytest
from docx2python import docx2python
from docx2python.iterators import iter_paragraphs

from pitstop.minutes import document
from pitstop.minutes.models import (
    Action,
    Attendee,
    Case,
    Decision,
    Dissent,
    Information,
    Minutes,
    MinutesState,
    Observer,
    Person,
    Recipient,
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
POLICE, CARE, HEALTH, EDUCATION, IDVA = 1, 2, 3, 4, 5
AGENCIES = {
    POLICE: "Police",
    CARE: "Children's Social Care",
    HEALTH: "Health",
    EDUCATION: "Education",
    IDVA: "IDVA service",
}
# British Summer Time: 08:30 UTC is 09:30 in London.
STARTS = datetime(2026, 6, 11, 8, 30, tzinfo=UTC)


def action(
    number: int | None, reference: str, what: str, agency: int, person: str | None, due: datetime, status: str = "Open"
) -> Action:
    return Action(
        id=abs(hash((reference, what))) % 10_000,
        police_reference=reference,
        item_number=number,
        description=what,
        owner_agency_id=agency,
        owner_agency_name=AGENCIES[agency],
        owner_name=person,
        due_at=due,
        status=status,
    )


def information(agency: int, knowledge: str, summary: str | None, **changes: object) -> Information:
    values: dict[str, object] = {
        "agency_id": agency,
        "agency_name": AGENCIES[agency],
        "knowledge": knowledge,
        "summary": summary,
        "source_system": None,
        "checked_at": None,
        "restricted_to": [],
        "restricted_to_names": [],
        "third_party": False,
        "recorded_by_name": "Alex Recorder",
    }
    values.update(changes)
    return Information(**values)  # type: ignore[arg-type]


ONE_ACTIONS = [
    action(1, "NF-26-0101", "Strategy discussion today", CARE, "Sam Social", datetime(2026, 6, 11, 15, 0, tzinfo=UTC)),
    action(1, "NF-26-0101", "Tell Ruby's school", EDUCATION, "Eve Educator", datetime(2026, 6, 12, 7, 30, tzinfo=UTC)),
]
TWO_ACTIONS = [
    action(2, "NF-26-0105", "Housing check on the address", POLICE, None, datetime(2026, 6, 12, 16, 0, tzinfo=UTC)),
]
CASES = [
    Case(
        number=1,
        for_information=False,
        police_references=["NF-26-0101", "NF-26-0099"],
        incident_at=datetime(2026, 6, 10, 22, 40, tzinfo=UTC),  # 23:40 in London
        grade="High",
        reasons=["High grade", "Children present", "Strangulation"],
        people=[
            Person(role="Child", name="Ruby Stone", age="4 years", notes="Present, witnessed; Northfield Primary"),
            Person(role="Child", name="Leo Stone", age="15 months"),
            Person(role="Victim", name="Jane Stone", age="29 years"),
            Person(role="Alleged perpetrator", name="Mark Stone", age="31 years"),
        ],
        carried_from=None,
        information=[
            information(
                POLICE,
                "Known to our agency",
                "Two earlier call-outs this year.",
                source_system="Niche",
                checked_at=datetime(2026, 6, 11, 6, 5, tzinfo=UTC),
            ),
            information(
                HEALTH,
                "Known to our agency",
                "Victim disclosed to her GP in May.",
                restricted_to=[HEALTH, CARE],
                restricted_to_names=["Health", "Children's Social Care"],
            ),
            information(EDUCATION, "Known to our agency", "A neighbour told the school of shouting.", third_party=True),
            information(IDVA, "No trace on our systems", None, carried_from=date(2026, 6, 10)),
        ],
        decision=Decision(
            outcomes=["Section 47 enquiry", "Operation Encompass notice"],
            rationale="Children witnessed a strangulation.",
            deferred=False,
            regrade=None,
            regrade_rationale=None,
            marac_criterion="Visible high risk",
            dissents=[Dissent(agency_name="Health", reason="A strategy discussion should come first.")],
            recorded_by_name="Chris Chair",
        ),
        actions=ONE_ACTIONS,
    ),
    Case(
        number=2,
        for_information=False,
        police_references=["NF-26-0105"],
        incident_at=None,
        grade="Medium",
        reasons=["Carried over: deferred"],
        people=[Person(role="Victim", name="Ann Field", age="44 years")],
        carried_from=date(2026, 6, 10),
        information=[],
        decision=Decision(
            outcomes=[],
            rationale="Waiting on housing's information.",
            deferred=True,
            regrade="High",
            regrade_rationale="Threats to kill disclosed.",
            marac_criterion=None,
            dissents=[],
            recorded_by_name="Chris Chair",
        ),
        actions=TWO_ACTIONS,
    ),
    Case(
        number=1,  # items for information are numbered apart, as the agenda numbers them
        for_information=True,
        police_references=["NF-26-0110"],
        incident_at=datetime(2026, 6, 9, 12, 0, tzinfo=UTC),
        grade="Standard",
        reasons=["Open case: allocated worker"],
        people=[],
        carried_from=None,
        information=[],
        decision=None,
        actions=[],
    ),
]
REVIEWED = action(
    None, "NF-26-0042", "Send the GP letter", HEALTH, "Hana Health", datetime(2026, 6, 9, 16, 0, tzinfo=UTC), "Done"
)
DRAFT = Minutes(
    partnership_name="Northfield Safeguarding Partnership",
    meeting_id=7,
    series_name="Northfield daily pitstop",
    starts_at=STARTS,
    ends_at=datetime(2026, 6, 11, 10, 0, tzinfo=UTC),
    place="MASH meeting room",
    chair_name="Chris Chair",
    minute_taker_name="Mo Minutes",
    version=1,
    state=MinutesState.DRAFT,
    approved_at=None,
    approved_by_name=None,
    correction_reason=None,
    drawn_at=datetime(2026, 6, 11, 11, 0, tzinfo=UTC),
    attendance=[
        Attendee(
            agency_id=POLICE, agency_name="Police", status="Present", present_names="Pat Police", information_sent=True
        ),
        Attendee(
            agency_id=CARE,
            agency_name=AGENCIES[CARE],
            status="Present",
            present_names="Sam Social",
            information_sent=True,
        ),
        Attendee(agency_id=HEALTH, agency_name="Health", status="Apologies", present_names=None, information_sent=True),
        Attendee(
            agency_id=EDUCATION, agency_name="Education", status="Apologies", present_names=None, information_sent=False
        ),
        Attendee(
            agency_id=IDVA,
            agency_name=AGENCIES[IDVA],
            status="Present",
            present_names="Ivy Advocate",
            information_sent=False,
        ),
    ],
    observers=[
        Observer(name="Olive Observer", organisation="University of Northfield", statement_signed=True),
        Observer(name="Nat Newcomer", organisation=None, statement_signed=False),
    ],
    confidentiality="What is shared here stays here.\nIt is shared only to keep people safe.",
    review=[msgspec.structs.replace(REVIEWED, completion_note="Letter sent")],
    cases=CASES,
    actions=[*ONE_ACTIONS, *TWO_ACTIONS],
    distribution=[
        Recipient(agency_id=POLICE, agency_name="Police", names=["Pat Police", "Paul Constable"]),
        Recipient(agency_id=CARE, agency_name=AGENCIES[CARE], names=["Sam Social"]),
        Recipient(agency_id=HEALTH, agency_name="Health", names=[]),
    ],
)
APPROVED = msgspec.structs.replace(
    DRAFT,
    version=2,
    state=MinutesState.APPROVED,
    approved_at=datetime(2026, 6, 11, 23, 30, tzinfo=UTC),  # already 12 June in London
    approved_by_name="Chris Chair",
    correction_reason="Health's dissent was missing.",
)
COPY = msgspec.structs.replace(APPROVED, copy_for_agency_id=CARE, copy_for_agency_name=AGENCIES[CARE])


@dataclass(frozen=True)
class Read:
    paragraphs: list[tuple[str, str]]  # (style id, text), body paragraphs in order, table cells included
    tables: list[list[list[str]]]  # real tables only: rows of cell texts
    headers: list[str]  # the text of each header part
    footers: list[str]
    properties: dict[str, str | None]
    parts: dict[str, bytes]  # the package's XML parts

    @property
    def text(self) -> str:
        return "\n".join(text for _, text in self.paragraphs)

    def table(self, first_header: str) -> list[list[str]]:
        """The first table whose header row starts with `first_header`."""
        return next(t for t in self.tables if t[0][0] == first_header)

    def after(self, text: str) -> list[str]:
        """The paragraphs that follow the first paragraph equal to `text`."""
        texts = [t for _, t in self.paragraphs]
        return texts[texts.index(text) + 1 :]

    def under(self, heading: str) -> list[str]:
        """The paragraphs that follow the first heading that says `heading` (a table cell may say it too)."""
        start = next(i for i, (style, t) in enumerate(self.paragraphs) if style.startswith("Heading") and t == heading)
        return [t for _, t in self.paragraphs[start + 1 :]]


def read(payload: bytes) -> Read:
    with docx2python(io.BytesIO(payload)) as content:
        paragraphs = [(p.style, "".join(p.run_strings)) for p in iter_paragraphs(content.body_pars)]
        # docx2python wraps text outside tables as one-cell "tables"; a real one has a header row and rows.
        tables = [
            [["\n".join(cell) for cell in row] for row in table]
            for table in content.body
            if len(table) > 1 or len(table[0]) > 1
        ]
        headers = ["\n".join(iter_strings(part)) for part in content.header]
        footers = ["\n".join(iter_strings(part)) for part in content.footer]
        properties = content.core_properties
    with zipfile.ZipFile(io.BytesIO(payload)) as package:
        parts = {name: package.read(name) for name in package.namelist() if name.endswith((".xml", ".rels"))}
    return Read(paragraphs, tables, headers, footers, properties, parts)


def iter_strings(nested: object) -> list[str]:
    if isinstance(nested, str):
        return [nested] if nested else []
    return [text for item in nested for text in iter_strings(item)]  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def draft() -> Read:
    return read(document.render(DRAFT))


@pytest.fixture(scope="module")
def approved() -> Read:
    return read(document.render(APPROVED))


@pytest.fixture(scope="module")
def copy() -> Read:
    return read(document.render(COPY))


def xml(read: Read, name: str) -> ElementTree.Element:
    return ElementTree.fromstring(read.parts[name])


# ---------------------------------------------------------------------------------------------- every page


def test_every_header_and_footer_is_marked_official_sensitive(draft: Read) -> None:
    assert draft.headers
    assert draft.footers
    for text in draft.headers + draft.footers:
        assert "OFFICIAL-SENSITIVE" in text


def test_every_section_prints_the_same_header_and_footer_on_every_page_first_included(draft: Read) -> None:
    body = xml(draft, "word/document.xml")
    relationships = {rel.get("Id"): rel.get("Target") for rel in xml(draft, "word/_rels/document.xml.rels")}
    sections = list(body.iter(f"{W}sectPr"))
    assert sections
    for section in sections:
        # No different first page, so the default header and footer are the first page's too.
        assert section.find(f"{W}titlePg") is None
        for kind in ("headerReference", "footerReference"):
            references = {ref.get(f"{W}type"): ref.get(f"{R}id") for ref in section.iter(f"{W}{kind}")}
            assert "default" in references
            for rel_id in references.values():
                assert b"OFFICIAL-SENSITIVE" in draft.parts[f"word/{relationships[rel_id]}"]
    assert xml(draft, "word/settings.xml").find(f"{W}evenAndOddHeaders") is None


def test_footer_counts_pages_with_page_and_numpages_fields(draft: Read) -> None:
    (footer,) = [name for name in draft.parts if re.fullmatch(r"word/footer\d*\.xml", name)]
    root = xml(draft, footer)
    instructions = [instr.text.split()[0] for instr in root.iter(f"{W}instrText") if instr.text]
    assert instructions == ["PAGE", "NUMPAGES"]
    kinds = [c.get(f"{W}fldCharType") for c in root.iter(f"{W}fldChar")]
    assert kinds == ["begin", "separate", "end"] * 2
    # The cached results, for readers that do not lay pages out.
    assert re.search(r"Page \d+ of \d+", draft.footers[0])


def test_footer_says_the_version_and_its_status(draft: Read, approved: Read) -> None:
    assert "Version 1 DRAFT (not approved)" in draft.footers[0]
    assert "Version 2, approved 12 June 2026" in approved.footers[0]


# ---------------------------------------------------------------------------------------------- title block


def test_a_draft_says_draft_beside_its_title(draft: Read) -> None:
    titles = [text for style, text in draft.paragraphs if style == "Title"]
    assert titles == ["Minutes of Northfield daily pitstop"]
    assert draft.after(titles[0])[0] == "DRAFT"
    assert draft.paragraphs[0][1] == "Northfield Safeguarding Partnership"


def test_an_approved_version_says_its_version_approval_and_what_it_replaces(approved: Read) -> None:
    near_title = approved.after("Minutes of Northfield daily pitstop")[:3]
    assert near_title[0] == "Version 2, approved 12 June 2026 by Chris Chair"
    assert near_title[1] == "This version replaces version 1: Health's dissent was missing."
    assert "DRAFT" not in approved.text
    assert "Copy for" not in approved.text


def test_meeting_details_are_in_london_time(draft: Read) -> None:
    lines = draft.after("DRAFT")
    for expected in (
        "Date: Thursday 11 June 2026",
        "Time: 09:30 to 11:00",
        "Place: MASH meeting room",
        "Chair: Chris Chair",
        "Minute-taker: Mo Minutes",
    ):
        assert expected in lines[:7]


def test_an_agency_copy_says_whose_it_is(copy: Read) -> None:
    assert "Copy for Children's Social Care: holds only what Children's Social Care may see" in copy.text
    assert "Copy for Children's Social Care" in copy.footers[0]
    assert (
        copy.properties["title"] == "Minutes: Northfield daily pitstop, 11 June 2026 (copy for Children's Social Care)"
    )


# ---------------------------------------------------------------------------------------------- structure


def test_headings_are_real_headings_in_order(draft: Read) -> None:
    headings = [(style, text) for style, text in draft.paragraphs if style.startswith("Heading")]
    per_item = [
        ("Heading3", "People"),
        ("Heading3", "Agency information"),
        ("Heading3", "Decision"),
        ("Heading3", "Actions"),
    ]
    assert headings == [
        ("Heading1", "Attendance"),
        ("Heading2", "Observers"),
        ("Heading2", "Apologies"),
        ("Heading1", "Confidentiality"),
        ("Heading1", "Review of actions from earlier meetings"),
        ("Heading1", "Items discussed"),
        ("Heading2", "Item 1: NF-26-0101, NF-26-0099"),
        *per_item,
        ("Heading2", "Item 2: NF-26-0105"),
        *per_item,
        ("Heading1", "Items for information"),
        ("Heading2", "For information 1: NF-26-0110"),
        *per_item,
        ("Heading1", "All actions agreed at this meeting"),
        ("Heading1", "Distribution"),
    ]


def test_every_table_has_borders_and_a_header_row_that_repeats(draft: Read) -> None:
    body = xml(draft, "word/document.xml")
    tables = list(body.iter(f"{W}tbl"))
    # Attendance, observers, review, two items' people and actions, and all actions.
    assert len(tables) == len(draft.tables) == 8
    for table in tables:
        assert table.find(f"{W}tblPr/{W}tblStyle").get(f"{W}val") == "TableGrid"
        rows = table.findall(f"{W}tr")
        assert rows[0].find(f"{W}trPr/{W}tblHeader") is not None
        assert all(row.find(f"{W}trPr/{W}tblHeader") is None for row in rows[1:])
    styles = xml(draft, "word/styles.xml")
    grid = next(s for s in styles.iter(f"{W}style") if s.get(f"{W}styleId") == "TableGrid")
    assert grid.find(f"{W}tblPr/{W}tblBorders/{W}insideH").get(f"{W}val") == "single"


def test_page_is_a4_and_normal_text_is_arial_11(draft: Read) -> None:
    size = next(xml(draft, "word/document.xml").iter(f"{W}pgSz"))
    assert (int(size.get(f"{W}w")), int(size.get(f"{W}h"))) == (11906, 16838)  # 210 x 297 mm in twips
    styles = xml(draft, "word/styles.xml")
    normal = next(s for s in styles.iter(f"{W}style") if s.get(f"{W}styleId") == "Normal")
    assert normal.find(f"{W}rPr/{W}rFonts").get(f"{W}ascii") == "Arial"
    assert normal.find(f"{W}rPr/{W}sz").get(f"{W}val") == "22"  # half-points


# ---------------------------------------------------------------------------------------------- attendance


def test_attendance_table_lists_each_agency(draft: Read) -> None:
    assert draft.table("Agency") == [
        ["Agency", "Attendance", "Who", "Information sent in advance"],
        ["Police", "Present", "Pat Police", "Yes"],
        ["Children's Social Care", "Present", "Sam Social", "Yes"],
        ["Health", "Apologies", "", "Yes"],
        ["Education", "Apologies", "", "No"],
        ["IDVA service", "Present", "Ivy Advocate", "No"],
    ]


def test_observers_and_apologies(draft: Read) -> None:
    assert draft.table("Name") == [
        ["Name", "Organisation", "Confidentiality statement signed"],
        ["Olive Observer", "University of Northfield", "Yes"],
        ["Nat Newcomer", "", "No"],
    ]
    assert draft.under("Apologies")[:2] == [
        "Health (information sent in advance: yes)",
        "Education (information sent in advance: no)",
    ]


def test_confidentiality_statement_and_review_of_earlier_actions(draft: Read) -> None:
    assert draft.under("Confidentiality")[:2] == [
        "What is shared here stays here.",
        "It is shared only to keep people safe.",
    ]
    assert draft.table("Police reference") == [
        ["Police reference", "Action", "Agency", "Person", "Due", "Status"],
        ["NF-26-0042", "Send the GP letter", "Health", "Hana Health", "9 Jun 2026 17:00", "Done: Letter sent"],
    ]


def test_no_actions_to_review_is_said_in_words() -> None:
    empty = read(document.render(msgspec.structs.replace(DRAFT, review=[])))
    assert empty.under("Review of actions from earlier meetings")[0] == (
        "There were no actions from earlier meetings to review."
    )


# ---------------------------------------------------------------------------------------------- cases


def test_an_item_gives_incident_grade_reasons_and_people_children_first(draft: Read) -> None:
    lines = draft.under("Item 1: NF-26-0101, NF-26-0099")
    assert lines[:6] == [
        "Incident: 10 June 2026, 23:40",
        "Grade: High",
        "Why it was on the agenda:",
        "High grade",
        "Children present",
        "Strangulation",
    ]
    assert draft.table("Role") == [
        ["Role", "Name", "Age", "Notes"],
        ["Child", "Ruby Stone", "4 years", "Present, witnessed; Northfield Primary"],
        ["Child", "Leo Stone", "15 months", ""],
        ["Victim", "Jane Stone", "29 years", ""],
        ["Alleged perpetrator", "Mark Stone", "31 years", ""],
    ]


def test_agency_information_with_restricted_third_party_and_carried_marks(draft: Read) -> None:
    lines = draft.under("Agency information")
    assert lines[:3] == [
        "Police: Known to our agency",
        "Two earlier call-outs this year.",
        "Checked on Niche, 11 June 2026, 07:05. Recorded by Alex Recorder.",
    ]
    health = draft.after("Health: Known to our agency")
    assert health[:2] == ["Restricted to: Health, Children's Social Care", "Victim disclosed to her GP in May."]
    education = draft.after("Education: Known to our agency")
    assert education[:2] == ["Third-party information: not to be passed on", "A neighbour told the school of shouting."]
    idva = draft.after("IDVA service: No trace on our systems")
    assert idva[:2] == ["Recorded for the meeting of 10 June 2026", "Recorded by Alex Recorder."]
    # Only the marked ones are marked.
    assert draft.text.count("Restricted to:") == 1
    assert draft.text.count("Third-party information") == 1


def test_decision_with_outcomes_rationale_and_dissent(draft: Read) -> None:
    decision = draft.under("Decision")
    assert decision[: decision.index("Actions")] == [
        "Outcomes:",
        "Section 47 enquiry",
        "Operation Encompass notice",
        "Rationale: Children witnessed a strangulation.",
        "MARAC criterion: Visible high risk",
        "Dissent from Health: A strategy discussion should come first.",
        "Recorded by Chris Chair.",
    ]


def test_a_deferred_item_with_a_regrade_and_its_carried_note(draft: Read) -> None:
    item = draft.under("Item 2: NF-26-0105")
    assert "Carried from the meeting of 10 June 2026." in item[:8]
    assert "Incident: Not recorded" in item
    decision = item[item.index("Decision") + 1 :]
    assert decision[:4] == [
        "Deferred to the next meeting.",
        "Rationale: Waiting on housing's information.",
        "Re-graded to: High",
        "Re-grade rationale: Threats to kill disclosed.",
    ]


def test_an_item_for_information_without_decision_or_actions(draft: Read) -> None:
    item = draft.under("For information 1: NF-26-0110")
    assert item[0] == "For information: routed to the allocated worker."
    assert item[item.index("Decision") + 1] == "No decision recorded."
    assert item[item.index("Actions") + 1] == "No actions."
    assert item[item.index("People") + 1] == "No people recorded."


def test_item_actions_table(draft: Read) -> None:
    item_tables = [t for t in draft.tables if t[0] == ["What", "Agency", "Person", "Due"]]
    assert item_tables == [
        [
            ["What", "Agency", "Person", "Due"],
            ["Strategy discussion today", "Children's Social Care", "Sam Social", "11 Jun 2026 16:00"],
            ["Tell Ruby's school", "Education", "Eve Educator", "12 Jun 2026 08:30"],
        ],
        [
            ["What", "Agency", "Person", "Due"],
            ["Housing check on the address", "Police", "", "12 Jun 2026 17:00"],
        ],
    ]


# ---------------------------------------------------------------------------------------------- the end


def test_all_actions_table_and_distribution(draft: Read) -> None:
    assert draft.table("Item") == [
        ["Item", "Police reference", "What", "Agency", "Person", "Due", "Status"],
        [
            "1",
            "NF-26-0101",
            "Strategy discussion today",
            "Children's Social Care",
            "Sam Social",
            "11 Jun 2026 16:00",
            "Open",
        ],
        ["1", "NF-26-0101", "Tell Ruby's school", "Education", "Eve Educator", "12 Jun 2026 08:30", "Open"],
        ["2", "NF-26-0105", "Housing check on the address", "Police", "", "12 Jun 2026 17:00", "Open"],
    ]
    assert draft.under("Distribution") == [
        "Police: Pat Police, Paul Constable",
        "Children's Social Care: Sam Social",
        "Health: no named representatives",
    ]


# ---------------------------------------------------------------------------------------------- properties


def test_core_properties_describe_the_meeting_and_nothing_personal(draft: Read, approved: Read, copy: Read) -> None:
    assert draft.properties["title"] == "Minutes: Northfield daily pitstop, 11 June 2026"
    assert draft.properties["creator"] == "Northfield Safeguarding Partnership"
    assert draft.properties["category"] == "OFFICIAL-SENSITIVE"
    assert draft.properties["description"] == "Version 1 DRAFT (not approved)"
    assert draft.properties["revision"] == "1"
    assert draft.properties["created"] == draft.properties["modified"] == "2026-06-11T11:00:00Z"
    assert approved.properties["revision"] == "2"
    assert approved.properties["description"] == "Version 2, approved 12 June 2026"
    personal = {
        *(ref for case in CASES for ref in case.police_references),
        REVIEWED.police_reference,
        *(person.name for case in CASES for person in case.people),
        *(a.owner_name for a in DRAFT.actions if a.owner_name),
        *(a.present_names for a in DRAFT.attendance if a.present_names),
        *(o.name for o in DRAFT.observers),
        "Chris Chair",
        "Mo Minutes",
        "Alex Recorder",
    }
    for read_back in (draft, approved, copy):
        values = " ".join(v or "" for v in read_back.properties.values())
        assert not [p for p in personal if p in values]
        for name in ("docProps/core.xml", "docProps/app.xml"):
            assert not [p for p in personal if p.encode() in read_back.parts[name]]


# ---------------------------------------------------------------------------------------------- robustness


def test_same_snapshot_same_text_also_through_json() -> None:
    once, again = read(document.render(DRAFT)), read(document.render_encoded(msgspec.json.encode(DRAFT)))
    assert once.paragraphs == again.paragraphs
    assert once.tables == again.tables
    assert once.footers == again.footers
    assert once.properties == again.properties


def test_control_characters_pasted_into_a_summary_do_not_break_the_document() -> None:
    pasted = information(POLICE, "Known to our agency", "Line one\x0bline two\x00")
    case = msgspec.structs.replace(CASES[0], information=[pasted])
    back = read(document.render(msgspec.structs.replace(DRAFT, cases=[case])))
    assert "Line oneline two" in back.text


def test_renders_in_a_worker_process() -> None:
    # The service renders off the event loop in a process pool: only module-level functions and bytes cross.
    assert pickle.loads(pickle.dumps(document.render_encoded)) is document.render_encoded
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        payload = pool.submit(document.render_encoded, msgspec.json.encode(APPROVED)).result(timeout=60)
    assert "Version 2, approved 12 June 2026" in read(payload).footers[0]
