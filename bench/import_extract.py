"""import: rows per second through POST /api/v1/notifications/import, against a raw COPY of the same data.

The extract: 10,000 invented incidents in Pitstop's own layout (the default mapping: every column
of the import template), 30,000 rows: a victim, an alleged perpetrator and a child each, one
incident in ten with only two people and one in ten with two children. Incident facts sit on an
incident's first row, as the force's sample extract has them. Grades, risk tools (DASH, some
DARA), arrests (with the reason when none), safe-contact details, withheld (refuge) addresses,
dates as dd/mm/yyyy HH:MM; quoted fields with commas, doubled quotes and line breaks; one incident
in ten names a repeat victim (the same name and date of birth as in other incidents), so that the
repeat-incident linkage has work to do once the import does it. Northfield, NF postcodes: invented.

Pitstop: `pitstop serve` as production runs it (log level INFO). One keep-alive connection sends
the file as text/csv in 64 KiB chunks (Content-Length, mode=all_or_nothing) with an API token
(scope notifications:write) of a coordinator. Timed from the first byte of the request to the last
byte of the answer, which must be 200 with created == incidents and no errors; rows/s = rows / time.

The baseline: a raw COPY of the same data into the same tables, from this process, as the app
role (the role Pitstop connects as), in one transaction: binary COPY (asyncpg
`copy_records_to_table`) of the notifications, a SELECT of their ids by police reference, COPY of
their people, COPY of their first versions (the same JSON body the import stores: the import
writes a version per notification, so the baseline does too, which makes it stricter). The
values are the import's own: the file is read by Pitstop's pure reader
(`pitstop.notifications.imports.extract`, untimed, beforehand), the content hash and screening
deadline are computed as the import computes them, and before the rounds the rows each side
wrote are compared column by column (on the warm-up's incidents). The column lists come from
the data (the fields of each parsed notification and person), kept where the table has such a
column, so a column added later (nullable or with a default) is simply left to its default.
What the import writes and the baseline does not is what the ratio prices: HTTP and the token,
reading and checking the CSV, the rules, duplicate-reference checks, the import record, one
audit_event row per notification.

Fairness: before each measured import and each measured COPY, the notification tables are
emptied (TRUNCATE notification ... RESTART IDENTITY CASCADE, as the owner: the run's scratch
database) and a CHECKPOINT is taken, so both sides write the same rows into equally empty tables
with no checkpoint owed; the same file and the same data every round; the sides alternate which
goes first. audit_event is append-only and keeps growing (only Pitstop writes it).
Target: ratio >= 0.25.

Memory: a fresh server for each size imports one file once (on emptied tables); its peak
resident set during the import, 100,000 rows against 10,000 rows. Start-up peaks higher than a
small import does, so once the server answers /readyz its high-water mark is reset (Linux:
`/proc/<pid>/clear_refs` 5) and VmHWM is read after the answer. Target: peak(100k) <= 1.5 x
peak(10k), as a ratio oriented like the others: peak(10k) / peak(100k) >= 0.67. The increase over
the idle server's resident set is printed too: the absolute peak is mostly the interpreter and the
application.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import msgspec

from bench._accounts import arrange
from bench._common import BenchError, Comparison, Connection, Context, process_cpu, reset_peak, status_kib

DESCRIPTION = "rows/s imported by POST /api/v1/notifications/import vs a raw COPY of the same rows; peak memory"
INCIDENTS = 10_000  # about 30,000 rows
WARMUP_INCIDENTS = 600  # more than one of the import's batches (500 incidents)
ROUNDS = 3
TARGET = 0.25
MEMORY_ROWS = (10_000, 100_000)
MEMORY_GROWTH = 1.5  # peak(100k rows) at most this many times peak(10k rows)
CHUNK = 64 * 1024
REQUEST_SECONDS = 240.0
SLUG = "imports"
FEED_EMAIL = "feed@imports.example"
# Emptied before every measured side (TRUNCATE ... CASCADE also empties what refers to them).
TABLES = ("notification", "notification_person", "notification_version")


# ---- the extract --------------------------------------------------------------------------------

STREETS = (
    "Quillon Close",
    "Orchard Vale",
    "Larchwood Road",
    "Mill Lane",
    "Eastgate",
    "Riverside Walk",
    "Station Road",
    "Coppice Way",
    "Hawthorn Drive",
    "Kestrel Court",
    "Tanner's Row",
    "Beacon Hill",
)
FAMILY = (
    "Marsh",
    "Dunmore",
    "Okafor",
    "Pryce",
    "Hughes",
    "Kowalski",
    "Begum",
    "Adeyemi",
    "Walsh",
    "Nguyen",
    "Patel",
    "Fraser",
    "Lindqvist",
    "Osei",
    "Brennan",
    "Haddad",
    "Moreno",
    "Sutherland",
    "Chowdhury",
    "Ellison",
    "O'Neill",
    "Carter-Jones",
)
WOMEN = ("Kelly Anne", "Grace", "Joanne", "Amira", "Sophie", "Leanne", "Marta", "Priya", "Chloe", "Niamh", "Fatima")
MEN = ("Craig", "Daniel", "Liam", "Tomasz", "Ryan", "Kwame", "Arif", "Jamie", "Lewis", "Connor", "Stefan", "Dean")
CHILDREN = ("Tyler", "Isla", "Precious", "Ellie", "Noah", "Maya", "Oscar", "Ruby", "Ayaan", "Freya", "Leo", "Aisha")
SCHOOLS = ("Larchwood Primary School", "Riverside Academy", "Meadowbank Primary School", "Northfield Nursery", "")
HEALTH = ("Dr Adeyemi, Eastgate Surgery", "Dr Lee, Westfield Health Centre", "Health visitor: Eastgate team")
ETHNICITY = ("W1", "W2", "B2", "A1", "A3", "M1", "O9")
RELATIONSHIP = ("Partner", "Ex-partner", "Spouse", "Boyfriend", "Son", "Brother")
CIRCUMSTANCES = (
    "Caller reports partner shouting and throwing items; children in the house, one woke and came downstairs.",
    'Verbal argument over child contact, no injuries. Victim says "he will not leave", neighbour called police.',
    "Victim assaulted during an argument about money, bruising to the left arm.\n"
    "Alleged perpetrator left before police arrived; circulated as wanted.",
    "Ex-partner attended the address in breach of bail conditions, banging on the door and shouting threats.\n"
    "Victim frightened, children asleep upstairs.",
    "Argument escalated after drinking; victim pushed, fell against a table.\n"
    "Small cut to forehead, treated at scene.\nBody-worn video recorded.",
    "Repeated messages and calls overnight (over 40), victim feels watched; car seen outside her work, twice.",
    "Son (19) damaged property and threatened mother during an argument, mother locked herself in the bathroom.",
)
NO_ARREST = (
    "Suspect left before police arrived",
    "Victim did not support, no independent evidence",
    "Suspect in hospital, to be interviewed on release",
)
GRADES = ("Standard", "Standard", "Medium", "Standard", "Medium", "High", "Standard", "Medium", "Standard", "High")
REPEAT_VICTIMS = 250  # people who are the victim in one incident in ten
FIRST_REPORT = datetime(2026, 11, 2, 0, 5)  # London time; spaced 3 minutes apart, GMT until March


def _yn(flag: bool) -> str:
    return "Y" if flag else "N"


def _dob(year: int, n: int) -> str:
    return (date(year, 1, 1) + timedelta(days=n * 37 % 365)).strftime("%d/%m/%Y")


def _incident(n: int) -> list[dict[str, str]]:
    """Incident n's rows, as {field key: cell}: incident facts on the first row only."""
    reference = f"14/{n + 1:06d}/26"
    reported = FIRST_REPORT + timedelta(minutes=3 * n)
    happened = reported - timedelta(minutes=20 + n % 300)
    street = STREETS[n % len(STREETS)]
    withheld = n % 50 == 17
    tool = "DARA" if n % 7 == 3 else "DASH"
    grade = GRADES[n % len(GRADES)]
    arrested = n % 5 < 3
    safe = n % 4
    facts = {
        "police_reference": reference,
        "crime_reference": f"NF/CR/{n + 1:06d}/26" if n % 5 < 3 else "",
        "received_at": reported.strftime("%d/%m/%Y %H:%M"),
        "incident_at": happened.strftime("%d/%m/%Y %H:%M"),
        "address": "Address withheld (refuge)" if withheld else f"{n % 180 + 1} {street}, Northfield",
        "postcode": "" if withheld else f"NF{n % 9 + 1} {n % 10}{'ABDEFGHJLNPQRSTUWXYZ'[n % 20]}Q",
        "council_area": "Northfield",
        "circumstances": f"{CIRCUMSTANCES[n % len(CIRCUMSTANCES)]} Officer PC {n % 9000 + 1000}.",
        "risk.tool": tool,
        "risk.grade": grade,
        "risk.yes_count": "" if tool == "DARA" else str({"Standard": 3, "Medium": 10, "High": 16}[grade] + n % 5),
        "previous_incidents_12m": str(n % 6),
        "injuries": _yn(n % 3 == 0),
        "weapons": _yn(n % 11 == 0),
        "strangulation": _yn(n % 13 == 0),
        "alcohol_or_drugs": _yn(n % 2 == 0),
        "arrest_made": _yn(arrested),
        "no_arrest_reason": "" if arrested else NO_ARREST[n % len(NO_ARREST)],
        "body_worn_video": f"BWV-{n:06d}-1; BWV-{n:06d}-2" if n % 3 == 1 else "",
        "victim_pregnant": "Y" if n % 29 == 0 else ("N" if n % 2 else ""),
        "consent_to_share": _yn(n % 6 != 5),
        "victim_aware": _yn(n % 8 != 7),
        "safe_contact.safe": "" if safe == 3 else _yn(safe != 2),
        "safe_contact.number": f"07700 9{n % 100_000:05d}" if safe < 2 else "",
        "safe_contact.times": "10:00-14:00, weekdays" if safe == 0 else "",
        "safe_contact_notes": "Not safe to call; use IDVA" if safe == 2 else "",
        "open_case": _yn(n % 9 == 0),
        "allocated_worker": "Sam Okoro, Children's Services" if n % 9 == 0 else "",
    }
    if n % 10 == 0:  # a repeat victim: the same name and date of birth as in other incidents
        k = n // 10 % REPEAT_VICTIMS
        victim = (FAMILY[k % len(FAMILY)], WOMEN[k % len(WOMEN)], _dob(1970 + k % 30, k))
    else:
        victim = (FAMILY[n % len(FAMILY)], WOMEN[n * 7 % len(WOMEN)], _dob(1960 + n % 45, n))
    people = [
        {
            "people.role": "Victim",
            "people.family_name": victim[0],
            "people.given_names": victim[1],
            "people.date_of_birth": victim[2],
            "people.sex": "F",
            "people.ethnicity": ETHNICITY[n % len(ETHNICITY)],
            "people.relationship": RELATIONSHIP[n % 4],
            "people.address": "" if withheld else f"{n % 180 + 1} {street}, Northfield",
        },
        {
            "people.role": "Alleged perpetrator",
            "people.family_name": FAMILY[(n + 5) % len(FAMILY)],
            "people.given_names": MEN[n % len(MEN)],
            "people.date_of_birth": _dob(1958 + n % 47, n + 11) if n % 6 else "",
            "people.sex": "M",
            "people.ethnicity": ETHNICITY[(n + 2) % len(ETHNICITY)],
            "people.relationship": RELATIONSHIP[n % 4],
        },
    ]
    children = 0 if n % 10 == 3 else 2 if n % 10 == 7 else 1
    for c in range(children):
        people.append(
            {
                "people.role": "Child",
                "people.family_name": victim[0],
                "people.given_names": CHILDREN[(n + c) % len(CHILDREN)],
                "people.date_of_birth": _dob(2010 + (n + 3 * c) % 16, n + c),
                "people.sex": "MF"[(n + c) % 2],
                "people.school": SCHOOLS[(n + c) % len(SCHOOLS)],
                "people.gp_or_health_visitor": HEALTH[(n + c) % len(HEALTH)],
                "people.ordinarily_resident": "Y",
                "people.present": _yn((n + c) % 3 != 0),
                "people.witnessed": _yn((n + c) % 4 == 0),
                "people.injured": "N",
            }
        )
    rows = []
    for index, person in enumerate(people):
        rows.append({**(facts if index == 0 else {"police_reference": reference}), **person})
    return rows


