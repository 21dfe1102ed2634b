"""minutes: the Word minutes of a 60-case meeting with 200 actions: how long one takes to draw, how large it is, and
whether the service stays responsive while five are drawn at once.

The issue's target ("Minutes: the Word document, per-agency copies, approval and circulation"): minutes of a
60-case meeting with 200 actions, generation time and file size reported; while 5 documents are being generated,
/healthz p99 stays within 3x of its idle p99 or under 20 ms, measured in the same run.

Set-up, as the schema owner through the product's services (no direct inserts but the shared set-up's own), in two
transactions:
- records' (`Meeting.set_up` of `bench/_meeting.py`) for a partnership of its own, `minutes`: 8 agencies, all invited
  to a series 30 days ahead (then made inactive, so the server's meeting clock leaves it alone); 30 notifications
  received through intake, screened and queued; the series' first meeting published (30 items) and started. One
  agency member in each agency and one coordinator, who chairs and takes the minutes. The shared set-up stops at 30
  items (its invented people are born in 19xx), so:
- as the meeting runs: 30 more notifications through intake (a victim, an alleged perpetrator and a child present
  each), screened to the agenda (`screening.screen`) and added to the started meeting (`agenda.add`): 60 cases.
  Attendance: every agency present, named. On every case, 4 agencies' information, each recorded by a member of that
  agency (`information.record`): of the 240 records, 24 are restricted to one other agency, 24 third-party, 12 not
  for the minutes, 24 "not known" or "no trace" without a summary, the rest shared, with summaries of two sentences.
  A decision on every case by the chair (`decisions.record`): outcomes, a rationale; MARAC referrals with their
  criterion, re-grades and dissents among them. 200 actions (`actions.create`; 4 on each of the first 20 cases, 3 on
  the others), owned by each agency in turn, due 1 to 14 days after the meeting; every tenth closed as done by its
  agency (`actions.close`). Then the meeting ended (`meetings.advance`, "end"): held. About 3 s in all.

Every summary and action description carries a token (`info#07.2`, `action#123`), so that each file's text is
checked against what it must and must not hold.

Measured on `pitstop serve` at INFO, as production runs it, the coordinator signed in through the form:
1. **Generation**: `GET /meetings/{id}/minutes.docx`, the full draft minutes (the server reads the snapshot from the
   record, its render worker draws it). Warm-up: one download (which spawns a render worker), then two at once (the
   pool's second). Then 5 one after another on a keep-alive connection: wall time (first byte sent to last byte
   read), p50 and max, and the size; then one agency's copy (`?agency=`). For reference, in this process on the same
   record: `snapshot.minutes_of` (the server's share before the worker) and `document.render_encoded` of that
   snapshot (the worker's share), medians of 3.
2. **Health**: `GET /healthz` on one keep-alive connection, a request 2 ms after each answer (`probe` of
   `bench/_common.py`): 1,000 idle; then 2,000 while 5 connections of the coordinator download the full minutes over
   and over (each the next as soon as its last is answered, until the probes end: 5 documents in the server at any
   time, 2 drawing, 3 waiting for a worker or reading their snapshot); then 1,000 idle again, so that drift on the
   machine affects both sides. p50, p95, p99 and max each way; the documents answered under load, their wall time,
   and the CPU of the server process and of its render workers meanwhile.
3. **Memory**: the server process's resident set after the load, and each render worker's with its peak.

Checks (any failure is an error: exit status 2): every answer 200 with the Word media type; every file a zip with
`word/document.xml` and OFFICIAL-SENSITIVE in every header and footer; the full minutes hold exactly the tokens of
every record but those not for the minutes, and of every action; the agency's copy exactly its own records, others'
shared ones and those restricted to it (never others' third-party ones or those restricted elsewhere), and its own
actions; afterwards one disclosure-log row (`minutes_disclosure`) and one `minutes_downloaded` audit row a download.

Target (the issue's): the busy p99 at most 3 times the idle p99, or under 20 ms. The result line's ratio is
max(3 x idle p99, 20 ms) / busy p99, target >= 1.00; the busy p99 against the idle p99 is printed beside it.
"""

