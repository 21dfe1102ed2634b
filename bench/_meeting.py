"""A started meeting, its users signed in, and saves on it: what `records` and `live` share.

`Meeting(...).set_up(owner_url)` makes, as the schema owner through the product's services, in one
transaction: a partnership `slug` with `agencies` agencies; a series 30 days ahead inviting them all,
then made inactive so the server's meeting clock leaves it alone; `items` notifications received through
intake, screened and queued, each naming its own victim; the series' first meeting published (which places
them) and started. Its users: `members` agency members spread over the agencies (member i in agency i mod
`agencies`), then `coordinators` coordinators in the first agency, e-mailed at `@{slug}.example` (e-mail
addresses are unique across partnerships, so each benchmark has a slug of its own), all with one password
and one argon2 hash (the product's own insert).

`sign_in` signs a user in through the form, as a browser does; `exchange` sends one save on the user's
keep-alive connection and times it; `Save` and `Tally` record what was sent and answered.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from bench._common import BenchError, Connection, get_request

PASSWORD = "a bench records passphrase"
REQUEST_SECONDS = 30.0  # a save unanswered this long is an error
KEEP_ALIVE_IDLE = 4.5  # seconds: a connection idle longer is replaced before the next save (uvicorn's is 5)
_CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')
AGENCY_TYPES = [
    ("Police", "police"), ("Children's Social Care", "childrens_social_care"), ("Early Help", "early_help"),
    ("Health", "health"), ("Education", "education"), ("IDVA Service", "idva"), ("Probation", "probation"),
    ("Housing", "housing"), ("Adult Social Care", "adult_social_care"), ("Mental Health", "mental_health"),
]  # fmt: skip
FAMILY = ["Marsh", "Okafor", "Pryce", "Hughes", "Kowalski", "Begum", "Adeyemi", "Walsh", "Nguyen", "Patel"]
GIVEN = ["Kelly", "Amira", "Sophie", "Chloe", "Leah", "Priya", "Zainab", "Grace", "Hannah", "Megan"]
MAX_ITEMS = 30  # the invented people's years of birth are 19xx up to this many items


# ---- set-up -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Meeting:
    """What set_up makes."""

    slug: str  # the partnership's; its users are e-mailed at @{slug}.example
    reference: str  # each notification's police reference begins with it
    agencies: int  # invited, at most len(AGENCY_TYPES)
    members: int  # agency members, spread over the agencies
    coordinators: int  # in the first agency; the first chairs the series
    items: int  # notifications placed on the meeting's agenda, at most MAX_ITEMS

    async def set_up(self, owner_url: str) -> Setup:
        """The partnership, agencies, users, series and started meeting, through the services, in one
        transaction (see the module's docstring). Prints a line."""
        return await _set_up(owner_url, self)


@dataclass
class User:
    index: int
    email: str
    agency_id: int
    coordinator: bool
    session: bytes = b""
    csrf: str = ""
    conn: Connection | None = None
    last_used: float = 0.0  # time.monotonic() of the connection's last answer
    versions: dict[int, int] = field(default_factory=dict)  # item -> the version of our record last seen


@dataclass
class Setup:
    partnership_id: int
    meeting_id: int
    starts_at: datetime
    items: list[int]
    agencies: list[int]
    users: list[User]  # the agency members, then the coordinators

    @property
    def members(self) -> list[User]:
        return [u for u in self.users if not u.coordinator]


async def _set_up(owner_url: str, meeting: Meeting) -> Setup:
    from pitstop.accounts import passwords
    from pitstop.accounts import queries as account_queries
    from pitstop.accounts import service as accounts
    from pitstop.accounts.identity import AuthMethod, Identity
    from pitstop.accounts.models import NewPartnership, Role
    from pitstop.agenda import queries as agenda_queries
    from pitstop.audit.service import Origin
    from pitstop.db.pool import connect
    from pitstop.meetings import service as meetings
    from pitstop.meetings.models import SeriesIn
    from pitstop.notifications import service as intake
    from pitstop.notifications.models import NotificationIn, Source

    slug, agencies, members, coordinators, items = (
        meeting.slug, meeting.agencies, meeting.members, meeting.coordinators, meeting.items
    )  # fmt: skip
    if not 1 <= agencies <= len(AGENCY_TYPES) or not 1 <= items <= MAX_ITEMS or coordinators < 1:
        raise BenchError(f"set-up: {agencies} agencies, {items} items, {coordinators} coordinators: out of range")
    started = time.perf_counter()
    name, domain = slug.title(), f"{slug}.example"
    conn = await connect(owner_url)
    try:
        async with conn.transaction():
            new = NewPartnership(slug=slug, name=name, council_area=name, police_force=f"{name} Police")
            p = (await accounts.ensure_partnership(conn, new, Origin()))[0].id
            created = [
                await accounts.create_agency(
                    conn, actor=None, partnership_id=p, name=f"{name} {kind_name}", agency_type=kind, origin=Origin()
                )
                for kind_name, kind in AGENCY_TYPES[:agencies]
            ]
            people: list[tuple[str, int, Role]] = [
                (f"member{i:02d}@{domain}", created[i % agencies].id, Role.AGENCY_MEMBER) for i in range(members)
            ]
            people += [(f"coordinator{i}@{domain}", created[0].id, Role.COORDINATOR) for i in range(coordinators)]
            # One argon2 hash (64 MiB, t=3) for every user: the product's own insert, without a slow hash each.
            password_hash = await passwords.hash_password(PASSWORD)
            users = []
            for email, agency_id, role in people:
                await account_queries.insert_user(
                    conn,
                    partnership_id=p,
                    agency_id=agency_id,
                    email=email,
                    name=email.split("@")[0].title(),
                    roles=[role],
                    password_hash=password_hash,
                    must_change_password=False,
                )
                users.append(User(len(users), email, agency_id, role is Role.COORDINATOR))
            chair = next(u for u in users if u.coordinator)
            chair_id = await conn.fetchval("SELECT id FROM app_user WHERE email = $1", chair.email)
            coordinator = Identity(
                user_id=chair_id,
                partnership_id=p,
                agency_id=chair.agency_id,
                name="Coordinator0",
                email=chair.email,
                roles=frozenset({Role.COORDINATOR}),
                must_change_password=False,
                method=AuthMethod.SESSION,
                credential="bench",
            )
            form = SeriesIn(name="Daily pitstop", place="MASH meeting room", weeks_ahead=2, chair_id=chair_id,
                            minute_taker_id=chair_id)  # fmt: skip
            today = datetime.now(UTC).date() + timedelta(days=30)
            series = await meetings.create_series(conn, actor=coordinator, form=form, origin=Origin(), today=today)
            for n, agency in enumerate(created):
                current = await meetings.series(conn, coordinator, series.id)
                await meetings.add_invitee(
                    conn,
                    actor=coordinator,
                    series_id=series.id,
                    version=current.version,
                    agency_id=agency.id,
                    name=f"Representative {n}",
                    email=f"rep{n}@{domain}",
                    origin=Origin(),
                )
            # Inactive: the server's meeting clock generates nothing more for it, and places nothing.
            await conn.execute("UPDATE meeting_series SET active = false WHERE id = $1", series.id)
            meeting_id = await conn.fetchval(
                "SELECT id FROM meeting WHERE series_id = $1 ORDER BY starts_at LIMIT 1", series.id
            )
            at = datetime.now(UTC) - timedelta(minutes=30)
            for n in range(items):
                body = msgspec.convert(
                    {
                        "police_reference": f"{meeting.reference}/{n:04d}/25",
                        "received_at": (at - timedelta(hours=1)).isoformat(),
                        "incident_at": (at - timedelta(hours=2)).isoformat(),
                        "circumstances": f"Invented for the {slug} benchmark, incident {n}.",
                        "risk": {"tool": "dash", "grade": ("standard", "medium", "high")[n % 3]},
                        "people": [
                            {"role": "victim", "family_name": FAMILY[n % 10], "given_names": GIVEN[n // 10 % 10],
                             "date_of_birth": f"19{70 + n}-0{1 + n % 9}-1{n % 10}"},
                            {"role": "alleged_perpetrator", "family_name": FAMILY[(n + 3) % 10],
                             "given_names": "Craig", "date_of_birth": f"19{60 + n}-0{1 + n % 9}-2{n % 9}"},
                        ],
                    },
                    NotificationIn,
                )  # fmt: skip
                received = await intake.receive(
                    conn, actor=None, partnership_id=p, body=body, source=Source.API, origin=Origin()
                )
                notification_id = received.notification.id
                screening_id = await conn.fetchval(
                    """INSERT INTO screening (partnership_id, notification_id, notification_version, grade, consent,
                                              route, screened_by, screened_at, immediate_protection)
                       VALUES ($1, $2, 1, $3, 'given', 'agenda', $4, $5, false) RETURNING id""",
                    p,
                    notification_id,
                    ("standard", "medium", "high")[n % 3],
                    chair_id,
                    at,
                )
                await conn.execute("UPDATE notification SET status = 'screened' WHERE id = $1", notification_id)
                await agenda_queries.enqueue(conn, p, notification_id, screening_id, at)
            for step in ("publish", "start"):  # publishing places the items and invites the agencies
                version = await conn.fetchval("SELECT version FROM meeting WHERE id = $1", meeting_id)
                await meetings.advance(
                    conn, actor=coordinator, meeting_id=meeting_id, version=version, step=step, origin=Origin()
                )
        placed = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM agenda_item WHERE meeting_id = $1 AND state = 'open' ORDER BY position", meeting_id
            )
        ]
        invited = await conn.fetchval("SELECT count(*) FROM attendance WHERE meeting_id = $1", meeting_id)
        starts_at = await conn.fetchval("SELECT starts_at FROM meeting WHERE id = $1", meeting_id)
    finally:
        await conn.close()
    if len(placed) != items or invited != agencies:
        raise BenchError(
            f"the meeting has {len(placed)} items and {invited} agencies invited: expected {items}, {agencies}"
        )
    print(f"set-up: {agencies} agencies, {members} agency members and {coordinators} coordinators, meeting "
          f"{meeting_id} with {len(placed)} items, published and started "
          f"({time.perf_counter() - started:.1f}s)", flush=True)  # fmt: skip
    return Setup(p, meeting_id, starts_at, placed, [a.id for a in created], users)