@dataclass(frozen=True)
class Extract:
    data: bytes
    incidents: int
    rows: int

    def chunks(self) -> list[bytes]:
        return [self.data[i : i + CHUNK] for i in range(0, len(self.data), CHUNK)]


def build_extract(*, incidents: int | None = None, rows: int | None = None) -> Extract:
    """`incidents` incidents, or as many as make about `rows` rows; CRLF, quoted where needed."""
    from pitstop.notifications.imports.extract import DEFAULT_MAPPING, FIELDS, template_rows

    header = next(template_rows(DEFAULT_MAPPING))
    keys = [f.key for f in FIELDS if DEFAULT_MAPPING.columns.get(f.key, "").strip()]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    count = written = 0
    while (incidents is not None and count < incidents) or (rows is not None and written < rows):
        for row in _incident(count):
            writer.writerow([row.get(key, "") for key in keys])
            written += 1
        count += 1
    return Extract(data=out.getvalue().encode(), incidents=count, rows=written)


# ---- Pitstop's side ------------------------------------------------------------------------------


async def post_extract(port: int, secret: str, extract: Extract, file_name: str) -> tuple[float, dict[str, Any]]:
    """Stream the file to Pitstop; (seconds from the first byte sent to the answer read, the report)."""
    conn = await Connection.open(port)
    try:
        head = (
            f"POST /api/v1/notifications/import?mode=all_or_nothing&file_name={file_name} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nUser-Agent: pitstop-bench\r\nAuthorization: Bearer {secret}\r\n"
            f"Content-Type: text/csv\r\nContent-Length: {len(extract.data)}\r\n\r\n"
        ).encode()
        chunks = extract.chunks()
        async with asyncio.timeout(REQUEST_SECONDS):
            started = time.perf_counter()
            conn.writer.write(head)
            for chunk in chunks:
                conn.writer.write(chunk)
                await conn.writer.drain()
            status, _, body, _ = await conn.read_response()
            seconds = time.perf_counter() - started
    except TimeoutError:
        raise BenchError(f"the import of {extract.rows} rows did not answer in {REQUEST_SECONDS:.0f}s") from None
    finally:
        conn.close()
    try:
        report = json.loads(body)
    except ValueError:
        report = None
    if status != 200 or not isinstance(report, dict):
        raise BenchError(f"import of {extract.rows} rows: status {status}: {body[:500]!r}")
    got = (report.get("rows_read"), report.get("created"), report.get("errors_total"))
    if got != (extract.rows, extract.incidents, 0):
        raise BenchError(
            f"import: (rows_read, created, errors_total) {got}, expected {(extract.rows, extract.incidents, 0)}; "
            f"first errors: {report.get('errors', [])[:3]}"
        )
    return seconds, report