from __future__ import annotations

import asyncio
import io
import re
import statistics
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec
import psutil

from bench._common import (
    BenchError,
    Comparison,
    Connection,
    Context,
    ProtocolError,
    Round,
    percentile_ms,
    probe,
    process_cpu,
    status_kib,
)
from bench._meeting import FAMILY, GIVEN, KEEP_ALIVE_IDLE, MAX_ITEMS, REQUEST_SECONDS, Meeting, Setup, User, sign_in

DESCRIPTION = "Word minutes of a 60-case, 200-action meeting: time and size; /healthz p99 while 5 are drawn at once"
AGENCIES = 8
CASES = 60
ACTIONS = 200
RECORDS_PER_CASE = 4  # agencies recording information on each case
MEETING = Meeting(slug="minutes", reference="MN", agencies=AGENCIES, members=AGENCIES, coordinators=1, items=MAX_ITEMS)
COPY_FOR = 1  # the agency (index) whose copy is downloaded
ONE_AT_A_TIME = 5
AT_ONCE = 5  # documents in the server at once under load
IN_PROCESS_ROUNDS = 3
PROBE_PATH = "/healthz"
PROBE_PAUSE = 0.002  # seconds after each answer
WARM_PROBES = 200
IDLE_PROBES = 1_000  # each half, before and after the load
BUSY_PROBES = 2_000
PROBE_SECONDS = 60.0  # each probe's deadline beside its count
TARGET_TIMES = 3.0  # busy p99 at most this many times the idle p99 ...
TARGET_MS = 20.0  # ... or under this
MARKING = "OFFICIAL-SENSITIVE"
DOCX = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TOKEN = re.compile(r"info#\d\d\.\d|action#\d{3}")
MARGIN = re.compile(r"word/(header|footer)\d*\.xml")  # the parts that print at the top and bottom of pages
GRADES = ("standard", "medium", "high")
SUMMARIES = (
    "Known to the service since 2021; two earlier referrals, the last closed in March after a single assessment.",
    "The victim is registered with the practice; she missed two appointments this quarter and has not been seen.",
    "The alleged perpetrator is on licence until next spring; his offender manager was told of this incident.",
    "The family's tenancy is at risk for arrears; a housing officer visited last month and found no concerns.",
    "The child's attendance is 82 % this term; the school's safeguarding lead noted bruising in October.",
)
OUTCOMES = (
    ("marac_referral", "idva_referral"),
    ("strategy_discussion", "section_47"),
    ("early_help", "operation_encompass"),
    ("health_notification", "housing_action"),
    ("child_and_family_assessment",),
    ("signposting", "clares_law"),
)
WHAT = (
    "Contact the victim through the safe number and offer support",
    "Review the risk assessment with the victim and update it",
    "Home visit with the health visitor within five working days",
    "Tell the school's safeguarding lead under Operation Encompass",
    "Check the perpetrator's licence conditions and report back",
)


# ---- set-up -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """A token in a summary or an action's description, and who may read it."""

    token: str
    agency_id: int  # the recording agency, or the action's owner
    action: bool = False
    restricted_to: tuple[int, ...] = ()
    third_party: bool = False
    for_minutes: bool = True

    def in_copy(self, agency_id: int | None) -> bool:
        """In the full minutes (None) or in this agency's copy?"""
        if not self.for_minutes:
            return False
        if agency_id is None or agency_id == self.agency_id:
            return True
        if self.action:
            return False
        if self.restricted_to:
            return agency_id in self.restricted_to and not self.third_party
        return not self.third_party


@dataclass
class Held:
    marks: list[Mark] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    copy_for: int = 0
    copy_name: str = ""

    def expected(self, agency_id: int | None) -> set[str]:
        return {m.token for m in self.marks if m.in_copy(agency_id)}