# ---- HTTP ---------------------------------------------------------------------------------------


def _cookie(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key == b"set-cookie" and value.startswith(name + b"="):
            return value.split(b";", 1)[0]
    return None


async def sign_in(user: User, port: int) -> None:
    """Sign in through the form, as a browser does; then the CSRF token of a signed-in page. The user
    keeps the connection (user.conn)."""
    conn = await Connection.open(port)
    try:
        async with asyncio.timeout(REQUEST_SECONDS):
            status, headers, body, _ = await conn.exchange_with_headers(get_request(port, "/sign-in"))
            csrf = _cookie(headers, b"__Host-pitstop_csrf")
            token = _CSRF.search(body)
            if status != 200 or csrf is None or token is None:
                raise BenchError(f"GET /sign-in: {status}")
            form = urllib.parse.urlencode(
                {"email": user.email, "password": PASSWORD, "next": "/", "csrf_token": token.group(1).decode()}
            ).encode()
            request = (
                (
                    f"POST /sign-in HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: pitstop-bench\r\n"
                    f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(form)}\r\n"
                ).encode()
                + b"Cookie: "
                + csrf
                + b"\r\n\r\n"
                + form
            )
            status, headers, body, _ = await conn.exchange_with_headers(request)
            session = _cookie(headers, b"__Host-pitstop_session")
            if status != 303 or session is None:
                raise BenchError(f"POST /sign-in as {user.email}: {status}: {body[:200]!r}")
            page = (
                (
                    f"GET /account HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: pitstop-bench\r\n"
                    "Accept: text/html\r\n"
                ).encode()
                + b"Cookie: "
                + session
                + b"\r\n\r\n"
            )
            status, _, body, _ = await conn.exchange_with_headers(page)
            found = _CSRF.search(body)
            if status != 200 or found is None:
                raise BenchError(f"GET /account as {user.email}: {status}, no CSRF token")
    except BaseException:
        conn.close()
        raise
    user.session, user.csrf, user.conn = session, found.group(1).decode(), conn


