-- What changed in a meeting, for its live screens (pitstop.live): ids only, never content. Each change
-- writes a row in its own transaction and NOTIFYs the row's id (delivered on commit, to every process);
-- a stream that reconnects reads the rows after the last id it had, so it misses nothing.
CREATE TABLE meeting_event (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id bigint NOT NULL,
    meeting_id     bigint NOT NULL,
    -- meeting (state, current item), item (the agenda), information, decision, action
    kind           text NOT NULL,
    item_id        bigint,
    record_id      bigint,
    at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT meeting_event_meeting_fkey FOREIGN KEY (partnership_id, meeting_id)
        REFERENCES meeting (partnership_id, id),
    CONSTRAINT meeting_event_kind_known CHECK (kind IN ('meeting', 'item', 'information', 'decision', 'action'))
);
CREATE INDEX meeting_event_meeting_idx ON meeting_event (meeting_id, id);

GRANT SELECT, INSERT ON meeting_event TO pitstop_app;
