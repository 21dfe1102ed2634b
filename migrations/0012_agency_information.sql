-- What each agency knows about an agenda item (DOMAIN.md, "Agency contributions"): one record per
-- agency per item, entered from the agenda's publication; every earlier version is kept.
CREATE TABLE agency_information (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id bigint NOT NULL,
    agenda_item_id bigint NOT NULL,
    meeting_id     bigint NOT NULL,
    agency_id      bigint NOT NULL,
    -- known / not_known / no_trace (checked, and nothing on its systems)
    knowledge      text NOT NULL,
    summary        text,
    -- Where it was checked (the agency's case system), and when.
    source_system  text,
    checked_at     timestamptz NOT NULL,
    -- shared: every attending agency; restricted: the agencies named in restricted_to; not_for_minutes:
    -- the recording agency only. Coordinators and managers see all of it.
    visibility     text NOT NULL DEFAULT 'shared',
    restricted_to  bigint[] NOT NULL DEFAULT '{}',
    -- Health or other third-party information: not to be passed on beyond the meeting.
    third_party    boolean NOT NULL DEFAULT false,
    recorded_by    bigint NOT NULL REFERENCES app_user (id),
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    version        integer NOT NULL DEFAULT 1,
    CONSTRAINT agency_information_item_fkey FOREIGN KEY (partnership_id, agenda_item_id)
        REFERENCES agenda_item (partnership_id, id),
    CONSTRAINT agency_information_meeting_fkey FOREIGN KEY (partnership_id, meeting_id)
        REFERENCES meeting (partnership_id, id),
    CONSTRAINT agency_information_agency_fkey FOREIGN KEY (partnership_id, agency_id)
        REFERENCES agency (partnership_id, id),
    CONSTRAINT agency_information_one_per_agency UNIQUE (agenda_item_id, agency_id),
    CONSTRAINT agency_information_knowledge_known CHECK (knowledge IN ('known', 'not_known', 'no_trace')),
    CONSTRAINT agency_information_visibility_known CHECK (
        visibility IN ('shared', 'restricted', 'not_for_minutes')
    ),
    CONSTRAINT agency_information_restricted_names_agencies CHECK (
        (visibility = 'restricted') = (cardinality(restricted_to) > 0)
    ),
    CONSTRAINT agency_information_known_has_summary CHECK (
        knowledge <> 'known' OR length(btrim(coalesce(summary, ''))) > 0
    )
);
CREATE INDEX agency_information_meeting_idx ON agency_information (meeting_id, agency_id);

-- Each version as it was saved, the current one included: the history of a record.
CREATE TABLE agency_information_version (
    information_id bigint NOT NULL REFERENCES agency_information (id),
    version        integer NOT NULL,
    partnership_id bigint NOT NULL,
    knowledge      text NOT NULL,
    summary        text,
    source_system  text,
    checked_at     timestamptz NOT NULL,
    visibility     text NOT NULL,
    restricted_to  bigint[] NOT NULL,
    third_party    boolean NOT NULL,
    recorded_by    bigint NOT NULL REFERENCES app_user (id),
    recorded_at    timestamptz NOT NULL,
    PRIMARY KEY (information_id, version)
);

GRANT SELECT, INSERT, UPDATE ON agency_information TO pitstop_app;
GRANT SELECT, INSERT ON agency_information_version TO pitstop_app;
