"""Password hashing (argon2id, off the event loop) and the password rules."""

from __future__ import annotations

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 256

# argon2-cffi's defaults are RFC 9106's low-memory profile for argon2id.
_hasher = PasswordHasher()
# Hashing is deliberately slow and CPU-bound: at most two at a time (this is a 2-core service), so
# a burst of sign-ins queues instead of starving every other request of CPU.
_limiter = anyio.CapacityLimiter(2)
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
    return await anyio.to_thread.run_sync(_hasher.hash, password, limiter=_limiter)


async def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if the password matches. With no stored hash, spends the same time and says False."""

    def verify() -> bool:
        try:
            return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(verify, limiter=_limiter)


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
