-- Notifications: the police's domestic-abuse notifications, the people in each incident, the
-- history of every version received, and screening.

-- Risk tools are configuration: forces are moving from DASH to DARA, and some use a local grade.
-- `questions` is a JSON array of {"key": ..., "text": ...}; answers are stored by key.
CREATE TABLE risk_tool (
    code       text PRIMARY KEY,
    label      text NOT NULL,
    questions  jsonb NOT NULL DEFAULT '[]'::jsonb,
    CONSTRAINT risk_tool_code_format CHECK (code ~ '^[a-z][a-z0-9_]{1,30}$'),
    CONSTRAINT risk_tool_questions_array CHECK (jsonb_typeof(questions) = 'array')
);

INSERT INTO risk_tool (code, label, questions) VALUES
    ('dash', 'DASH (Domestic Abuse, Stalking and Harassment and Honour Based Violence)', '[
        {"key": "injury", "text": "Has the current incident resulted in injury?"},
        {"key": "frightened", "text": "Is the victim very frightened?"},
        {"key": "afraid_of", "text": "Is the victim afraid of further injury or violence?"},
        {"key": "isolated", "text": "Does the victim feel isolated from family or friends?"},
        {"key": "depressed", "text": "Is the victim feeling depressed or having suicidal thoughts?"},
        {"key": "separation", "text": "Has the victim separated or tried to separate in the past year?"},
        {"key": "child_contact", "text": "Is there conflict over child contact?"},
        {"key": "stalking", "text": "Does the alleged perpetrator constantly text, call, contact, follow or stalk the victim?"},
        {"key": "pregnant", "text": "Is the victim pregnant or has she recently had a baby?"},
        {"key": "more_often", "text": "Is the abuse happening more often?"},
        {"key": "escalating", "text": "Is the abuse getting worse?"},
        {"key": "controlling", "text": "Does the alleged perpetrator try to control everything the victim does, or is excessively jealous?"},
        {"key": "weapons", "text": "Has the alleged perpetrator ever used weapons or objects to hurt the victim?"},
        {"key": "threat_to_kill", "text": "Has the alleged perpetrator ever threatened to kill the victim or someone else?"},
        {"key": "strangulation", "text": "Has the alleged perpetrator ever attempted to strangle, choke, suffocate or drown the victim?"},
        {"key": "sexual", "text": "Does the alleged perpetrator do or say things of a sexual nature that make the victim feel bad or that physically hurt them?"},
        {"key": "third_party", "text": "Is there any other person who has threatened the victim or whom the victim is afraid of?"},
        {"key": "hurt_others", "text": "Does the victim know if the alleged perpetrator has hurt anyone else?"},
        {"key": "animals", "text": "Has the alleged perpetrator ever mistreated an animal or the family pet?"},
        {"key": "financial", "text": "Are there any financial issues?"},
        {"key": "substances", "text": "Has the alleged perpetrator had problems with alcohol, drugs or mental health in the past year?"},
        {"key": "suicide_threat", "text": "Has the alleged perpetrator ever threatened or attempted suicide?"},
        {"key": "breached_orders", "text": "Has the alleged perpetrator ever breached bail, an injunction or any formal agreement?"},
        {"key": "criminal_history", "text": "Is the victim aware that the alleged perpetrator has ever been in trouble with the police or has a criminal history?"}
    ]'::jsonb),
    -- DARA's question set is loaded by the partnership from its force's version.
    ('dara', 'DARA (Domestic Abuse Risk Assessment)', '[]'::jsonb),
    ('local', 'Local grade (no question set)', '[]'::jsonb);

