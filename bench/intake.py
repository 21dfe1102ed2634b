"""intake: notifications per second through POST /api/v1/notifications, against plain SQL.

1,000 distinct notifications (a victim, an alleged perpetrator and a child each) are posted by 10
concurrent clients with an API token, to Pitstop as production runs it. The baseline inserts the
same rows (notification, its people, its first version) with plain SQL from this process, over
10 connections, one transaction per notification. The ratio prices everything intake adds:
HTTP, validation, the rules, idempotency, the working-day clock, the audit row. Target >= 0.3.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from datetime import UTC, datetime, timedelta

from bench._accounts import arrange
from bench._common import BenchError, Comparison, Connection, Context

DESCRIPTION = "notifications/s posted to the API by 10 clients vs the same rows inserted by plain SQL"
COUNT = 1000
CLIENTS = 10
TARGET = 0.30


def _body(n: int, prefix: str) -> dict:
    received = datetime(2026, 11, 24, 2, 10, tzinfo=UTC) + timedelta(minutes=n)
    return {
        "police_reference": f"{prefix}/{n:05d}/26",
        "received_at": received.isoformat(),
        "circumstances": "Caller reports partner shouting and throwing items; children in the house.",
        "address": f"{n} Quillon Close",
        "postcode": "NF8 9QX",
        "injuries": n % 2 == 0,
        "strangulation": n % 7 == 0,
        "arrest_made": True,
        "risk": {"tool": "dash", "grade": ("standard", "medium", "high")[n % 3], "yes_count": n % 20},
        "people": [
            {"role": "victim", "family_name": "Marsh", "given_names": "Kelly", "date_of_birth": "1994-02-03"},
            {"role": "alleged_perpetrator", "family_name": "Dunmore", "given_names": "Craig"},
            {"role": "child", "family_name": "Marsh", "given_names": "Tyler", "present": True},
        ],
    }


async def _arrange(owner_url: str) -> tuple[int, str]:
    people = [("feed@intake.example", "Police feed", "coordinator")]
    arranged = await arrange(
        owner_url, "intake", people, "a bench feed passphrase", token_scopes=["notifications:write"]
    )
    assert arranged.token is not None
    return arranged.partnership_id, arranged.token


async def _post_all(port: int, secret: str, bodies: list[bytes]) -> tuple[float, list[str]]:
    errors: list[str] = []
    queue = list(reversed(bodies))

    async def client() -> None:
        conn = await Connection.open(port)
        try:
            while queue:
                body = queue.pop()
                request = (
                    f"POST /api/v1/notifications HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                    f"Authorization: Bearer {secret}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                ).encode() + body
                status, _, _ = await conn.exchange(request)
                if status != 201:
                    errors.append(f"POST: {status}")
        finally:
            conn.close()

    started = time.perf_counter()
    async with asyncio.timeout(120):
        await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return time.perf_counter() - started, errors


async def _insert_all(app_url: str, partnership_id: int, bodies: list[dict]) -> float:
    """The same rows by plain SQL: a notification, its three people, its first version."""
    import asyncpg

    queue = list(reversed(bodies))

    async def worker() -> None:
        conn = await asyncpg.connect(app_url)
        try:
            while queue:
                body = queue.pop()
                async with conn.transaction():
                    notification_id = await conn.fetchval(
                        """INSERT INTO notification (partnership_id, police_reference, source, received_at,
                               circumstances, address, postcode, injuries, strangulation, arrest_made, risk_tool,
                               risk_yes_count, officer_grade, content_hash, screening_due_at)
                           VALUES ($1, $2, 'api', $3, $4, $5, $6, $7, $8, $9, 'dash', $10, $11, $12, $3)
                           RETURNING id""",
                        partnership_id,
                        body["police_reference"],
                        datetime.fromisoformat(body["received_at"]),
                        body["circumstances"],
                        body["address"],
                        body["postcode"],
                        body["injuries"],
                        body["strangulation"],
                        body["arrest_made"],
                        body["risk"]["yes_count"],
                        body["risk"]["grade"],
                        "0" * 64,
                    )
                    await conn.executemany(
                        """INSERT INTO notification_person (notification_id, position, role, family_name,
                               given_names) VALUES ($1, $2, $3, $4, $5)""",
                        [
                            (notification_id, i, p["role"], p["family_name"], p.get("given_names"))
                            for i, p in enumerate(body["people"], start=1)
                        ],
                    )
                    await conn.execute(
                        """INSERT INTO notification_version (notification_id, version, body, source)
                           VALUES ($1, 1, $2::jsonb, 'api')""",
                        notification_id,
                        json.dumps(body),
                    )
        finally:
            await conn.close()

    started = time.perf_counter()
    async with asyncio.timeout(120):
        await asyncio.gather(*(worker() for _ in range(CLIENTS)))
    return time.perf_counter() - started


ROUNDS = 3
WARMUP = 200


async def run(ctx: Context) -> list[Comparison]:
    db = await ctx.database()
    partnership_id, secret = await _arrange(db.owner_url)
    api_rates, sql_rates, errors = [], [], []
    async with ctx.pitstop(log_level="INFO") as server:
        # Warm both up (connections, prepared statements), then alternate rounds of 1,000 each.
        await _post_all(server.port, secret, [json.dumps(_body(n, "WARM")).encode() for n in range(WARMUP)])
        await _insert_all(db.url(), partnership_id, [_body(n, "WARMSQL") for n in range(WARMUP)])
        for round_ in range(ROUNDS):
            posted = [json.dumps(_body(n, f"API{round_}")).encode() for n in range(COUNT)]
            seconds, failed = await _post_all(server.port, secret, posted)
            errors += failed
            api_rates.append(COUNT / seconds)
            sql_rates.append(
                COUNT / await _insert_all(db.url(), partnership_id, [_body(n, f"SQL{round_}") for n in range(COUNT)])
            )
            print(f"round {round_ + 1}: API {api_rates[-1]:.0f}/s, plain SQL {sql_rates[-1]:.0f}/s")
    if errors and len(errors) >= COUNT:
        raise BenchError(f"posts failed: {errors[0]}")
    api_rate, sql_rate = statistics.median(api_rates), statistics.median(sql_rates)
    print(f"{COUNT} notifications a round, {CLIENTS} clients, medians of {ROUNDS} rounds")
    return [
        Comparison(
            name="intake",
            subject="POST /api/v1/notifications",
            subject_value=api_rate,
            baseline="plain SQL",
            baseline_value=sql_rate,
            unit="notifications/s",
            ratio=api_rate / sql_rate,
            target=TARGET,
            errors=len(errors),
            note=f"first error: {errors[0]}" if errors else "",
        )
    ]
