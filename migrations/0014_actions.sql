-- Actions agreed at a meeting (DOMAIN.md, "Actions"): what, the owning agency, a named person, when it
-- is due, and its status: open; done; not possible because circumstances changed; not done by the
-- agency (the last two are reported differently). Each change is kept in action_event.
CREATE TABLE action (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id  bigint NOT NULL,
    agenda_item_id  bigint NOT NULL,
    meeting_id      bigint NOT NULL,
    description     text NOT NULL,
    owner_agency_id bigint NOT NULL,
    owner_name      text,
    due_at          timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'open',
    completion_note text,
    completed_at    timestamptz,
    completed_by    bigint REFERENCES app_user (id),
    created_by      bigint NOT NULL REFERENCES app_user (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    version         integer NOT NULL DEFAULT 1,
    CONSTRAINT action_partnership_key UNIQUE (partnership_id, id),
    CONSTRAINT action_item_fkey FOREIGN KEY (partnership_id, agenda_item_id)
        REFERENCES agenda_item (partnership_id, id),
    CONSTRAINT action_meeting_fkey FOREIGN KEY (partnership_id, meeting_id)
        REFERENCES meeting (partnership_id, id),
    CONSTRAINT action_owner_fkey FOREIGN KEY (partnership_id, owner_agency_id)
        REFERENCES agency (partnership_id, id),
    CONSTRAINT action_has_description CHECK (length(btrim(description)) > 0),
    CONSTRAINT action_status_known CHECK (status IN ('open', 'done', 'not_possible', 'not_done')),
    CONSTRAINT action_completed_when_closed CHECK ((status = 'open') = (completed_at IS NULL)),
    CONSTRAINT action_closed_without_doing_has_reason CHECK (
        status IN ('open', 'done') OR length(btrim(coalesce(completion_note, ''))) > 0
    )
);
CREATE INDEX action_owner_idx ON action (owner_agency_id, status, due_at);
CREATE INDEX action_open_due_idx ON action (partnership_id, due_at) WHERE status = 'open';
CREATE INDEX action_item_idx ON action (agenda_item_id);

CREATE TABLE action_event (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id  bigint NOT NULL,
    action_id       bigint NOT NULL,
    version         integer NOT NULL,
    -- created, reassigned (owner or due date), completed (a status other than open), reopened
    kind            text NOT NULL,
    status          text NOT NULL,
    owner_agency_id bigint NOT NULL,
    owner_name      text,
    due_at          timestamptz NOT NULL,
    note            text,
    changed_by      bigint NOT NULL REFERENCES app_user (id),
    changed_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT action_event_action_fkey FOREIGN KEY (partnership_id, action_id)
        REFERENCES action (partnership_id, id),
    CONSTRAINT action_event_kind_known CHECK (kind IN ('created', 'reassigned', 'completed', 'reopened')),
    CONSTRAINT action_event_version_key UNIQUE (action_id, version)
);

GRANT SELECT, INSERT ON action TO pitstop_app;
GRANT UPDATE (owner_agency_id, owner_name, due_at, status, completion_note, completed_at, completed_by, version)
    ON action TO pitstop_app;
GRANT SELECT, INSERT ON action_event TO pitstop_app;
