-- Decisions on agenda items (DOMAIN.md, "Decision"): one or more outcomes from the partnership's list,
-- always with a rationale; a risk re-grade with its own rationale; a MARAC referral with its criterion;
-- agencies' dissent with their reasons; or a deferral to the next meeting. Every version is kept.

-- The partnership's outcomes. Pitstop adds DOMAIN.md's defaults to a partnership on first use.
CREATE TABLE outcome_type (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id bigint NOT NULL REFERENCES partnership (id),
    code           text NOT NULL,
    label          text NOT NULL,
    position       integer NOT NULL,
    active         boolean NOT NULL DEFAULT true,
    CONSTRAINT outcome_type_code_key UNIQUE (partnership_id, code),
    CONSTRAINT outcome_type_code_format CHECK (code ~ '^[a-z][a-z0-9_]{1,60}$'),
    CONSTRAINT outcome_type_label_present CHECK (length(btrim(label)) > 0)
);

CREATE TABLE decision (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id    bigint NOT NULL,
    agenda_item_id    bigint NOT NULL,
    meeting_id        bigint NOT NULL,
    outcomes          text[] NOT NULL DEFAULT '{}',
    rationale         text NOT NULL,
    regrade           text,
    regrade_rationale text,
    marac_criterion   text,
    deferred          boolean NOT NULL DEFAULT false,
    recorded_by       bigint NOT NULL REFERENCES app_user (id),
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    version           integer NOT NULL DEFAULT 1,
    CONSTRAINT decision_partnership_key UNIQUE (partnership_id, id),
    CONSTRAINT decision_item_key UNIQUE (agenda_item_id),
    CONSTRAINT decision_item_fkey FOREIGN KEY (partnership_id, agenda_item_id)
        REFERENCES agenda_item (partnership_id, id),
    CONSTRAINT decision_meeting_fkey FOREIGN KEY (partnership_id, meeting_id)
        REFERENCES meeting (partnership_id, id),
    CONSTRAINT decision_has_rationale CHECK (length(btrim(rationale)) > 0),
    CONSTRAINT decision_has_outcome CHECK (cardinality(outcomes) > 0 OR deferred),
    CONSTRAINT decision_regrade_known CHECK (regrade IS NULL OR regrade IN ('high', 'medium', 'standard')),
    CONSTRAINT decision_regrade_has_rationale CHECK (
        (regrade IS NULL) = (regrade_rationale IS NULL OR length(btrim(regrade_rationale)) = 0)
    ),
    -- NULL: no MARAC referral.
    CONSTRAINT decision_marac_criterion_known CHECK (
        marac_criterion IS NULL OR marac_criterion IN ('visible_high_risk', 'potential_escalation', 'professional_judgement')
    )
);

-- An agency that disagrees with the decision, and why.
CREATE TABLE decision_dissent (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id bigint NOT NULL,
    decision_id    bigint NOT NULL,
    agency_id      bigint NOT NULL,
    reason         text NOT NULL,
    CONSTRAINT decision_dissent_decision_fkey FOREIGN KEY (partnership_id, decision_id)
        REFERENCES decision (partnership_id, id),
    CONSTRAINT decision_dissent_agency_fkey FOREIGN KEY (partnership_id, agency_id)
        REFERENCES agency (partnership_id, id),
    CONSTRAINT decision_dissent_one_per_agency UNIQUE (decision_id, agency_id),
    CONSTRAINT decision_dissent_has_reason CHECK (length(btrim(reason)) > 0)
);

-- Each saved version of a decision, dissent included, as it was.
CREATE TABLE decision_version (
    decision_id    bigint NOT NULL REFERENCES decision (id),
    version        integer NOT NULL,
    partnership_id bigint NOT NULL,
    snapshot       jsonb NOT NULL,
    recorded_by    bigint NOT NULL REFERENCES app_user (id),
    recorded_at    timestamptz NOT NULL,
    PRIMARY KEY (decision_id, version)
);

GRANT SELECT, INSERT ON outcome_type TO pitstop_app;
GRANT UPDATE (label, position, active) ON outcome_type TO pitstop_app;
GRANT SELECT, INSERT, UPDATE ON decision TO pitstop_app;
GRANT SELECT, INSERT, DELETE ON decision_dissent TO pitstop_app;
GRANT SELECT, INSERT ON decision_version TO pitstop_app;