@dataclass
class Save:
    kind: str  # information, action, close
    phase: str  # warm-up, baseline, load
    user: int
    agency_id: int  # the recording agency (information), the owner (action, close)
    item_id: int | None
    text: str  # the unique summary, description or note sent
    status: int = 0
    seconds: float = 0.0
    request_id: str = ""
    version: int | None = None  # returned
    action_id: int | None = None
    in_flight: int = 0  # other saves waiting for their answer when this one was sent


@dataclass
class Tally:
    acknowledged: list[Save] = field(default_factory=list)
    conflicts: list[Save] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    attempts: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    # agency -> {action id: version} of acknowledged, not yet closed actions (what members may close)
    open_actions: dict[int, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))

    def error(self, save: Save, message: str) -> None:
        self.errors.append(f"{save.phase} {save.kind} by user {save.user}: {message}"[:300])


async def exchange(
    user: User, port: int, method: str, path: str, payload: dict[str, Any], save: Save, tally: Tally
) -> Any | None:
    """Send one save on the user's keep-alive connection, counted in tally.attempts; the JSON body (or the
    first bytes of another), or None when the connection broke or no answer came in REQUEST_SECONDS (an
    error in the tally, the connection dropped). Times it: first byte sent to last byte read. A connection
    idle longer than KEEP_ALIVE_IDLE is replaced first, untimed, as a browser's would be: uvicorn closes one
    idle for 5 s, and a request sent as it does so is lost in the race (a broken connection, never a save)."""
    tally.attempts[save.kind] += 1
    try:
        return await _exchange(user, port, method, path, payload, save, tally)
    except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
        tally.error(save, f"{type(exc).__name__}: {exc}")
        if user.conn is not None:
            user.conn.close()
            user.conn = None
        return None


