-- Minutes (pitstop.minutes). A held meeting's minutes are a draft, read afresh from its record, until a
-- coordinator or the chair approves them: the approved version is stored as a snapshot and locked, and
-- recording on the meeting closes. A correction opens a new version (with its reason), which reopens
-- recording until it is approved in turn. Every approved version stays as it was approved.
CREATE TABLE minutes (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id    bigint NOT NULL,
    meeting_id        bigint NOT NULL,
    version           integer NOT NULL,
    state             text NOT NULL DEFAULT 'draft',
    correction_reason text,
    snapshot          jsonb,
    opened_by         bigint REFERENCES app_user (id),
    opened_at         timestamptz NOT NULL DEFAULT now(),
    approved_by       bigint REFERENCES app_user (id),
    approved_at       timestamptz,
    CONSTRAINT minutes_meeting_fkey FOREIGN KEY (partnership_id, meeting_id) REFERENCES meeting (partnership_id, id),
    CONSTRAINT minutes_version_key UNIQUE (meeting_id, version),
    CONSTRAINT minutes_state_known CHECK (state IN ('draft', 'approved')),
    CONSTRAINT minutes_approved_complete CHECK (
        state <> 'approved' OR (snapshot IS NOT NULL AND approved_at IS NOT NULL AND approved_by IS NOT NULL)
    ),
    CONSTRAINT minutes_correction_has_reason CHECK (
        version = 1 OR (correction_reason IS NOT NULL AND length(btrim(correction_reason)) > 0)
    ),
    CONSTRAINT minutes_snapshot_object CHECK (snapshot IS NULL OR jsonb_typeof(snapshot) = 'object')
);
-- One version open at a time.
CREATE UNIQUE INDEX minutes_one_draft_idx ON minutes (meeting_id) WHERE state = 'draft';

-- The disclosure log: every download of minutes is a share (DOMAIN.md, "record every share"). Who, which
-- meeting, which version, which copy (the full minutes, or an agency's), when. Written, never changed.
CREATE TABLE minutes_disclosure (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id  bigint NOT NULL REFERENCES partnership (id),
    meeting_id      bigint NOT NULL,
    version         integer NOT NULL,
    state           text NOT NULL,
    copy_agency_id  bigint REFERENCES agency (id),  -- NULL: the full minutes
    user_id         bigint REFERENCES app_user (id),
    token_id        bigint,
    user_agency_id  bigint REFERENCES agency (id),
    request_id      text,
    disclosed_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT minutes_disclosure_meeting_fkey FOREIGN KEY (partnership_id, meeting_id)
        REFERENCES meeting (partnership_id, id),
    CONSTRAINT minutes_disclosure_state_known CHECK (state IN ('draft', 'approved'))
);
CREATE INDEX minutes_disclosure_meeting_idx ON minutes_disclosure (meeting_id, id);

GRANT SELECT, INSERT, UPDATE ON minutes TO pitstop_app;
GRANT SELECT, INSERT ON minutes_disclosure TO pitstop_app;