# ---- the baseline: a raw COPY of the same data ---------------------------------------------------


@dataclass
class CopyData:
    """What the baseline writes, prepared in memory: each table's columns and rows."""

    partnership_id: int
    references: list[str]
    notification_columns: list[str]
    notifications: list[tuple[Any, ...]]
    person_columns: list[str]  # the first is notification_id, filled in once the ids are known
    people: list[tuple[str, tuple[Any, ...]]]  # (police reference, the rest of the row)
    version_columns: list[str]  # likewise
    versions: list[tuple[str, tuple[Any, ...]]]
    dropped: list[str]  # fields of the data that have no column of that name


def _read_notifications(data: bytes) -> list[Any]:
    """The file as the import reads it: Pitstop's own (pure) reader, default mapping."""
    from pitstop.notifications.imports.extract import DEFAULT_MAPPING, Columns, ExtractReader, IncidentBuilder

    reader = ExtractReader()
    rows = reader.feed(data) + reader.close()
    columns, errors = Columns.read(rows[0][0], rows[0][1], DEFAULT_MAPPING)
    if columns is None:
        raise BenchError(f"the generated header is refused: {errors[:3]}")
    builder = IncidentBuilder(columns, DEFAULT_MAPPING)
    incidents = [i for line, row in rows[1:] if (i := builder.add(line, row)) is not None]
    if (last := builder.close()) is not None:
        incidents.append(last)
    bad = [e for i in incidents for e in i.errors] + builder.row_errors
    if bad:
        raise BenchError(f"the generated extract has errors: {bad[:3]}")
    return [i.body for i in incidents]


