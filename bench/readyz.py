"""readyz: requests per second of Pitstop's GET /readyz against a bare Litestar app answering the same query.

Both answer with one query (`SELECT version, checksum FROM pitstop_schema_migration ...`) on the
same embedded PostgreSQL, so the ratio is what Pitstop's own layers (middleware, guards, logging,
exception handling, dependency injection) cost on a minimal request that touches the database.
"""

from __future__ import annotations

import contextlib

from bench._common import (
    BenchError,
    Comparison,
    Context,
    Side,
    alternate,
    json_body,
    median_cpu_us,
    median_rps,
    print_rounds,
    steady_rounds,
)

DESCRIPTION = "rps of Pitstop's /readyz (one query) vs a bare Litestar app running the same query"
PATH = "/readyz"
TARGET = 0.80
BASELINE = "bare litestar"


async def run(ctx: Context) -> list[Comparison]:
    options = ctx.options
    async with contextlib.AsyncExitStack() as stack:
        bare = await stack.enter_async_context(ctx.bare_app(ready_path=PATH))
        expected = bare.ready_body
        sides = [Side(BASELINE, bare.port, PATH, expect_body=expected, pid=bare.process.pid)]
        for level in options.log_levels:
            pitstop = await stack.enter_async_context(ctx.pitstop(log_level=level, ready_path=PATH))
            body = pitstop.ready_body
            if json_body(body) != json_body(expected):
                raise BenchError(f"pitstop answers {body!r} but the baseline {expected!r}: not the same work")
            # Same JSON, possibly different key order or spacing: check each side against its own.
            sides.append(Side(_subject(level), pitstop.port, PATH, expect_body=body, pid=pitstop.process.pid))
        print(
            f"GET {PATH}: {options.connections} keep-alive connections, warm-up {options.warmup:g} s per side, "
            f"then {options.rounds} rounds x {options.seconds:g} s per side, alternating"
        )
        rounds = await alternate(sides, options)
    print_rounds(rounds, steady_only=True)

    baseline_rounds, baseline_busy = steady_rounds(rounds[BASELINE])
    baseline = median_rps(baseline_rounds)
    baseline_errors = sum(r.errors for r in rounds[BASELINE])
    comparisons = []
    for level in options.log_levels:
        subject_rounds, subject_busy = steady_rounds(rounds[_subject(level)])
        value = median_rps(subject_rounds)
        # Server CPU per request, baseline over pitstop: the same question, barely moved by other load.
        cpu_ratio = median_cpu_us(baseline_rounds) / median_cpu_us(subject_rounds)
        note = f"cpu/request ratio {cpu_ratio:.2f}"
        if baseline_busy or subject_busy:
            note += "; machine busy during most rounds: rps ratio unreliable, rerun when it is idle"
        comparisons.append(
            Comparison(
                name="readyz" if level == "INFO" else f"readyz[log {level}]",
                subject="pitstop",
                subject_value=value,
                baseline=BASELINE,
                baseline_value=baseline,
                unit="rps",
                ratio=value / baseline if baseline else 0.0,
                target=TARGET,
                errors=baseline_errors + sum(r.errors for r in rounds[_subject(level)]),
                note=note,
            )
        )
    return comparisons


def _subject(level: str) -> str:
    return f"pitstop ({level})"
