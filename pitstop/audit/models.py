"""Audit actions and events."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec


class AuditAction(StrEnum):
    """Every audited event. Later features add theirs (case views, changes, downloads)."""

    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_IN_THROTTLED = "sign_in_throttled"
    SIGN_OUT = "sign_out"
    SESSION_EXPIRED = "session_expired"
    PASSWORD_CHANGED = "password_changed"
    USER_CREATED = "user_created"
    USER_UPDATED = "user_updated"
    USER_DEACTIVATED = "user_deactivated"
    USER_REACTIVATED = "user_reactivated"
    USER_PASSWORD_RESET = "user_password_reset"
    USER_SESSIONS_ENDED = "user_sessions_ended"
    TOKEN_CREATED = "token_created"
    TOKEN_REVOKED = "token_revoked"
    PARTNERSHIP_CREATED = "partnership_created"
    AGENCY_CREATED = "agency_created"
    AGENCY_UPDATED = "agency_updated"
    AUDIT_VIEWED = "audit_viewed"
    CLOSURE_DAY_ADDED = "closure_day_added"
    CLOSURE_DAY_REMOVED = "closure_day_removed"
    WORKING_PATTERN_UPDATED = "working_pattern_updated"
    NOTIFICATION_RECEIVED = "notification_received"
    NOTIFICATION_UPDATED = "notification_updated"
    NOTIFICATION_VIEWED = "notification_viewed"
    NOTIFICATIONS_LISTED = "notifications_listed"
    NOTIFICATION_SCREENED = "notification_screened"
    NOTIFICATIONS_IMPORTED = "notifications_imported"
    IMPORT_VIEWED = "import_viewed"
    IMPORTS_LISTED = "imports_listed"
    IMPORT_TEMPLATE_DOWNLOADED = "import_template_downloaded"
    IMPORT_MAPPING_UPDATED = "import_mapping_updated"
    PERSON_VIEWED = "person_viewed"
    PERSON_LINK_CONFIRMED = "person_link_confirmed"
    PERSON_SPLIT = "person_split"
    PERSON_MERGED = "person_merged"
    REPEAT_RULE_UPDATED = "repeat_rule_updated"
    MEETING_SERIES_CREATED = "meeting_series_created"
    MEETING_SERIES_UPDATED = "meeting_series_updated"
    MEETING_SERIES_VIEWED = "meeting_series_viewed"
    SERIES_INVITEE_ADDED = "series_invitee_added"
    SERIES_INVITEE_REMOVED = "series_invitee_removed"
    MEETINGS_LISTED = "meetings_listed"
    MEETING_VIEWED = "meeting_viewed"
    MEETING_ADDED = "meeting_added"
    MEETING_MOVED = "meeting_moved"
    MEETING_CANCELLED = "meeting_cancelled"
    MEETING_PEOPLE_CHANGED = "meeting_people_changed"
    MEETING_STARTED = "meeting_started"
    MEETING_HELD = "meeting_held"
    AGENDA_VIEWED = "agenda_viewed"
    AGENDA_ITEM_ADDED = "agenda_item_added"
    AGENDA_ITEM_REMOVED = "agenda_item_removed"
    AGENDA_ITEM_DEFERRED = "agenda_item_deferred"
    AGENDA_REORDERED = "agenda_reordered"
    AGENDA_PUBLISHED = "agenda_published"
    AGENDA_RULES_UPDATED = "agenda_rules_updated"
    ATTENDANCE_RECORDED = "attendance_recorded"
    OBSERVER_ADDED = "observer_added"
    OUTBOX_VIEWED = "outbox_viewed"
    CALENDAR_DOWNLOADED = "calendar_downloaded"
    MEETING_SERIES_ENDED = "meeting_series_ended"
    CALENDAR_FEED_CREATED = "calendar_feed_created"
    CALENDAR_FEED_REVOKED = "calendar_feed_revoked"
    CALENDAR_FEED_READ = "calendar_feed_read"
    MAIL_SENT = "mail_sent"
    MAIL_GIVEN_UP = "mail_given_up"
    INFORMATION_VIEWED = "information_viewed"
    INFORMATION_RECORDED = "information_recorded"
    DECISION_RECORDED = "decision_recorded"
    DECISION_VIEWED = "decision_viewed"
    OUTCOMES_UPDATED = "outcomes_updated"
    LIVE_STREAM_OPENED = "live_stream_opened"
    DISCUSSION_MOVED = "discussion_moved"  # the chair moved the meeting to another item
    MINUTES_APPROVED = "minutes_approved"
    MINUTES_CORRECTION_OPENED = "minutes_correction_opened"
    MINUTES_DOWNLOADED = "minutes_downloaded"  # also in the disclosure log (minutes_disclosure)
    MINUTES_VIEWED = "minutes_viewed"  # the minutes list
    DASHBOARD_VIEWED = "dashboard_viewed"  # counts only, but a view like any other
    ACTION_CREATED = "action_created"
    ACTION_VIEWED = "action_viewed"
    ACTIONS_LISTED = "actions_listed"
    ACTION_COMPLETED = "action_completed"
    ACTION_REASSIGNED = "action_reassigned"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class AuditEvent(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    occurred_at: datetime
    partnership_id: int | None
    user_id: int | None
    user_name: str | None
    agency_id: int | None
    agency_name: str | None
    action: str
    record_type: str | None
    record_id: str | None
    request_id: str | None
    client_addr: str | None
    detail: dict[str, Any]


class AuditFilter(msgspec.Struct, frozen=True, kw_only=True):
    action: str | None = None
    user_id: int | None = None
    record_type: str | None = None
    record_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None  # keyset paging: events older than this id
    limit: int = 50