def _notification_fields(body: Any) -> dict[str, Any]:
    """A notification's values by column name, as the import stores them (its people apart)."""
    fields = {k: v for k, v in msgspec.structs.asdict(body).items() if k not in ("people", "risk", "safe_contact")}
    risk, contact = body.risk, body.safe_contact
    fields |= {
        "risk_tool": risk.tool,
        "officer_grade": risk.grade.value,
        "risk_yes_count": risk.yes_count,
        "risk_answers": msgspec.json.encode(risk.answers).decode(),
        "safe_to_contact": contact.safe if contact else None,
        "safe_contact_number": contact.number if contact else None,
        "safe_contact_times": contact.times if contact else None,
    }
    fields["police_reference"] = body.police_reference.strip()
    if body.address_withheld:
        fields["address"] = None
    return fields


def _person_fields(person: Any) -> dict[str, Any]:
    fields = msgspec.structs.asdict(person)
    fields["role"] = person.role.value
    if person.address_withheld:
        fields["address"] = None
    return fields


async def _table_columns(conn: asyncpg.Connection, table: str) -> set[str]:
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1",
        table,
    )
    return {row["column_name"] for row in rows}


async def prepare_copy(owner_url: str, partnership_id: int, user_id: int, import_id: int, data: bytes) -> CopyData:
    """Rows for each table, from the same file, with the values the import computes (untimed)."""
    from pitstop.calendar.service import load_calendar
    from pitstop.db.pool import connect
    from pitstop.notifications.service import content_hash

    bodies = _read_notifications(data)
    conn = await connect(owner_url)
    try:
        calendar = await load_calendar(conn, partnership_id)
        known = {table: await _table_columns(conn, table) for table in TABLES}
    finally:
        await conn.close()
    now = datetime.now().astimezone()
    dropped: set[str] = set()

    def keep(table: str, fields: dict[str, Any], columns: list[str] | None) -> list[str]:
        if columns is None:
            columns = [c for c in fields if c in known[table]]
            dropped.update(f"{table}.{c}" for c in fields if c not in known[table])
        return columns

    n_columns: list[str] | None = None
    p_columns: list[str] | None = None
    notifications, people, versions, references = [], [], [], []
    for body in bodies:
        fields = _notification_fields(body)
        received_at = body.received_at or now
        fields |= {
            "partnership_id": partnership_id,
            "source": "csv",
            "received_at": received_at,
            "content_hash": content_hash(body),
            "screening_due_at": calendar.deadline(received_at, body.risk.grade.value),
        }
        n_columns = keep("notification", fields, n_columns)
        notifications.append(tuple(fields.get(c) for c in n_columns))
        reference = fields["police_reference"]
        references.append(reference)
        for position, person in enumerate(body.people, start=1):
            person_fields = {"position": position, **_person_fields(person)}
            p_columns = keep("notification_person", person_fields, p_columns)
            people.append((reference, tuple(person_fields.get(c) for c in p_columns)))
        version = {
            "version": 1,
            "body": msgspec.json.encode(body).decode(),
            "source": "csv",
            "received_by": user_id,
            "import_id": import_id,
        }
        versions.append((reference, tuple(version.values())))
    assert n_columns is not None
    assert p_columns is not None
    return CopyData(
        partnership_id=partnership_id,
        references=references,
        notification_columns=n_columns,
        notifications=notifications,
        person_columns=["notification_id", *p_columns],
        people=people,
        version_columns=["notification_id", "version", "body", "source", "received_by", "import_id"],
        versions=versions,
        dropped=sorted(dropped),
    )


