-- Meetings and the daily agenda: the series a partnership meets in, its standing invitees, each
-- meeting (generated weeks ahead on working days, or added), the agenda items and the notifications
-- they hold, attendance, and the partnership's ordering rules.

-- Screening records whether immediate protection is needed or action was already taken out of
-- hours (emergency duty team): the first rule of the agenda's order.
ALTER TABLE screening ADD COLUMN immediate_protection boolean NOT NULL DEFAULT false;

-- Which of a risk tool's answers say pregnancy, strangulation, weapons or threats to kill, for the
-- agenda's order: the tool is data (DASH now, DARA next), so its keys are too.
ALTER TABLE risk_tool ADD COLUMN agenda_keys jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE risk_tool ADD CONSTRAINT risk_tool_agenda_keys_object CHECK (jsonb_typeof(agenda_keys) = 'object');
UPDATE risk_tool SET agenda_keys = '{
    "pregnancy": ["pregnant"],
    "strangulation": ["strangulation"],
    "weapons": ["weapons"],
    "threats_to_kill": ["threat_to_kill"]
}'::jsonb WHERE code = 'dash';

-- An agency's own system may read the meetings and agendas its agency is invited to.
ALTER TABLE api_token DROP CONSTRAINT api_token_scopes_known;
ALTER TABLE api_token ADD CONSTRAINT api_token_scopes_known CHECK (
    cardinality(scopes) > 0
    AND scopes <@ ARRAY[
        'notifications:read', 'notifications:write', 'actions:read', 'actions:write', 'audit:read', 'meetings:read'
    ]::text[]
);

CREATE TABLE meeting_series (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id bigint NOT NULL REFERENCES partnership (id),
    name           text NOT NULL,
    -- ISO weekdays (Monday = 1). Meetings fall on these days unless the day is closed.
    weekdays       smallint[] NOT NULL DEFAULT '{1,2,3,4,5}',
    -- Europe/London wall-clock times.
    starts_at      time NOT NULL DEFAULT '09:30',
    length_minutes integer NOT NULL DEFAULT 60,
    cut_off        time NOT NULL DEFAULT '08:00',
    publish_at     time NOT NULL DEFAULT '08:30',
    place          text,
    call_link      text,
    weeks_ahead    integer NOT NULL DEFAULT 6,
    chair_id       bigint REFERENCES app_user (id),
    minute_taker_id bigint REFERENCES app_user (id),
    active         boolean NOT NULL DEFAULT true,
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT meeting_series_partnership_key UNIQUE (partnership_id, id),
    CONSTRAINT meeting_series_name_present CHECK (length(btrim(name)) > 0),
    CONSTRAINT meeting_series_weekdays_known CHECK (
        cardinality(weekdays) > 0 AND weekdays <@ '{1,2,3,4,5,6,7}'::smallint[]
    ),
    CONSTRAINT meeting_series_length_range CHECK (length_minutes BETWEEN 15 AND 480),
    CONSTRAINT meeting_series_weeks_range CHECK (weeks_ahead BETWEEN 1 AND 26),
    CONSTRAINT meeting_series_times_in_order CHECK (cut_off <= publish_at AND publish_at <= starts_at),
    CONSTRAINT meeting_series_somewhere CHECK (place IS NOT NULL OR call_link IS NOT NULL)
);

