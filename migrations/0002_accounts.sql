-- Accounts: agencies, users and roles, sessions, sign-in throttling, API tokens, and the
-- append-only audit trail.

-- Agency types are a list a deployment can extend (INSERT a row), not a code enum.
CREATE TABLE agency_type (
    code       text PRIMARY KEY,
    label      text NOT NULL,
    sort_order integer NOT NULL DEFAULT 100,
    CONSTRAINT agency_type_code_format CHECK (code ~ '^[a-z][a-z0-9_]{1,40}$')
);

INSERT INTO agency_type (code, label, sort_order) VALUES
    ('police', 'Police', 10),
    ('childrens_social_care', 'Children''s social care', 20),
    ('early_help', 'Early help', 30),
    ('health', 'Health', 40),
    ('education', 'Education', 50),
    ('idva', 'IDVA or specialist domestic abuse service', 60),
    ('probation', 'Probation', 70),
    ('housing', 'Housing', 80),
    ('adult_social_care', 'Adult social care', 90),
    ('mental_health', 'Mental health', 100),
    ('substance_misuse', 'Substance misuse', 110),
    ('youth_justice', 'Youth justice', 120),
    ('other', 'Other', 990);

CREATE TABLE agency (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id bigint NOT NULL REFERENCES partnership (id),
    name           text NOT NULL,
    agency_type    text NOT NULL REFERENCES agency_type (code),
    active         boolean NOT NULL DEFAULT true,
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT agency_name_present CHECK (length(btrim(name)) > 0),
    CONSTRAINT agency_name_key UNIQUE (partnership_id, name),
    -- Lets other tables insist that an agency belongs to the row's partnership.
    CONSTRAINT agency_partnership_key UNIQUE (partnership_id, id)
);

-- Users are deactivated, never deleted: the audit trail and the minutes name them.
CREATE TABLE app_user (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id       bigint NOT NULL REFERENCES partnership (id),
    agency_id            bigint NOT NULL,
    email                text NOT NULL,
    name                 text NOT NULL,
    roles                text[] NOT NULL,
    password_hash        text,
    must_change_password boolean NOT NULL DEFAULT true,
    active               boolean NOT NULL DEFAULT true,
    version              integer NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL DEFAULT now(),
    password_changed_at  timestamptz,
    deactivated_at       timestamptz,
    CONSTRAINT app_user_agency_fkey FOREIGN KEY (partnership_id, agency_id)
        REFERENCES agency (partnership_id, id),
    CONSTRAINT app_user_email_format CHECK (email = lower(btrim(email)) AND email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    CONSTRAINT app_user_name_present CHECK (length(btrim(name)) > 0),
    CONSTRAINT app_user_roles_known CHECK (
        cardinality(roles) > 0
        AND roles <@ ARRAY['coordinator', 'agency_member', 'manager', 'admin']::text[]
    )
);
-- One account per email address across the deployment: sign-in is by email alone.
CREATE UNIQUE INDEX app_user_email_key ON app_user (email);
CREATE INDEX app_user_partnership_idx ON app_user (partnership_id, name);

-- Server-side sessions. The cookie holds a random token; only its SHA-256 is stored, so a copy
-- of this table cannot be used to sign in.
CREATE TABLE web_session (
    token_hash     text PRIMARY KEY,
    user_id        bigint NOT NULL REFERENCES app_user (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    client_addr    inet,
    CONSTRAINT web_session_hash_format CHECK (token_hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX web_session_user_idx ON web_session (user_id);
CREATE INDEX web_session_expiry_idx ON web_session (expires_at);

-- Failed and throttled sign-ins, for limits that hold across processes. The typed email is kept
-- only as a keyed hash: it may be mistyped or not be a user's at all.
CREATE TABLE sign_in_attempt (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    attempted_at timestamptz NOT NULL DEFAULT now(),
    account_key  text NOT NULL,
    client_addr  inet,
    succeeded    boolean NOT NULL
);
CREATE INDEX sign_in_attempt_account_idx ON sign_in_attempt (account_key, attempted_at);
CREATE INDEX sign_in_attempt_client_idx ON sign_in_attempt (client_addr, attempted_at);

CREATE TABLE api_token (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id bigint NOT NULL REFERENCES partnership (id),
    user_id        bigint NOT NULL REFERENCES app_user (id),
    name           text NOT NULL,
    token_hash     text NOT NULL,
    token_prefix   text NOT NULL,
    scopes         text[] NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     bigint REFERENCES app_user (id),
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoked_by     bigint REFERENCES app_user (id),
    last_used_at   timestamptz,
    CONSTRAINT api_token_hash_key UNIQUE (token_hash),
    CONSTRAINT api_token_name_present CHECK (length(btrim(name)) > 0),
    CONSTRAINT api_token_scopes_known CHECK (
        cardinality(scopes) > 0
        AND scopes <@ ARRAY[
            'notifications:read', 'notifications:write', 'actions:read', 'actions:write', 'audit:read'
        ]::text[]
    ),
    CONSTRAINT api_token_expiry_after_creation CHECK (expires_at > created_at)
);
CREATE INDEX api_token_user_idx ON api_token (user_id);

-- The audit trail: who (user, agency), did what (action) to which record, when, from where,
-- in which request. Ids only: no names, references or free text. Actions are an open list that
-- grows with each feature (pitstop.audit.models.AuditAction), so only their shape is checked.
CREATE TABLE audit_event (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    partnership_id bigint REFERENCES partnership (id),
    user_id        bigint REFERENCES app_user (id),
    agency_id      bigint REFERENCES agency (id),
    action         text NOT NULL,
    record_type    text,
    record_id      text,
    request_id     text,
    client_addr    inet,
    detail         jsonb NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT audit_event_action_format CHECK (action ~ '^[a-z][a-z_.]{2,60}$'),
    CONSTRAINT audit_event_detail_object CHECK (jsonb_typeof(detail) = 'object')
);
CREATE INDEX audit_event_partnership_idx ON audit_event (partnership_id, id DESC);
CREATE INDEX audit_event_user_idx ON audit_event (user_id, id DESC);
CREATE INDEX audit_event_record_idx ON audit_event (record_type, record_id);

CREATE FUNCTION audit_event_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_event_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_is_append_only();
CREATE TRIGGER audit_event_no_truncate
    BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_is_append_only();

-- What the application may do. It owns nothing; the audit trail it may only add to and read.
GRANT SELECT ON agency_type TO pitstop_app;
GRANT SELECT, INSERT, UPDATE ON partnership, agency, app_user TO pitstop_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON web_session, sign_in_attempt TO pitstop_app;
GRANT SELECT, INSERT, UPDATE ON api_token TO pitstop_app;
GRANT SELECT, INSERT ON audit_event TO pitstop_app;
