-- Calendar invites for each meeting series (pitstop.invites). A series has one current invite UID; a
-- change of its weekdays or start time ends that UID (UNTIL) and starts a new one, since strict
-- calendar clients break on a rewritten recurrence. Each row keeps the rule it was sent with, so an
-- occurrence's RECURRENCE-ID (its day at that rule's start time) is always the one calendars hold.
CREATE TABLE series_invite (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id bigint NOT NULL,
    series_id      bigint NOT NULL,
    uid            text NOT NULL,
    sequence       integer NOT NULL DEFAULT 0,
    first_day      date NOT NULL,
    -- The last day this UID covers; NULL for the current one.
    until          date,
    weekdays       smallint[] NOT NULL,
    starts_at      time NOT NULL,
    length_minutes integer NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT series_invite_series_fkey FOREIGN KEY (partnership_id, series_id)
        REFERENCES meeting_series (partnership_id, id),
    CONSTRAINT series_invite_uid_key UNIQUE (uid),
    CONSTRAINT series_invite_until_after_first CHECK (until IS NULL OR until >= first_day - 1)
);
CREATE UNIQUE INDEX series_invite_current_key ON series_invite (series_id) WHERE until IS NULL;

GRANT SELECT, INSERT ON series_invite TO pitstop_app;
GRANT UPDATE (sequence, until) ON series_invite TO pitstop_app;