-- Standing invitees: an agency's named representatives with their work email addresses. An agency
-- is invited while it has a representative. Removed ones are kept (invites cancel to them).
CREATE TABLE series_invitee (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id bigint NOT NULL,
    series_id      bigint NOT NULL,
    agency_id      bigint NOT NULL,
    name           text NOT NULL,
    email          text NOT NULL,
    added_at       timestamptz NOT NULL DEFAULT now(),
    removed_at     timestamptz,
    CONSTRAINT series_invitee_series_fkey FOREIGN KEY (partnership_id, series_id)
        REFERENCES meeting_series (partnership_id, id),
    CONSTRAINT series_invitee_agency_fkey FOREIGN KEY (partnership_id, agency_id)
        REFERENCES agency (partnership_id, id),
    CONSTRAINT series_invitee_name_present CHECK (length(btrim(name)) > 0),
    CONSTRAINT series_invitee_email_format CHECK (email = lower(btrim(email)) AND email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$')
);
CREATE UNIQUE INDEX series_invitee_email_key ON series_invitee (series_id, email) WHERE removed_at IS NULL;

CREATE TABLE meeting (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id  bigint NOT NULL,
    series_id       bigint NOT NULL,
    -- The series day this meeting was generated for (it stays, even when moved or cancelled, so it is
    -- never generated twice); NULL for an extra meeting.
    occurrence      date,
    starts_at       timestamptz NOT NULL,
    length_minutes  integer NOT NULL,
    cut_off_at      timestamptz NOT NULL,
    publish_at      timestamptz NOT NULL,
    -- NULL: the series' place and call link.
    place           text,
    call_link       text,
    state           text NOT NULL DEFAULT 'scheduled',
    chair_id        bigint REFERENCES app_user (id),
    minute_taker_id bigint REFERENCES app_user (id),
    moved_reason    text,
    cancelled_reason text,
    cancelled_by    bigint REFERENCES app_user (id),
    published_at    timestamptz,
    published_by    bigint REFERENCES app_user (id),
    started_at      timestamptz,
    ended_at        timestamptz,
    -- The agenda was put in order by hand: new items are slotted in, the rest keep their places.
    ordered_by_hand boolean NOT NULL DEFAULT false,
    -- Bumped by every change to the meeting or its agenda a coordinator makes: a stale form is a 409.
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT meeting_partnership_key UNIQUE (partnership_id, id),
    CONSTRAINT meeting_series_fkey FOREIGN KEY (partnership_id, series_id)
        REFERENCES meeting_series (partnership_id, id),
    CONSTRAINT meeting_occurrence_key UNIQUE (series_id, occurrence),
    CONSTRAINT meeting_state_known CHECK (
        state IN ('scheduled', 'agenda_published', 'in_progress', 'held', 'cancelled')
    ),
    CONSTRAINT meeting_length_range CHECK (length_minutes BETWEEN 15 AND 480),
    CONSTRAINT meeting_times_in_order CHECK (cut_off_at <= publish_at AND publish_at <= starts_at),
    CONSTRAINT meeting_cancelled_has_reason CHECK (state <> 'cancelled' OR cancelled_reason IS NOT NULL)
);
CREATE INDEX meeting_when_idx ON meeting (partnership_id, starts_at);
CREATE INDEX meeting_open_idx ON meeting (partnership_id, starts_at) WHERE state IN ('scheduled', 'agenda_published');

-- One item per incident; notifications about the same victim in one agenda share an item.
CREATE TABLE agenda_item (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id   bigint NOT NULL,
    meeting_id       bigint NOT NULL,
    -- discussion: timed, in order; information: open cases routed to the allocated worker, untimed.
    list             text NOT NULL DEFAULT 'discussion',
    position         integer NOT NULL,
    -- The victim's person (pitstop.people): notifications about them in this agenda join this item.
    victim_person_id bigint,
    -- open; removed (with reason); deferred (to the next meeting, with reason); moved (its meeting was
    -- cancelled); discussed (the meeting was held).
    state            text NOT NULL DEFAULT 'open',
    reason           text,
    carried_from     bigint REFERENCES agenda_item (id),
    -- The reasons for its place as they stood when the meeting was held: the record does not change
    -- when a person is later merged or a count moves. NULL while the item is open.
    reasons          text[],
    added_by         bigint REFERENCES app_user (id),  -- NULL: placed by Pitstop from the screening queue
    closed_by        bigint REFERENCES app_user (id),
    closed_at        timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT agenda_item_partnership_key UNIQUE (partnership_id, id),
    CONSTRAINT agenda_item_meeting_fkey FOREIGN KEY (partnership_id, meeting_id)
        REFERENCES meeting (partnership_id, id),
    CONSTRAINT agenda_item_list_known CHECK (list IN ('discussion', 'information')),
    CONSTRAINT agenda_item_state_known CHECK (state IN ('open', 'removed', 'deferred', 'moved', 'discussed')),
    CONSTRAINT agenda_item_removal_has_reason CHECK (
        state NOT IN ('removed', 'deferred') OR (reason IS NOT NULL AND length(btrim(reason)) > 0)
    )
);
CREATE INDEX agenda_item_meeting_idx ON agenda_item (meeting_id, list, position);
CREATE UNIQUE INDEX agenda_item_victim_key ON agenda_item (meeting_id, list, victim_person_id)
    WHERE state = 'open' AND victim_person_id IS NOT NULL;

-- The notifications an item holds, with the screening that put them there. A notification is on at
-- most one open agenda: its entry closes when the item is removed, deferred, moved or discussed.
CREATE TABLE agenda_entry (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id  bigint NOT NULL,
    agenda_item_id  bigint NOT NULL,
    notification_id bigint NOT NULL,
    screening_id    bigint NOT NULL REFERENCES screening (id),
    open            boolean NOT NULL DEFAULT true,
    -- Taken off its item on its own (screened again for no further action or for the other list): not
    -- part of what the item discussed, even when the item is held later.
    withdrawn       boolean NOT NULL DEFAULT false,
    CONSTRAINT agenda_entry_item_fkey FOREIGN KEY (partnership_id, agenda_item_id)
        REFERENCES agenda_item (partnership_id, id),
    CONSTRAINT agenda_entry_notification_fkey FOREIGN KEY (partnership_id, notification_id)
        REFERENCES notification (partnership_id, id)
);
CREATE UNIQUE INDEX agenda_entry_one_open_agenda ON agenda_entry (notification_id) WHERE open;
CREATE INDEX agenda_entry_item_idx ON agenda_entry (agenda_item_id);
CREATE INDEX agenda_entry_notification_idx ON agenda_entry (notification_id);

-- Screened "to the agenda" (or to the allocated worker) and not yet on an agenda. Placing takes the
-- row out, so building an agenda reads only what is waiting, however long the history grows.
CREATE TABLE agenda_queue (
    notification_id bigint PRIMARY KEY,
    partnership_id  bigint NOT NULL,
    screening_id    bigint NOT NULL REFERENCES screening (id),
    screened_at     timestamptz NOT NULL,
    CONSTRAINT agenda_queue_notification_fkey FOREIGN KEY (partnership_id, notification_id)
        REFERENCES notification (partnership_id, id)
);
CREATE INDEX agenda_queue_due_idx ON agenda_queue (partnership_id, screened_at);

-- What is waiting now: the latest screening of each notification, when it routed to a meeting and
-- was made in the last two weeks (older ones were dealt with before Pitstop had meetings; a
-- coordinator adds any of them by hand).
INSERT INTO agenda_queue (notification_id, partnership_id, screening_id, screened_at)
SELECT latest.notification_id, latest.partnership_id, latest.id, latest.screened_at
  FROM (SELECT DISTINCT ON (s.notification_id) s.notification_id, s.partnership_id, s.id, s.screened_at, s.route
          FROM screening s
         ORDER BY s.notification_id, s.id DESC) latest
 WHERE latest.route <> 'no_further_action' AND latest.screened_at > now() - interval '14 days';

-- Coordinators add a notification to an agenda by its police reference, typed in any case.
CREATE INDEX notification_reference_upper_idx ON notification (partnership_id, upper(police_reference));

-- Attendance: one row per agency invited when the agenda was published (agency members of those
-- agencies see the meeting), recorded by the minute-taker.
CREATE TABLE attendance (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id   bigint NOT NULL,
    meeting_id       bigint NOT NULL,
    agency_id        bigint NOT NULL,
    -- not_recorded, present, apologies, absent
    status           text NOT NULL DEFAULT 'not_recorded',
    present_names    text,
    information_sent boolean NOT NULL DEFAULT false,
    recorded_by      bigint REFERENCES app_user (id),
    recorded_at      timestamptz,
    version          integer NOT NULL DEFAULT 1,
    CONSTRAINT attendance_meeting_fkey FOREIGN KEY (partnership_id, meeting_id)
        REFERENCES meeting (partnership_id, id),
    CONSTRAINT attendance_agency_fkey FOREIGN KEY (partnership_id, agency_id)
        REFERENCES agency (partnership_id, id),
    CONSTRAINT attendance_agency_key UNIQUE (meeting_id, agency_id),
    CONSTRAINT attendance_status_known CHECK (status IN ('not_recorded', 'present', 'apologies', 'absent')),
    CONSTRAINT attendance_present_named CHECK (status <> 'present' OR length(btrim(present_names)) > 0)
);

CREATE TABLE meeting_observer (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id   bigint NOT NULL,
    meeting_id       bigint NOT NULL,
    name             text NOT NULL,
    organisation     text,
    statement_signed boolean NOT NULL,
    recorded_by      bigint REFERENCES app_user (id),
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT meeting_observer_meeting_fkey FOREIGN KEY (partnership_id, meeting_id)
        REFERENCES meeting (partnership_id, id),
    CONSTRAINT meeting_observer_name_present CHECK (length(btrim(name)) > 0)
);
CREATE INDEX meeting_observer_meeting_idx ON meeting_observer (meeting_id);

-- The partnership's ordering weights and time boxes (pitstop.agenda.ordering has the defaults).
CREATE TABLE agenda_rule (
    partnership_id bigint PRIMARY KEY REFERENCES partnership (id),
    weights        jsonb NOT NULL,
    time_boxes     jsonb NOT NULL,
    version        integer NOT NULL DEFAULT 1,
    updated_by     bigint REFERENCES app_user (id),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT agenda_rule_weights_object CHECK (jsonb_typeof(weights) = 'object'),
    CONSTRAINT agenda_rule_time_boxes_object CHECK (jsonb_typeof(time_boxes) = 'object')
);

GRANT SELECT, INSERT, UPDATE ON meeting_series TO pitstop_app;
GRANT SELECT, INSERT, UPDATE ON series_invitee TO pitstop_app;
GRANT SELECT, INSERT, UPDATE ON meeting TO pitstop_app;
GRANT SELECT, INSERT, UPDATE ON agenda_item TO pitstop_app;
GRANT SELECT, INSERT, UPDATE ON agenda_entry TO pitstop_app;
GRANT SELECT, INSERT, DELETE ON agenda_queue TO pitstop_app;
GRANT UPDATE (screening_id, screened_at) ON agenda_queue TO pitstop_app;
GRANT SELECT, INSERT, UPDATE ON attendance TO pitstop_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON meeting_observer TO pitstop_app;
GRANT SELECT, INSERT, UPDATE ON agenda_rule TO pitstop_app;
