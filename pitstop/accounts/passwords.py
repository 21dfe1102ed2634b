"""Password hashing (argon2id, off the event loop) and the password rules."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

T = TypeVar("T")

MIN_LENGTH = 12
MAX_LENGTH = 256

# argon2id with RFC 9106's low-memory profile's time and memory (t=3, 64 MiB), in one lane. Four
# lanes (argon2-cffi's default) start four threads per hash; on a 2-core server two hashes at once
# then delayed the event loop by ~3 ms at p99, against under 1 ms with one lane, for the same
# sign-ins per second (bench/signin.py). Hashes made with other parameters still verify, and are
# re-hashed at the user's next sign-in (needs_rehash).
_hasher = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=1)


def _lower_priority() -> None:
    # Hashing is slow on purpose and CPU-bound. On its own threads, scheduled only when no other
    # thread wants the CPU (Linux SCHED_IDLE; argon2's own worker threads inherit it), a burst of
    # sign-ins uses spare CPU without delaying the thread that answers every other request.
    tid = threading.get_native_id()
    try:
        os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
    except (OSError, AttributeError):  # not Linux: the next best thing
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, tid, 19)


# Two at a time: more would only queue on a 2-core machine. argon2-cffi releases the GIL.
_hashing = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pitstop-argon2", initializer=_lower_priority)


async def _run(fn: Callable[..., T], *args: object) -> T:
    return await asyncio.get_running_loop().run_in_executor(_hashing, fn, *args)


# Verified when the account does not exist, so that answer takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("pitstop-timing-equaliser")


def problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why this password is not acceptable, or None. Messages follow the GOV.UK pattern."""
    if len(password) < MIN_LENGTH:
        return f"Password must be {MIN_LENGTH} characters or more"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    lowered = password.lower()
    if email and lowered == email.lower():
        return "Password must not be your email address"
    if name and lowered == name.lower():
        return "Password must not be your name"
    if len(set(password)) < 4:
        return "Password must not repeat the same few characters"
    return None


async def hash_password(password: str) -> str:
    return await _run(_hasher.hash, password)


async def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if the password matches. With no stored hash, spends the same time and says False."""

    def verify() -> bool:
        try:
            return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await _run(verify)


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
