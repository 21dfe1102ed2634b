"""signin: does signing in keep the service responsive?

Password hashing (argon2id) is slow on purpose. Pitstop runs it in worker threads, at most two at
a time, so that a burst of sign-ins queues instead of stalling the event loop. This measures the
p99 latency of GET /healthz on one keep-alive connection while 20 sign-ins are in flight, against
the same p99 with none, in the same run on the same server. Target: at most 5 times the idle p99
(a ratio, idle / loaded, of at least 0.20).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
import urllib.parse

from bench._accounts import arrange
from bench._common import BenchError, Comparison, Connection, Context, get_request

DESCRIPTION = "p99 of /healthz with 20 sign-ins in flight vs its p99 with none"
IN_FLIGHT = 20
TARGET = 0.20  # idle p99 / loaded p99: the loaded p99 at most 5x the idle one
PASSWORD = "bench sign-in passphrase"
PROBE_PATH = "/healthz"
_CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')


async def _create_users(owner_url: str, count: int) -> list[str]:
    people = [(f"signin{n}@bench.example", f"Bench User {n}", "agency_member") for n in range(count)]
    return (await arrange(owner_url, "bench", people, PASSWORD)).emails


def _cookie(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key == b"set-cookie" and value.startswith(name + b"="):
            return value.split(b";", 1)[0]
    return None


async def _sign_in_forever(port: int, email: str, stop: asyncio.Event, done: list[int], errors: list[str]) -> None:
    """Sign in again and again, as a browser does: fetch the form, post it, expect a session."""
    conn = await Connection.open(port)
    try:
        while not stop.is_set():
            status, headers, body, _ = await conn.exchange_with_headers(get_request(port, "/sign-in"))
            csrf_cookie = _cookie(headers, b"__Host-pitstop_csrf")
            token = _CSRF.search(body)
            if status != 200 or csrf_cookie is None or token is None:
                errors.append(f"GET /sign-in: {status}")
                return
            form = urllib.parse.urlencode(
                {"email": email, "password": PASSWORD, "next": "/", "csrf_token": token.group(1).decode()}
            ).encode()
            request = (
                (
                    f"POST /sign-in HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: pitstop-bench\r\n"
                    f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(form)}\r\n"
                ).encode()
                + b"Cookie: "
                + csrf_cookie
                + b"\r\n\r\n"
                + form
            )
            status, headers, _, _ = await conn.exchange_with_headers(request)
            if status != 303 or _cookie(headers, b"__Host-pitstop_session") is None:
                errors.append(f"POST /sign-in: {status}")
                return
            done.append(1)
    finally:
        conn.close()


async def _probe(port: int, seconds: float, errors: list[str]) -> list[float]:
    """GET /healthz back to back on one keep-alive connection; each latency in milliseconds."""
    conn = await Connection.open(port)
    latencies = []
    request = get_request(port, PROBE_PATH)
    deadline = time.perf_counter() + seconds
    try:
        while time.perf_counter() < deadline and len(latencies) < 200_000:
            started = time.perf_counter()
            status, _, _ = await conn.exchange(request)
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 200:
                errors.append(f"GET {PROBE_PATH}: {status}")
            # A probe, not a load: a request every 2 ms keeps the server's idle p99 honest.
            await asyncio.sleep(0.002)
    finally:
        conn.close()
    return latencies


def _lower_priority() -> None:
    os.nice(10)


def _p99(latencies: list[float]) -> float:
    if not latencies:
        raise BenchError("no probe answered")
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def _load(port: int, emails: list[str], seconds: float) -> dict[str, object]:
    """The sign-in load itself (run in its own process, see below)."""
    stop = asyncio.Event()
    done: list[int] = []
    errors: list[str] = []
    workers = [asyncio.create_task(_sign_in_forever(port, email, stop, done, errors)) for email in emails]
    await asyncio.sleep(seconds)
    stop.set()
    async with asyncio.timeout(30):
        await asyncio.gather(*workers)
    return {"signed_in": len(done), "errors": errors}


async def run(ctx: Context) -> list[Comparison]:
    options = ctx.options
    db = await ctx.database()
    emails = await _create_users(db.owner_url, IN_FLIGHT)
    seconds = max(3.0, options.seconds * 3)
    errors: list[str] = []
    async with ctx.pitstop(log_level="INFO", ready_path=PROBE_PATH) as server:
        await _probe(server.port, options.warmup, errors)  # warm-up
        idle = await _probe(server.port, seconds, errors)
        # The sign-ins come from another process, so the probe's own latency is not inflated by the
        # work of parsing their pages on the same event loop; and at a lower priority, because it
        # stands for 20 browsers elsewhere, which would not take CPU from the server.
        load = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.signin",
            str(server.port),
            str(seconds + 2.0),
            *emails,
            stdout=asyncio.subprocess.PIPE,
            preexec_fn=_lower_priority,
        )
        await asyncio.sleep(1.0)  # every worker has a sign-in in flight before we measure
        loaded = await _probe(server.port, seconds, errors)
        async with asyncio.timeout(60):
            output, _ = await load.communicate()
        if load.returncode != 0:
            raise BenchError(f"the sign-in load process exited with {load.returncode}")
        result = json.loads(output)
        errors += result["errors"]
        idle += await _probe(server.port, seconds, errors)  # idle again afterwards
    idle_p99, loaded_p99 = _p99(idle), _p99(loaded)
    rate = result["signed_in"] / (seconds + 2.0)
    print(
        f"{IN_FLIGHT} sign-ins in flight: {rate:.1f} sign-ins/s completed; /healthz p99 {loaded_p99:.2f} ms "
        f"({len(loaded)} probes) against {idle_p99:.2f} ms idle ({len(idle)} probes)"
    )
    return [
        Comparison(
            name="signin",
            subject=f"healthz p99 with {IN_FLIGHT} sign-ins",
            subject_value=loaded_p99,
            baseline="idle p99",
            baseline_value=idle_p99,
            unit="ms",
            ratio=idle_p99 / loaded_p99,
            target=TARGET,
            errors=len(errors),
            note=f"loaded p99 is {loaded_p99 / idle_p99:.1f}x idle (target <= 5x)"
            + (f"; first error: {errors[0]}" if errors else ""),
        )
    ]


if __name__ == "__main__":
    # python -m bench.signin PORT SECONDS EMAIL...: the load process; prints what it did as JSON.
    port_arg, seconds_arg, *email_args = sys.argv[1:]
    print(json.dumps(asyncio.run(_load(int(port_arg), email_args, float(seconds_arg)))))
