"""The runner: `python -m bench [NAME ...]` runs the named benchmarks (all by default), one after another.

Each benchmark is a module in this package with DESCRIPTION and `async def run(ctx) -> list[Comparison]`;
register it in BENCHMARKS. The run shares one embedded PostgreSQL (started on first use, stopped
at the end) and one scratch directory (deleted at the end).

Exit status: 0 when every benchmark was measured (whatever the ratios), 1 with --strict when a ratio
missed its target, 2 when a benchmark could not be measured or had errors (non-200 answers and the like).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import time
import traceback
from collections.abc import Sequence

from bench._common import BenchError, Comparison, Context, Options, scratch_directory

# name -> module; run in this order.
BENCHMARKS = {
    "readyz": "bench.readyz",
    "signin": "bench.signin",
    "intake": "bench.intake",
    "import": "bench.import_extract",
    "linkage": "bench.linkage",
    "agenda": "bench.agenda",
    "records": "bench.records",
    "live": "bench.live",
    "minutes": "bench.minutes",
    "dashboard": "bench.dashboard",
}
# The whole run stops itself after this long, whatever happens.
RUN_TIMEOUT_SECONDS = 900.0  # every benchmark together: about 9-10 minutes since the dashboard one
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run Pitstop's benchmarks; each prints a ratio against a baseline measured in the same run.",
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all: {', '.join(BENCHMARKS)})"
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a ratio misses its target")
    parser.add_argument(
        "--seconds", type=float, default=Options.seconds, help="length of one measured round (default: %(default)s)"
    )
    parser.add_argument(
        "--rounds", type=int, default=Options.rounds, help="measured rounds per side (default: %(default)s)"
    )
    parser.add_argument(
        "--warmup", type=float, default=Options.warmup, help="warm-up seconds per side (default: %(default)s)"
    )
    parser.add_argument(
        "--connections", type=int, default=Options.connections, help="concurrent connections (default: %(default)s)"
    )
    parser.add_argument(
        "--log-level",
        default=",".join(Options.log_levels),
        help="PITSTOP_LOG_LEVEL of the Pitstop under test; a comma-separated list measures each, "
        "e.g. WARNING,INFO (production logs at INFO: one access-log line a request) (default: %(default)s)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (server logs) for inspection")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each round as it finishes")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list:
        for name, module in BENCHMARKS.items():
            print(f"{name:<12} {importlib.import_module(module).DESCRIPTION}")
        return 0
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)} (known: {', '.join(BENCHMARKS)})")
    levels = tuple(level.strip().upper() for level in args.log_level.split(",") if level.strip())
    if not levels or any(level not in LOG_LEVELS for level in levels):
        parser.error(f"--log-level: one or more of {', '.join(LOG_LEVELS)}, comma-separated")
    if args.seconds <= 0 or args.rounds < 1 or args.warmup < 0 or args.connections < 1:
        parser.error("--seconds, --rounds and --connections must be positive, --warmup not negative")
    options = Options(
        seconds=args.seconds,
        rounds=args.rounds,
        warmup=args.warmup,
        connections=args.connections,
        log_levels=tuple(dict.fromkeys(levels)),
        verbose=args.verbose,
    )
    names = args.names or list(BENCHMARKS)
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:  # uvicorn[standard] brings it; the benchmark still runs without
        loop_factory = None
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            comparisons, failed = runner.run(_run(names, options, keep=args.keep))
    except KeyboardInterrupt:  # the servers and the database were stopped on the way out
        print("interrupted", file=sys.stderr)
        return 130
    print()
    for comparison in comparisons:
        print(comparison.line())
    for name, reason in failed:
        print(f"{name}: not measured: {reason}")
    if failed or any(c.errors for c in comparisons):
        return 2
    if args.strict and any(c.verdict != "PASS" for c in comparisons):
        return 1
    return 0


async def _run(names: Sequence[str], options: Options, *, keep: bool) -> tuple[list[Comparison], list[tuple[str, str]]]:
    comparisons: list[Comparison] = []
    failed: list[tuple[str, str]] = []
    started = time.monotonic()
    with scratch_directory(keep=keep) as workdir:
        ctx = Context(options, workdir)
        try:
            async with asyncio.timeout(RUN_TIMEOUT_SECONDS):
                for name in names:
                    module = importlib.import_module(BENCHMARKS[name])
                    print(f"== {name}: {module.DESCRIPTION}", flush=True)
                    try:
                        comparisons.extend(await module.run(ctx))
                    except BenchError as exc:
                        failed.append((name, str(exc)))
                    except Exception as exc:
                        traceback.print_exc()
                        failed.append((name, f"{type(exc).__name__}: {exc}"))
                    print(flush=True)
        except TimeoutError:
            failed.append(("run", f"stopped after {RUN_TIMEOUT_SECONDS:.0f}s"))
        finally:
            await ctx.close()
    print(f"(run took {time.monotonic() - started:.0f}s)")
    return comparisons, failed


if __name__ == "__main__":
    sys.exit(main())
