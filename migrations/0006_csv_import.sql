-- The police's daily CSV extract: what it carries that a keyed notification did not, each
-- partnership's mapping from its force's header names, and a record of every import.

-- What the police recorded, not a screening decision: the coordinator still decides consent.
ALTER TABLE notification
    ADD COLUMN address_withheld   boolean NOT NULL DEFAULT false,
    ADD COLUMN consent_to_share   boolean,
    ADD COLUMN victim_aware       boolean,
    -- The officer's own words on safe contact ("Not safe to call; use IDVA"): never read as "safe".
    ADD COLUMN safe_contact_notes text,
    ADD CONSTRAINT notification_withheld_means_no_address CHECK (NOT address_withheld OR address IS NULL);

-- One mapping per partnership: which of the force's headers holds each field, and the force's
-- words for roles, grades and risk tools. A JSON object read and checked by the application
-- (pitstop/notifications/imports/extract.py); `version` refuses a concurrent edit.
CREATE TABLE import_mapping (
    partnership_id bigint PRIMARY KEY REFERENCES partnership (id),
    mapping        jsonb NOT NULL,
    version        integer NOT NULL DEFAULT 1,
    updated_by     bigint REFERENCES app_user (id),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT import_mapping_object CHECK (jsonb_typeof(mapping) = 'object')
);

-- Every import, kept: who, when, which file, the counts and the report. Never the file itself.
CREATE TABLE notification_import (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id     bigint NOT NULL REFERENCES partnership (id),
    imported_by        bigint REFERENCES app_user (id),
    imported_at        timestamptz NOT NULL DEFAULT now(),
    file_name          text NOT NULL,
    mode               text NOT NULL,
    outcome            text NOT NULL,
    rows_read          integer NOT NULL,
    incidents_read     integer NOT NULL,
    created            integer NOT NULL,
    updated            integer NOT NULL,
    unchanged          integer NOT NULL,
    incidents_rejected integer NOT NULL,
    -- [{"line": 12, "column": "DOB", "reference": "14/7781/26", "message": "..."}], at most 1,000.
    errors             jsonb NOT NULL DEFAULT '[]'::jsonb,
    errors_total       integer NOT NULL DEFAULT 0,
    -- Headers in the file that no field reads (a force adding a column is worth knowing about).
    columns_ignored    text[] NOT NULL DEFAULT '{}',
    CONSTRAINT notification_import_partnership_key UNIQUE (partnership_id, id),
    CONSTRAINT notification_import_mode_known CHECK (mode IN ('all_or_nothing', 'good_incidents')),
    CONSTRAINT notification_import_outcome_known CHECK (outcome IN ('imported', 'rejected', 'partly_imported')),
    CONSTRAINT notification_import_errors_array CHECK (jsonb_typeof(errors) = 'array'),
    CONSTRAINT notification_import_file_name_length CHECK (length(file_name) BETWEEN 1 AND 255)
);
CREATE INDEX notification_import_recent_idx ON notification_import (partnership_id, imported_at DESC);

-- Which import brought each version (NULL: keyed in or sent by the API).
ALTER TABLE notification_version ADD COLUMN import_id bigint REFERENCES notification_import (id);

GRANT SELECT, INSERT, UPDATE ON import_mapping TO pitstop_app;
-- UPDATE: the record is written first (its id marks each version it brings), its counts at the end.
GRANT SELECT, INSERT, UPDATE ON notification_import TO pitstop_app;