async def copy_all(conn: asyncpg.Connection, prepared: CopyData) -> float:
    """The baseline, timed: COPY the notifications, read their ids, COPY people and versions, commit."""
    started = time.perf_counter()
    async with conn.transaction():
        await conn.copy_records_to_table(
            "notification", records=prepared.notifications, columns=prepared.notification_columns
        )
        rows = await conn.fetch(
            "SELECT police_reference, id FROM notification WHERE partnership_id = $1 AND police_reference = ANY($2)",
            prepared.partnership_id,
            prepared.references,
        )
        ids = {row[0]: row[1] for row in rows}
        await conn.copy_records_to_table(
            "notification_person",
            records=[(ids[reference], *rest) for reference, rest in prepared.people],
            columns=prepared.person_columns,
        )
        await conn.copy_records_to_table(
            "notification_version",
            records=[(ids[reference], *rest) for reference, rest in prepared.versions],
            columns=prepared.version_columns,
        )
    return time.perf_counter() - started


# ---- the database between sides --------------------------------------------------------------


async def empty_tables(owner: asyncpg.Connection) -> None:
    """Both sides start from empty notification tables and a fresh checkpoint."""
    await owner.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    await owner.execute("CHECKPOINT")


async def snapshot(owner: asyncpg.Connection, prepared: CopyData) -> dict[str, list[tuple[Any, ...]]]:
    """What is in the tables, in the baseline's columns, without ids: to compare the two sides."""
    n_columns = ", ".join(f"n.{c}" for c in prepared.notification_columns)
    p_columns = ", ".join(f"p.{c}" for c in prepared.person_columns[1:])
    v_columns = ", ".join(f"v.{c}::text" for c in prepared.version_columns[1:])
    return {
        "notification": [
            tuple(r) for r in await owner.fetch(f"SELECT {n_columns} FROM notification n ORDER BY n.police_reference")
        ],
        "notification_person": [
            tuple(r)
            for r in await owner.fetch(
                f"""SELECT n.police_reference, {p_columns} FROM notification_person p
                      JOIN notification n ON n.id = p.notification_id ORDER BY 1, p.position"""
            )
        ],
        "notification_version": [
            tuple(r)
            for r in await owner.fetch(
                f"""SELECT n.police_reference, {v_columns} FROM notification_version v
                      JOIN notification n ON n.id = v.notification_id ORDER BY 1, v.version"""
            )
        ],
    }


