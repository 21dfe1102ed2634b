-- The morning action reminder (pitstop.actions.reminders): one row per agency and day, taken before the
-- emails are queued, so two processes or a restart never send the same morning's reminder twice.
CREATE TABLE action_reminder (
    partnership_id bigint NOT NULL REFERENCES partnership (id),
    agency_id      bigint NOT NULL REFERENCES agency (id),
    day            date NOT NULL,
    queued_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency_id, day)
);

GRANT SELECT, INSERT ON action_reminder TO pitstop_app;
