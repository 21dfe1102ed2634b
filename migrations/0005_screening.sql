-- Screening: a coordinator's decision on each notification. Every screening is kept; the latest
-- is the one in force. A notification the police change after screening is screened again.

CREATE TABLE screening (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id       bigint NOT NULL,
    notification_id      bigint NOT NULL,
    -- The version of the notification the coordinator saw: a later police update means re-screening.
    notification_version integer NOT NULL,
    grade                text NOT NULL,
    grade_rationale      text,
    consent              text NOT NULL,
    consent_reason       text,
    consent_rationale    text,
    authorised_by        bigint REFERENCES app_user (id),
    victim_aware         boolean,
    route                text NOT NULL,
    route_rationale      text,
    delay_reason         text,
    screened_by          bigint REFERENCES app_user (id),
    screened_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT screening_notification_fkey FOREIGN KEY (partnership_id, notification_id)
        REFERENCES notification (partnership_id, id),
    CONSTRAINT screening_grade_known CHECK (grade IN ('standard', 'medium', 'high')),
    CONSTRAINT screening_consent_known CHECK (consent IN ('given', 'refused', 'not_sought')),
    CONSTRAINT screening_consent_reason_known CHECK (
        consent_reason IS NULL OR consent_reason IN (
            'unsafe_to_ask', 'would_prejudice_child_safety', 'cannot_be_given', 'cannot_reasonably_be_obtained'
        )
    ),
    -- Sharing without consent always has its reason, rationale and authorising manager.
    CONSTRAINT screening_override_recorded CHECK (
        consent = 'given'
        OR (consent_reason IS NOT NULL AND consent_rationale IS NOT NULL AND authorised_by IS NOT NULL)
    ),
    CONSTRAINT screening_route_known CHECK (route IN ('agenda', 'allocated_worker', 'no_further_action')),
    CONSTRAINT screening_nfa_has_rationale CHECK (route <> 'no_further_action' OR route_rationale IS NOT NULL)
);
CREATE INDEX screening_notification_idx ON screening (notification_id, id DESC);

GRANT SELECT, INSERT ON screening TO pitstop_app;