def compare(imported: dict[str, list[tuple[Any, ...]]], copied: dict[str, list[tuple[Any, ...]]]) -> None:
    for table, rows in imported.items():
        if len(rows) != len(copied[table]):
            raise BenchError(f"{table}: the import wrote {len(rows)} rows, the COPY {len(copied[table])}")
        for mine, theirs in zip(rows, copied[table], strict=True):
            if mine != theirs:
                raise BenchError(f"{table}: the import wrote {mine!r}, the COPY {theirs!r}")


# ---- memory --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Peak:
    rows: int
    idle_kib: int  # the resident set once ready, before the import
    peak_kib: int  # VmHWM after the import
    seconds: float

    @property
    def growth_kib(self) -> int:
        return self.peak_kib - self.idle_kib


async def memory_peak(ctx: Context, owner: asyncpg.Connection, secret: str, rows: int) -> Peak:
    extract = build_extract(rows=rows)
    await empty_tables(owner)
    async with ctx.pitstop(log_level="INFO") as server:
        pid = server.process.pid
        # Start-up (imports, migrations check, templates) peaks higher than the import may: count
        # the peak from now on, where the kernel allows it, else since the process started.
        if not reset_peak(pid):
            print("memory: cannot reset VmHWM (/proc/<pid>/clear_refs): peaks include start-up")
        idle = status_kib(pid, "VmRSS")
        seconds, _ = await post_extract(server.port, secret, extract, f"bench-memory-{rows}.csv")
        peak = status_kib(pid, "VmHWM")
    print(
        f"memory: {extract.rows} rows ({len(extract.data) / 2**20:.1f} MiB) in {seconds:.1f}s: "
        f"peak RSS {peak / 1024:.1f} MiB, idle {idle / 1024:.1f} MiB, +{(peak - idle) / 1024:.1f} MiB",
        flush=True,
    )
    return Peak(rows=extract.rows, idle_kib=idle, peak_kib=peak, seconds=seconds)


# ---- the run -------------------------------------------------------------------------------------


async def _arrange(owner_url: str) -> tuple[int, int, str]:
    from pitstop.db.pool import connect

    people = [(FEED_EMAIL, "Police feed", "coordinator")]
    arranged = await arrange(owner_url, SLUG, people, "a bench feed passphrase", token_scopes=["notifications:write"])
    assert arranged.token is not None
    conn = await connect(owner_url)
    try:
        user_id = await conn.fetchval("SELECT id FROM app_user WHERE email = $1", FEED_EMAIL)
    finally:
        await conn.close()
    return arranged.partnership_id, user_id, arranged.token


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