CREATE TABLE notification (
    id                        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id            bigint NOT NULL REFERENCES partnership (id),
    police_reference          text NOT NULL,
    crime_reference           text,
    source                    text NOT NULL,
    received_at               timestamptz NOT NULL,
    incident_at               timestamptz,
    address                   text,
    postcode                  text,
    council_area              text,
    circumstances             text NOT NULL,
    injuries                  boolean,
    weapons                   boolean,
    strangulation             boolean,
    alcohol_or_drugs          boolean,
    arrest_made               boolean,
    no_arrest_reason          text,
    body_worn_video           text[] NOT NULL DEFAULT '{}',
    risk_tool                 text NOT NULL REFERENCES risk_tool (code),
    risk_answers              jsonb NOT NULL DEFAULT '{}'::jsonb,
    risk_yes_count            integer,
    officer_grade             text NOT NULL,
    previous_incidents_12m    integer,
    victim_pregnant           boolean,
    safe_to_contact           boolean,
    safe_contact_number       text,
    safe_contact_times        text,
    open_case                 boolean NOT NULL DEFAULT false,
    allocated_worker          text,
    -- received: waiting for screening; screened; rescreen: changed by the police after screening.
    status                    text NOT NULL DEFAULT 'received',
    screening_due_at          timestamptz,
    -- SHA-256 of the canonical body last received: the same body again changes nothing.
    content_hash              text NOT NULL,
    version                   integer NOT NULL DEFAULT 1,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notification_reference_key UNIQUE (partnership_id, police_reference),
    CONSTRAINT notification_partnership_key UNIQUE (partnership_id, id),
    CONSTRAINT notification_source_known CHECK (source IN ('keyed', 'api', 'csv')),
    CONSTRAINT notification_grade_known CHECK (officer_grade IN ('standard', 'medium', 'high')),
    CONSTRAINT notification_status_known CHECK (status IN ('received', 'screened', 'rescreen')),
    CONSTRAINT notification_reference_present CHECK (length(btrim(police_reference)) > 0),
    CONSTRAINT notification_yes_count_range CHECK (risk_yes_count IS NULL OR risk_yes_count >= 0),
    CONSTRAINT notification_previous_range CHECK (previous_incidents_12m IS NULL OR previous_incidents_12m >= 0),
    CONSTRAINT notification_answers_object CHECK (jsonb_typeof(risk_answers) = 'object')
);
CREATE INDEX notification_queue_idx ON notification (partnership_id, status, screening_due_at);
CREATE INDEX notification_received_idx ON notification (partnership_id, received_at DESC);

CREATE TABLE notification_person (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    notification_id      bigint NOT NULL REFERENCES notification (id) ON DELETE CASCADE,
    position             integer NOT NULL,
    role                 text NOT NULL,
    family_name          text NOT NULL,
    given_names          text,
    date_of_birth        date,
    sex                  text,
    ethnicity            text,
    relationship         text,
    address              text,
    -- A withheld address (a refuge) is seen by coordinators and managers only, never printed.
    address_withheld     boolean NOT NULL DEFAULT false,
    school               text,
    gp_or_health_visitor text,
    ordinarily_resident  boolean,
    present              boolean,
    witnessed            boolean,
    injured              boolean,
    CONSTRAINT notification_person_role_known CHECK (
        role IN ('victim', 'secondary_victim', 'alleged_perpetrator', 'child', 'other_adult')
    ),
    CONSTRAINT notification_person_position_key UNIQUE (notification_id, position),
    CONSTRAINT notification_person_withheld_means_no_address CHECK (NOT address_withheld OR address IS NULL)
);

-- Every version received, whole, so a change by the police never overwrites what was seen.
CREATE TABLE notification_version (
    notification_id bigint NOT NULL REFERENCES notification (id) ON DELETE CASCADE,
    version         integer NOT NULL,
    body            jsonb NOT NULL,
    source          text NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    received_by     bigint REFERENCES app_user (id),
    PRIMARY KEY (notification_id, version)
);

GRANT SELECT ON risk_tool TO pitstop_app;
GRANT SELECT, INSERT, UPDATE ON notification TO pitstop_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON notification_person TO pitstop_app;
GRANT SELECT, INSERT ON notification_version TO pitstop_app;