async def _hold(owner_url: str, setup: Setup) -> Held:
    """The other 30 cases, everyone's information, the decisions and actions, then the meeting ended, through the
    services in one transaction (see the module's docstring). Prints a line."""
    from pitstop.accounts.identity import AuthMethod, Identity
    from pitstop.accounts.models import Role
    from pitstop.actions import service as actions
    from pitstop.actions.models import ActionIn, ActionStatus, CompletionIn
    from pitstop.agenda import service as agenda
    from pitstop.audit.service import Origin
    from pitstop.db.pool import connect
    from pitstop.decisions import service as decisions
    from pitstop.decisions.models import DecisionIn, DissentIn, MaracCriterion
    from pitstop.information import service as information
    from pitstop.information.models import InformationIn, Knowledge, Visibility
    from pitstop.meetings import queries as meeting_queries
    from pitstop.meetings import service as meetings
    from pitstop.meetings.models import AttendanceIn, AttendanceStatus, MeetingState
    from pitstop.notifications import screening
    from pitstop.notifications import service as intake
    from pitstop.notifications.models import NotificationIn, ScreeningIn, Source

    started = time.perf_counter()
    origin, held = Origin(), Held()
    agencies, meeting_id = setup.agencies, setup.meeting_id
    conn = await connect(owner_url)
    try:
        async with conn.transaction():
            query = "SELECT id, email, name FROM app_user WHERE partnership_id = $1"
            found = {r["email"]: r for r in await conn.fetch(query, setup.partnership_id)}

            def identity(user: User) -> Identity:
                return Identity(
                    user_id=found[user.email]["id"],
                    partnership_id=setup.partnership_id,
                    agency_id=user.agency_id,
                    name=found[user.email]["name"],
                    email=user.email,
                    roles=frozenset({Role.COORDINATOR if user.coordinator else Role.AGENCY_MEMBER}),
                    must_change_password=False,
                    method=AuthMethod.SESSION,
                    credential="bench",
                )

            chair = identity(next(u for u in setup.users if u.coordinator))
            member = {u.agency_id: identity(u) for u in setup.members}  # one in each agency

            async def version() -> int:
                return await conn.fetchval("SELECT version FROM meeting WHERE id = $1", meeting_id)

            at = datetime.now(UTC) - timedelta(hours=2)
            for n in range(len(setup.items), CASES):
                reference = f"{MEETING.reference}/{5000 + n}/25"
                family, given = FAMILY[n % 10], GIVEN[n // 10 % 10]
                body = msgspec.convert(
                    {
                        "police_reference": reference,
                        "received_at": at.isoformat(),
                        "incident_at": (at - timedelta(hours=3)).isoformat(),
                        "circumstances": f"Invented for the minutes benchmark, incident {n}: shouting, a child home.",
                        "risk": {"tool": "dash", "grade": GRADES[n % 3], "yes_count": 4 + n % 12},
                        "people": [
                            {"role": "victim", "family_name": family, "given_names": given,
                             "date_of_birth": f"{1965 + n % 35}-{1 + n % 12:02d}-{1 + n % 28:02d}"},
                            {"role": "alleged_perpetrator", "family_name": FAMILY[(n + 3) % 10],
                             "given_names": "Craig"},
                            {"role": "child", "family_name": family, "given_names": "Ellie", "present": True,
                             "date_of_birth": f"{2012 + n % 12}-{1 + n % 12:02d}-{1 + n % 28:02d}"},
                        ],
                    },
                    NotificationIn,
                )  # fmt: skip
                received = await intake.receive(
                    conn, actor=None, partnership_id=setup.partnership_id, body=body, source=Source.API, origin=origin
                )
                notification = received.notification
                form = msgspec.convert(
                    {"version": notification.version, "grade": GRADES[n % 3], "consent": "given", "route": "agenda"},
                    ScreeningIn,
                )
                await screening.screen(conn, actor=chair, notification_id=notification.id, form=form, origin=origin)
                await agenda.add(
                    conn, actor=chair, meeting_id=meeting_id, version=await version(), police_reference=reference,
                    origin=origin,
                )  # fmt: skip
            attendance = await meeting_queries.attendance(conn, meeting_id)
            present = [
                (AttendanceIn(agency_id=a.agency_id, status=AttendanceStatus.PRESENT,
                              present_names=f"Representative {i}", information_sent=True), a.version)
                for i, a in enumerate(attendance)
            ]  # fmt: skip
            await meetings.record_attendance(conn, actor=chair, meeting_id=meeting_id, rows=present, origin=origin)
            names = {a.agency_id: a.agency_name for a in attendance}
            meeting = await meeting_queries.meeting(conn, meeting_id)
            items = (await agenda.as_recorded(conn, meeting)).items
            if len(items) != CASES:
                raise BenchError(f"set-up: the meeting has {len(items)} items, not {CASES}")

            counts = dict.fromkeys(("restricted", "third-party", "not for the minutes", "without a summary"), 0)
            action = 0
            for n, item in enumerate(items):
                for k in range(RECORDS_PER_CASE):
                    r, agency = n * RECORDS_PER_CASE + k, agencies[(n + k) % AGENCIES]
                    token = f"info#{n:02d}.{k}"
                    restricted = (agencies[(n + k + 1 + r % 3) % AGENCIES],) if r % 10 == 3 else ()
                    third_party, for_minutes = r % 10 == 7, r % 20 != 9
                    knowledge = {5: Knowledge.NOT_KNOWN, 15: Knowledge.NO_TRACE}.get(r % 20, Knowledge.KNOWN)
                    visibility = Visibility.NOT_FOR_MINUTES if not for_minutes else Visibility.SHARED
                    visibility = Visibility.RESTRICTED if restricted else visibility
                    summary = f"{token} {SUMMARIES[r % 5]} {SUMMARIES[(r + 2) % 5]}"
                    counts["restricted"] += bool(restricted)
                    counts["third-party"] += third_party
                    counts["not for the minutes"] += not for_minutes
                    counts["without a summary"] += knowledge is not Knowledge.KNOWN
                    await information.record(
                        conn, actor=member[agency], meeting_id=meeting_id, item_id=item.id, origin=origin,
                        form=InformationIn(
                            knowledge=knowledge, summary=summary if knowledge is Knowledge.KNOWN else None,
                            source_system="Case system", visibility=visibility, restricted_to=list(restricted),
                            third_party=third_party,
                        ),
                    )  # fmt: skip
                    if knowledge is Knowledge.KNOWN:
                        held.marks.append(Mark(token, agency, restricted_to=restricted, third_party=third_party,
                                               for_minutes=for_minutes))  # fmt: skip
                outcomes = OUTCOMES[n % len(OUTCOMES)]
                regrade = ("high" if item.grade != "high" else "medium") if n % 6 == 4 else None
                dissent = DissentIn(agency_id=agencies[(n + 1) % AGENCIES], reason="Would hold a strategy discussion.")
                await decisions.record(
                    conn, actor=chair, meeting_id=meeting_id, item_id=item.id, origin=origin,
                    form=DecisionIn(
                        outcomes=list(outcomes),
                        rationale=f"Case {n}: the agencies' information taken together; the plan below follows it.",
                        regrade=regrade, regrade_rationale="Escalating incidents since." if regrade else None,
                        marac_criterion=list(MaracCriterion)[n % 3] if "marac_referral" in outcomes else None,
                        dissents=[dissent] if n % 6 == 5 else [],
                    ),
                )  # fmt: skip
                for _ in range(ACTIONS // CASES + (n < ACTIONS % CASES)):
                    owner = agencies[action % AGENCIES]
                    token = f"action#{action:03d}"
                    made = await actions.create(
                        conn, actor=chair, meeting_id=meeting_id, item_id=item.id, origin=origin,
                        form=ActionIn(
                            description=f"{token} {WHAT[action % len(WHAT)]}", owner_agency_id=owner,
                            owner_name=f"Named worker {action % 7}" if action % 3 else None,
                            due_at=setup.starts_at + timedelta(days=1 + action % 14),
                        ),
                    )  # fmt: skip
                    if action % 10 == 9:
                        done = CompletionIn(status=ActionStatus.DONE, note="Done.", version=made.version)
                        await actions.close(conn, actor=member[owner], action_id=made.id, form=done, origin=origin)
                    held.marks.append(Mark(token, owner, action=True))
                    action += 1
            ended = await meetings.advance(
                conn, actor=chair, meeting_id=meeting_id, version=await version(), step="end", origin=origin
            )
            if ended.state is not MeetingState.HELD:
                raise BenchError(f"set-up: the meeting is {ended.state}, not held")
    finally:
        await conn.close()
    held.counts, held.copy_for = counts, agencies[COPY_FOR]
    held.copy_name = names[held.copy_for]
    print(f"set-up: {CASES - len(setup.items)} more cases added to the started meeting, {CASES} in all: "
          f"{CASES * RECORDS_PER_CASE} agency records ({', '.join(f'{n} {k}' for k, n in counts.items())}), "
          f"{CASES} decisions, {action} actions ({action // 10} done); attendance; the meeting held "
          f"({time.perf_counter() - started:.1f}s)", flush=True)  # fmt: skip
    return held


async def _in_process(url: str, meeting_id: int) -> tuple[float, float, int]:
    """In this process, as the app's role: the snapshot (`minutes_of`, encoded as the server sends it to its worker)
    and the document drawn from it (`render_encoded`, what the worker runs): medians in seconds, and the size."""
    from pitstop.db.pool import connect
    from pitstop.meetings import queries as meeting_queries
    from pitstop.minutes import document, snapshot
    from pitstop.minutes.models import MinutesState

    conn = await connect(url)
    taken, drawn, content = [], [], b""
    try:
        meeting = await meeting_queries.meeting(conn, meeting_id)
        for _ in range(IN_PROCESS_ROUNDS):
            began = time.perf_counter()
            minutes = await snapshot.minutes_of(
                conn, meeting, version=1, state=MinutesState.DRAFT, correction_reason=None
            )
            encoded = msgspec.json.encode(minutes)
            taken.append(time.perf_counter() - began)
            began = time.perf_counter()
            content = document.render_encoded(encoded)
            drawn.append(time.perf_counter() - began)
    finally:
        await conn.close()
    return statistics.median(taken), statistics.median(drawn), len(content)


# ---- downloads ----------------------------------------------------------------------------------


@dataclass
class Got:
    phase: str
    path: str
    seconds: float  # first byte sent to last byte read
    body: bytes


@dataclass
class Browser:
    """The signed-in coordinator's keep-alive connection for downloads, replaced (untimed) when idle longer than
    KEEP_ALIVE_IDLE (uvicorn closes one idle for 5 s)."""

    port: int
    session: bytes
    conn: Connection | None = None
    last_used: float = 0.0

    async def get(self, path: str, phase: str, got: list[Got], errors: list[str]) -> Got | None:
        """One download: recorded in `got` when it is a 200 with the Word media type, else an error."""
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nUser-Agent: pitstop-bench\r\nAccept: */*\r\n"
        ).encode() + b"Cookie: " + self.session + b"\r\n\r\n"  # fmt: skip
        if self.conn is not None and time.monotonic() - self.last_used > KEEP_ALIVE_IDLE:
            self.close()
        try:
            if self.conn is None:
                self.conn = await asyncio.wait_for(Connection.open(self.port), 5)
            started = time.perf_counter()
            async with asyncio.timeout(REQUEST_SECONDS):
                status, headers, body, close = await self.conn.exchange_with_headers(request)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ProtocolError,
                ValueError) as exc:  # fmt: skip
            errors.append(f"{phase}: GET {path}: {type(exc).__name__}: {exc}"[:300])
            self.close()
            return None
        seconds, self.last_used = time.perf_counter() - started, time.monotonic()
        if close:
            self.close()
        kind = dict(headers).get(b"content-type", b"")
        if status != 200 or kind != DOCX:
            errors.append(f"{phase}: GET {path}: {status} {kind.decode()}: {body[:200]!r}")
            return None
        download = Got(phase, path, seconds, body)
        got.append(download)
        return download

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _check(download: Got, expected: set[str]) -> str | None:
    """What is wrong with a downloaded file, or None: a Word document, OFFICIAL-SENSITIVE in every header and footer,
    exactly the expected tokens in its text."""
    try:
        with zipfile.ZipFile(io.BytesIO(download.body)) as docx:
            text = docx.read("word/document.xml").decode()
            margins = [docx.read(n).decode() for n in docx.namelist() if MARGIN.fullmatch(n)]
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError) as exc:
        return f"{download.phase}: {download.path}: not a Word document ({type(exc).__name__}: {exc})"
    if len(margins) < 2 or not all(MARKING in m for m in margins):
        return f"{download.phase}: {download.path}: {MARKING} not in every header and footer ({len(margins)} parts)"
    found = set(TOKEN.findall(text))
    if found != expected:
        return (
            f"{download.phase}: {download.path}: {len(found)} tokens, {len(expected)} expected; missing "
            f"{sorted(expected - found)[:5]}, not for this copy {sorted(found - expected)[:5]}"
        )
    return None


# ---- the server's processes ---------------------------------------------------------------------


def _workers(pid: int) -> list[int]:
    """The server's render workers (spawned by its process pool; not the resource tracker)."""
    try:
        children = psutil.Process(pid).children(recursive=True)
        return [c.pid for c in children if "spawn_main" in " ".join(c.cmdline())]
    except psutil.Error:
        return []


def _cpu(pid: int) -> tuple[float, float]:
    """CPU seconds of the server process and of its render workers."""
    workers = [process_cpu(w) for w in _workers(pid)]
    return process_cpu(pid) or 0.0, sum(w for w in workers if w is not None)


# ---- the run ------------------------------------------------------------------------------------


@dataclass
class Load:
    probes: Round
    seconds: float = 0.0  # until the last download answered
    server_cores: float = float("nan")  # during the probes
    worker_cores: float = float("nan")


async def _under_load(port: int, pid: int, browsers: Sequence[Browser], path: str, got: list[Got],
                      errors: list[str]) -> Load:  # fmt: skip
    """Every browser downloads `path` over and over while the probe runs: each the next as soon as its last is
    answered; none starts after the probe has ended."""
    stop = asyncio.Event()

    async def keep_drawing(browser: Browser) -> None:
        while not stop.is_set():
            if await browser.get(path, "load", got, errors) is None:
                await asyncio.sleep(0.1)  # an error: not to be spun on

    cpu_before, started = _cpu(pid), time.perf_counter()
    tasks = [asyncio.create_task(keep_drawing(b)) for b in browsers]
    try:
        probes = await probe(
            f"{len(browsers)} documents at once", port, PROBE_PATH, count=BUSY_PROBES, pause=PROBE_PAUSE,
            seconds=PROBE_SECONDS,
        )  # fmt: skip
        cpu_after, probed = _cpu(pid), time.perf_counter() - started
        stop.set()
        async with asyncio.timeout(REQUEST_SECONDS + 5):
            await asyncio.gather(*tasks)
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    load = Load(probes, time.perf_counter() - started)
    load.server_cores = (cpu_after[0] - cpu_before[0]) / probed
    load.worker_cores = (cpu_after[1] - cpu_before[1]) / probed
    return load


def _memory(pid: int) -> str:
    """The resident set of the server process, and of each render worker with its peak, in MiB."""
    workers = ", ".join(f"{status_kib(w, 'VmRSS') / 1024:.1f} (peak {status_kib(w, 'VmHWM') / 1024:.1f})"
                        for w in _workers(pid))  # fmt: skip
    return f"server process {status_kib(pid, 'VmRSS') / 1024:.1f}, render workers {workers or 'none'}"


def _probe_line(label: str, latencies: Sequence[float]) -> str:
    figures = " ".join(f"{percentile_ms(latencies, q):>6.2f}" for q in (0.5, 0.95, 0.99, 1.0))
    return f"  {label:<28} {len(latencies):>6}  {figures}"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


async def _disclosed(owner_url: str, meeting_id: int) -> tuple[int, int]:
    """The meeting's rows in the disclosure log and its `minutes_downloaded` audit rows."""
    owner = await asyncpg.connect(owner_url)
    try:
        logged = await owner.fetchval("SELECT count(*) FROM minutes_disclosure WHERE meeting_id = $1", meeting_id)
        audited = await owner.fetchval(
            """SELECT count(*) FROM audit_event
                WHERE action = 'minutes_downloaded' AND record_type = 'meeting' AND record_id = $1""",
            str(meeting_id),
        )
    finally:
        await owner.close()
    return logged, audited


async def run(ctx: Context) -> list[Comparison]:
    db = await ctx.database()
    setup = await MEETING.set_up(db.owner_url)
    held = await _hold(db.owner_url, setup)
    taken, drawn, drawn_size = await _in_process(db.url(), setup.meeting_id)
    coordinator = next(u for u in setup.users if u.coordinator)
    full = f"/meetings/{setup.meeting_id}/minutes.docx"
    copy = f"{full}?agency={held.copy_for}"
    got: list[Got] = []
    errors: list[str] = []
    async with ctx.pitstop(log_level="INFO", ready_path=PROBE_PATH) as server:
        port, pid = server.port, server.process.pid

        async def probing(label: str, count: int) -> Round:
            return await probe(label, port, PROBE_PATH, count=count, pause=PROBE_PAUSE, seconds=PROBE_SECONDS)

        await sign_in(coordinator, port)
        browsers = [Browser(port, coordinator.session, coordinator.conn, time.monotonic())]
        browsers += [Browser(port, coordinator.session) for _ in range(AT_ONCE - 1)]
        try:
            first = await browsers[0].get(full, "warm-up", got, errors)  # spawns a render worker
            async with asyncio.timeout(REQUEST_SECONDS + 5):  # two at once: the pool's second worker
                pair = await asyncio.gather(*(b.get(full, "warm-up", got, errors) for b in browsers[:2]))
            one = [await browsers[0].get(full, "one at a time", got, errors) for _ in range(ONE_AT_A_TIME)]
            agency = await browsers[0].get(copy, "agency copy", got, errors)
            if first is None or None in pair or None in one or agency is None:
                raise BenchError(f"downloads failed: {errors[:3]}")
            memory_before = _memory(pid)
            await probing("warm-up", WARM_PROBES)
            idle = [await probing("idle, before", IDLE_PROBES)]
            load = await _under_load(port, pid, browsers, full, got, errors)
            idle.append(await probing("idle, after", IDLE_PROBES))
            memory_after = _memory(pid)
        finally:
            for browser in browsers:
                browser.close()
    logged, audited = await _disclosed(db.owner_url, setup.meeting_id)

    full_tokens, copy_tokens = held.expected(None), held.expected(held.copy_for)
    problems = [p for d in got if (p := _check(d, copy_tokens if d.path == copy else full_tokens))]
    errors += problems
    if logged != len(got) or audited != len(got):
        errors.append(f"{len(got)} downloads, {logged} disclosure-log rows, {audited} audit rows")
    errors += [
        f"probe {r.label}: {r.errors} error(s), first: {r.first_error}" for r in (*idle, load.probes) if r.errors
    ]

    alone = [d.seconds for d in one if d is not None]
    size, copy_size = len(one[0].body) / 1024, len(agency.body) / 1024  # type: ignore[union-attr]
    p50, top = statistics.median(alone), max(alone)
    loaded = [d.seconds for d in got if d.phase == "load"]
    print(
        f"in this process, the same record (medians of {IN_PROCESS_ROUNDS}): the snapshot (snapshot.minutes_of, "
        f"encoded) {_ms(taken)}, the document (document.render_encoded) {_ms(drawn)}, {drawn_size / 1024:.1f} KiB"
    )
    print(f"GET {full} as the coordinator, wall time (first byte sent to last byte read):")
    print(f"  first download (spawns a render worker)   {_ms(first.seconds)}")
    print(f"  two at once (the second worker)           {', '.join(_ms(d.seconds) for d in pair if d)}")
    print(
        f"  full minutes, {ONE_AT_A_TIME} one at a time           p50 {_ms(p50)}, max {_ms(top)}, {size:.1f} KiB "
        f"({', '.join(_ms(s) for s in alone)})"
    )
    print(f"  {held.copy_name}'s copy   {_ms(agency.seconds)}, {copy_size:.1f} KiB")
    print(
        f"  of a download's p50, the document alone (in this process) is {drawn / p50:.0%}, the snapshot "
        f"{taken / p50:.0%}"
    )
    print(f"{PROBE_PATH} on one keep-alive connection, a request {PROBE_PAUSE * 1000:g} ms after each answer, ms:")
    print(f"  {'':<28} {'probes':>6}  {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6}")
    idle_latencies = [x for r in idle for x in r.latencies]
    for label, latencies in (
        ("idle, before", idle[0].latencies), (load.probes.label, load.probes.latencies),
        ("idle, after", idle[1].latencies), ("idle (both)", idle_latencies),
    ):  # fmt: skip
        print(_probe_line(label, latencies))
    print(f"under load: {len(loaded)} documents answered in {load.seconds:.1f}s ({len(loaded) / load.seconds:.1f} a "
          f"second), each p50 {percentile_ms(loaded, 0.5):.0f} ms, max {percentile_ms(loaded, 1.0):.0f} ms; on CPU "
          f"while probed, of {psutil.cpu_count()} cores: the server process {load.server_cores:.2f}, its render "
          f"workers {load.worker_cores:.2f}")  # fmt: skip
    print(f"memory, resident MiB: before the load {memory_before}; after it {memory_after}")
    print(f"files: {len(got)} downloads, {len(got) - len(problems)} Word documents with {MARKING} in every header and "
          f"footer and exactly the tokens expected (full minutes {len(full_tokens)}, {held.copy_name}'s copy "
          f"{len(copy_tokens)}); {logged} disclosure-log rows and {audited} audit rows")  # fmt: skip
    for message in errors[:10]:
        print(f"  error: {message}")

    idle_p99, busy_p99 = percentile_ms(idle_latencies, 0.99), percentile_ms(load.probes.latencies, 0.99)
    times, allowed = busy_p99 / idle_p99, max(TARGET_TIMES * idle_p99, TARGET_MS)
    print(f"minutes[generation]: {CASES} cases, {ACTIONS} actions: p50 {_ms(p50)}, max {_ms(top)} over "
          f"{ONE_AT_A_TIME}, {size:.1f} KiB; an agency's copy {_ms(agency.seconds)}, {copy_size:.1f} KiB; the "
          f"document alone {_ms(drawn)} in this process")  # fmt: skip
    print(f"minutes[health]: p99 with {AT_ONCE} documents at once {busy_p99:.2f} ms, idle {idle_p99:.2f} ms in the "
          f"same run: {times:.1f}x (target <= {TARGET_TIMES:g}x, or under {TARGET_MS:g} ms) "
          f"{'PASS' if busy_p99 <= allowed else 'FAIL'}")  # fmt: skip
    return [
        Comparison(
            name="minutes",
            subject=f"{PROBE_PATH} p99, {AT_ONCE} documents at once",
            subject_value=busy_p99,
            baseline=f"allowed ({TARGET_TIMES:g}x idle p99, at least {TARGET_MS:g} ms)",
            baseline_value=allowed,
            unit="ms",
            ratio=allowed / busy_p99,
            target=1.0,
            errors=len(errors),
            note=f"{times:.1f}x the idle p99 ({idle_p99:.2f} ms) in the same run; {len(loaded)} documents under "
            f"load, p50 {percentile_ms(loaded, 0.5):.0f} ms; one at a time p50 {_ms(p50)}, {size:.1f} KiB "
            f"({CASES} cases, {ACTIONS} actions)",
        )
    ]
