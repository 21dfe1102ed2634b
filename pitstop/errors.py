"""Errors the service layer raises; the web layer turns them into 404, 403, 409 and 422 answers.

Services never import Litestar: they say what went wrong in domain terms.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ServiceError(Exception):
    pass


class NotFound(ServiceError):
    """The record does not exist *for this user*: another partnership's, or outside their need to know.

    Both answer the same 404, so nobody learns that a record they may not see exists.
    """


class Forbidden(ServiceError):
    """The user's role may not do this at all (an admin page for an agency member): 403."""


class Conflict(ServiceError):
    """Someone else changed the record first: 409 with the current state, never a silent overwrite."""

    def __init__(self, message: str, current: Any = None, submitted: Any = None) -> None:
        super().__init__(message)
        self.current = current
        self.submitted = submitted  # what the refused request asked for, shown beside the current version


class Invalid(ServiceError):
    """Input that breaks a rule, by field: {'email': 'Enter an email address in the correct format'}."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = dict(errors)
