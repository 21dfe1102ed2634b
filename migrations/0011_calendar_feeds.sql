-- An ended invite UID keeps the length the series had when it ended (pitstop.invites).
GRANT UPDATE (length_minutes) ON series_invite TO pitstop_app;

-- Ending a meeting series (its future meetings are cancelled and calendars get a CANCEL of its UID),
-- and personal calendar subscription feeds (pitstop.invites.feeds).
ALTER TABLE meeting_series ADD COLUMN ended_at timestamptz;
ALTER TABLE meeting_series ADD COLUMN ended_reason text;
ALTER TABLE meeting_series ADD CONSTRAINT meeting_series_ended_has_reason
    CHECK ((ended_at IS NULL) = (ended_reason IS NULL) AND (ended_at IS NULL OR NOT active));

-- A feed's address holds a secret token, shown once; only its SHA-256 is kept. A user has at most one
-- feed that works: a new one revokes the old. A feed lists only the meetings its user is invited to.
CREATE TABLE calendar_feed (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id bigint NOT NULL REFERENCES partnership (id),
    user_id        bigint NOT NULL REFERENCES app_user (id),
    token_hash     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_read_at   timestamptz,
    revoked_at     timestamptz,
    CONSTRAINT calendar_feed_token_hash_key UNIQUE (token_hash),
    CONSTRAINT calendar_feed_token_hash_format CHECK (token_hash ~ '^[0-9a-f]{64}$')
);
CREATE UNIQUE INDEX calendar_feed_one_per_user ON calendar_feed (user_id) WHERE revoked_at IS NULL;

GRANT SELECT, INSERT ON calendar_feed TO pitstop_app;
GRANT UPDATE (last_read_at, revoked_at) ON calendar_feed TO pitstop_app;