async def run(ctx: Context) -> list[Comparison]:
    from pitstop.db.pool import connect

    db = await ctx.database()
    partnership_id, user_id, secret = await _arrange(db.owner_url)
    extract = build_extract(incidents=INCIDENTS)
    warm = build_extract(incidents=WARMUP_INCIDENTS)
    print(
        f"extract: {extract.incidents} incidents, {extract.rows} rows, {len(extract.data) / 2**20:.1f} MiB",
        flush=True,
    )
    owner = await connect(db.owner_url)
    app = await asyncpg.connect(db.url())
    pitstop_rates: list[float] = []
    copy_rates: list[float] = []
    server_cpu: list[float] = []  # the server's CPU time over the import's wall time, per round
    try:
        async with ctx.pitstop(log_level="INFO") as server:
            pid = server.process.pid
            # Warm-up, and a check that the baseline writes what the import writes: the same
            # warm-up file imported, then copied, the tables compared.
            await empty_tables(owner)
            _, report = await post_extract(server.port, secret, warm, "bench-warm-up.csv")
            warm_copy = await prepare_copy(db.owner_url, partnership_id, user_id, report["id"], warm.data)
            imported = await snapshot(owner, warm_copy)
            await empty_tables(owner)
            await copy_all(app, warm_copy)
            compare(imported, await snapshot(owner, warm_copy))
            prepared = await prepare_copy(db.owner_url, partnership_id, user_id, report["id"], extract.data)
            print(
                f"baseline checked: it writes what the import writes ({warm.incidents} incidents compared); "
                f"notification: {len(prepared.notification_columns)} columns, notification_person: "
                f"{len(prepared.person_columns)}, notification_version: {len(prepared.version_columns)}"
                + (f"; fields without a column: {', '.join(prepared.dropped)}" if prepared.dropped else ""),
                flush=True,
            )
            for round_ in range(ROUNDS):
                sides = ["pitstop", "copy"] if round_ % 2 == 0 else ["copy", "pitstop"]
                figures = {}
                for side in sides:
                    await empty_tables(owner)
                    if side == "pitstop":
                        cpu_before = process_cpu(pid)
                        seconds, _ = await post_extract(server.port, secret, extract, f"bench-{round_ + 1}.csv")
                        cpu = (process_cpu(pid) or 0.0) - (cpu_before or 0.0)
                        pitstop_rates.append(extract.rows / seconds)
                        server_cpu.append(cpu / seconds)
                        figures[side] = f"import {pitstop_rates[-1]:.0f} rows/s ({seconds:.2f}s, server cpu {cpu:.2f}s)"
                    else:
                        seconds = await copy_all(app, prepared)
                        copy_rates.append(extract.rows / seconds)
                        figures[side] = f"COPY {copy_rates[-1]:.0f} rows/s ({seconds:.2f}s)"
                print(f"round {round_ + 1}: {figures['pitstop']}, {figures['copy']}", flush=True)
        small, large = [await memory_peak(ctx, owner, secret, rows) for rows in MEMORY_ROWS]
        await empty_tables(owner)
    finally:
        await app.close()
        await owner.close()

    import_rate, copy_rate = _median(pitstop_rates), _median(copy_rates)
    print(f"{extract.incidents} incidents, {extract.rows} rows a round, medians of {ROUNDS} rounds")
    growth = large.peak_kib / small.peak_kib
    return [
        Comparison(
            name="import",
            subject="POST /api/v1/notifications/import",
            subject_value=import_rate,
            baseline="raw COPY",
            baseline_value=copy_rate,
            unit="rows/s",
            ratio=import_rate / copy_rate,
            target=TARGET,
            note=(
                f"ratio {import_rate / copy_rate:.3f}; {extract.rows} rows, {extract.incidents} incidents; "
                f"the server was on CPU {_median(server_cpu):.0%} of the import's time"
            ),
        ),
        Comparison(
            name="import[memory]",
            subject=f"peak RSS importing {large.rows} rows",
            subject_value=large.peak_kib / 1024,
            baseline=f"{small.rows} rows",
            baseline_value=small.peak_kib / 1024,
            unit="MiB",
            ratio=small.peak_kib / large.peak_kib,
            target=1 / MEMORY_GROWTH,
            note=(
                f"peak at {large.rows} rows is {growth:.2f}x that at {small.rows} (target <= {MEMORY_GROWTH:g}x); "
                f"over the idle server: +{large.growth_kib / 1024:.1f} MiB against +{small.growth_kib / 1024:.1f} MiB"
            ),
        ),
    ]