async def _exchange(
    user: User, port: int, method: str, path: str, payload: dict[str, Any], save: Save, tally: Tally
) -> Any:
    body = json.dumps(payload).encode()
    request = (
        (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: pitstop-bench\r\n"
            f"Accept: application/json\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"X-CSRF-Token: {user.csrf}\r\n"
        ).encode()
        + b"Cookie: "
        + user.session
        + b"\r\n\r\n"
        + body
    )
    if user.conn is not None and time.monotonic() - user.last_used > KEEP_ALIVE_IDLE:
        user.conn.close()
        user.conn = None
    if user.conn is None:
        user.conn = await asyncio.wait_for(Connection.open(port), 5)
    save.in_flight = tally.in_flight
    tally.in_flight += 1
    started = time.perf_counter()
    try:
        async with asyncio.timeout(REQUEST_SECONDS):
            status, headers, answer, close = await user.conn.exchange_with_headers(request)
    finally:
        tally.in_flight -= 1
    save.seconds = time.perf_counter() - started
    user.last_used = time.monotonic()
    save.status = status
    save.request_id = dict(headers).get(b"x-request-id", b"").decode()
    if close:
        user.conn.close()
        user.conn = None
    try:
        parsed = json.loads(answer)
    except ValueError:
        parsed = None
    return answer[:200] if parsed is None else parsed  # None is for no answer: a JSON null comes back as bytes


async def save_paced(
    users: Sequence[User],
    seconds: float,
    pause: tuple[float, float],
    most: int,
    seed: int,
    save: Callable[[User, random.Random], Awaitable[None]],
) -> None:
    """Every user for `seconds`, all at once: `save(user, rng)` after each pause (uniform in `pause`, drawn from
    the user's own random.Random(seed + user.index), which is passed on), at most `most` times; no save starts
    after the deadline. TimeoutError when the saves have not all been answered REQUEST_SECONDS after it."""
    deadline = time.monotonic() + seconds

    async def one(user: User) -> None:
        rng = random.Random(seed + user.index)
        for _ in range(most):
            wait = rng.uniform(*pause)
            if time.monotonic() + wait >= deadline:
                return
            await asyncio.sleep(wait)
            await save(user, rng)

    async with asyncio.timeout(seconds + pause[1] + REQUEST_SECONDS + 5):
        await asyncio.gather(*(one(u) for u in users))
