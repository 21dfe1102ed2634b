-- The managers' dashboard counts each notification's facts from one row each, rather than working them out
-- afresh over a year of notifications, screenings, agendas, decisions and people at every view (that took
-- seconds). notification_fact holds what the dashboard needs of a notification, worked out by the same
-- rules as the rest of Pitstop (pitstop.dashboard.facts); counts only, nothing that names anyone.
--
-- It is kept by queueing: every change that can move a fact queues the notifications it touches
-- (triggers below, so no code path can forget), and pitstop.dashboard.facts works the queue (in the
-- background, and in each dashboard view for what is left). The triggers only ever INSERT into the queue:
-- they take no lock that a meeting's writers could wait on, and read no one's history.
CREATE TABLE notification_fact (
    -- No foreign key: its check would lock the notification (FOR KEY SHARE) against screening and placing,
    -- which lock notifications FOR UPDATE in an order of their own. Nothing deletes notifications yet;
    -- retention, when it comes, deletes their facts too.
    notification_id      bigint PRIMARY KEY,
    partnership_id       bigint NOT NULL,
    received_at          timestamptz NOT NULL,
    received_day         date NOT NULL,          -- in London: the day the figures count it on
    grade                text NOT NULL,          -- the first screening's, or the officer's until screened
    screening_due_at     timestamptz,
    first_screened_at    timestamptz,
    latest_route         text,                   -- of its latest screening
    potential_escalation boolean NOT NULL,       -- by the partnership's repeat-incident rule, as the queue marks it
    discussed_at         timestamptz,            -- the start of the first meeting that discussed it
    decided_at           timestamptz,            -- the first version of the first decision on its items
    children             bigint[] NOT NULL,      -- a child's person id, or minus its occurrence id when unlinked
    decisions            bigint[] NOT NULL,      -- the decisions on the items that held it
    counted_at           timestamptz NOT NULL
);
CREATE INDEX notification_fact_received_idx ON notification_fact (partnership_id, received_at);

-- An entry names a notification; or a person and a time: that person's incidents at or after it (worked
-- out by the counter, off the writer's path: a notification's potential escalation counts its people's
-- incidents up to its own, so a change to one incident can move only the later ones); or neither: every
-- notification of the partnership (its repeat-incident rule changed, or the facts were never counted),
-- after_id being how far through them the counting has gone.
CREATE TABLE notification_fact_stale (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id  bigint NOT NULL,
    notification_id bigint,
    person_id       bigint,
    since           timestamptz,
    after_id        bigint NOT NULL DEFAULT 0,
    queued_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notification_fact_stale_one_kind CHECK (
        notification_id IS NULL OR person_id IS NULL),
    CONSTRAINT notification_fact_stale_person_since CHECK ((person_id IS NULL) = (since IS NULL))
);
CREATE INDEX notification_fact_stale_partnership_idx ON notification_fact_stale (partnership_id, id);

-- What is already there is counted in the background after the upgrade.
INSERT INTO notification_fact_stale (partnership_id) SELECT id FROM partnership;

GRANT SELECT, INSERT, UPDATE ON notification_fact TO pitstop_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON notification_fact_stale TO pitstop_app;

-- These people's incidents at or after the paired time, for the counter to find.
CREATE FUNCTION notification_fact_queue_people(partnership bigint, people bigint[], since timestamptz[])
RETURNS void LANGUAGE sql AS $$
    INSERT INTO notification_fact_stale (partnership_id, person_id, since)
    SELECT partnership, c.person_id, min(c.since)
      FROM unnest(people, since) AS c (person_id, since) GROUP BY c.person_id;
$$;

-- These notifications (pairs: a notification and a person it names, or NULL), and the later incidents of
-- those people.
CREATE FUNCTION notification_fact_queue_occurrences(notifications bigint[], people bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notification_fact_stale (partnership_id, notification_id)
    SELECT DISTINCT n.partnership_id, n.id FROM notification n WHERE n.id = ANY (notifications);
    PERFORM notification_fact_queue_people(n.partnership_id, array_agg(c.person_id),
                                           array_agg(coalesce(n.incident_at, n.received_at)))
       FROM unnest(notifications, people) AS c (notification_id, person_id)
       JOIN notification n ON n.id = c.notification_id
      WHERE c.person_id IS NOT NULL
      GROUP BY n.partnership_id;
END;
$$;

-- notification: its own facts; a new incident time moves the counts of the later incidents of everyone
-- it names (from the earlier of the two times).
CREATE FUNCTION notification_fact_queue_notification() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO notification_fact_stale (partnership_id, notification_id)
        SELECT partnership_id, id FROM new_rows;
    ELSE
        INSERT INTO notification_fact_stale (partnership_id, notification_id)
        SELECT n.partnership_id, n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
         WHERE (n.received_at, n.officer_grade, n.screening_due_at, n.previous_incidents_12m, n.incident_at)
               IS DISTINCT FROM (o.received_at, o.officer_grade, o.screening_due_at, o.previous_incidents_12m,
                                 o.incident_at);
        PERFORM notification_fact_queue_people(
                    n.partnership_id, array_agg(np.person_id),
                    array_agg(least(coalesce(n.incident_at, n.received_at), coalesce(o.incident_at, o.received_at))))
           FROM new_rows n JOIN old_rows o ON o.id = n.id
           JOIN notification_person np ON np.notification_id = n.id
          WHERE coalesce(n.incident_at, n.received_at) IS DISTINCT FROM coalesce(o.incident_at, o.received_at)
            AND np.person_id IS NOT NULL
          GROUP BY n.partnership_id;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER notification_fact_inserted AFTER INSERT ON notification
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION notification_fact_queue_notification();
CREATE TRIGGER notification_fact_updated AFTER UPDATE ON notification
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION notification_fact_queue_notification();

-- The people named: children counted, and escalation, for this notification and the later incidents of
-- the people linked before or after (a link, a merge, a correction). A notification deleted with its
-- people is not followed (nothing deletes notifications yet: retention is to come).
CREATE FUNCTION notification_fact_queue_occurrence() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM notification_fact_queue_occurrences(array_agg(notification_id), array_agg(person_id))
           FROM new_rows HAVING count(*) > 0;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM notification_fact_queue_occurrences(array_agg(notification_id), array_agg(person_id))
           FROM old_rows HAVING count(*) > 0;
    ELSE
        PERFORM notification_fact_queue_occurrences(array_agg(n.notification_id) || array_agg(o.notification_id),
                                                    array_agg(n.person_id) || array_agg(o.person_id))
           FROM new_rows n JOIN old_rows o ON o.id = n.id
          WHERE (n.person_id, n.role, n.notification_id) IS DISTINCT FROM (o.person_id, o.role, o.notification_id)
         HAVING count(*) > 0;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER notification_fact_occurrence_inserted AFTER INSERT ON notification_person
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION notification_fact_queue_occurrence();
CREATE TRIGGER notification_fact_occurrence_updated AFTER UPDATE ON notification_person
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION notification_fact_queue_occurrence();
CREATE TRIGGER notification_fact_occurrence_deleted AFTER DELETE ON notification_person
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION notification_fact_queue_occurrence();

-- A screening: the grade, the first screening and the latest route.
CREATE FUNCTION notification_fact_queue_screening() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notification_fact_stale (partnership_id, notification_id)
    SELECT DISTINCT partnership_id, notification_id FROM new_rows;
    RETURN NULL;
END;
$$;
CREATE TRIGGER notification_fact_screened AFTER INSERT ON screening
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION notification_fact_queue_screening();
-- The application never changes a screening; the schema owner may (the demo data moves times to today).
CREATE TRIGGER notification_fact_screening_updated AFTER UPDATE ON screening
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION notification_fact_queue_screening();
-- An agenda entry placed or withdrawn: discussion and decisions (the same columns, the same function).
CREATE TRIGGER notification_fact_entry_inserted AFTER INSERT ON agenda_entry
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION notification_fact_queue_screening();
CREATE TRIGGER notification_fact_entry_updated AFTER UPDATE ON agenda_entry
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION notification_fact_queue_screening();

-- The notifications on these items.
CREATE FUNCTION notification_fact_queue_items(items bigint[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO notification_fact_stale (partnership_id, notification_id)
    SELECT DISTINCT e.partnership_id, e.notification_id FROM agenda_entry e WHERE e.agenda_item_id = ANY (items);
$$;

-- An item discussed (or no longer): when its notifications were discussed.
CREATE FUNCTION notification_fact_queue_item() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM notification_fact_queue_items(array_agg(n.id))
       FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE n.state IS DISTINCT FROM o.state OR n.meeting_id IS DISTINCT FROM o.meeting_id
     HAVING count(*) > 0;
    RETURN NULL;
END;
$$;
CREATE TRIGGER notification_fact_item_updated AFTER UPDATE ON agenda_item
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION notification_fact_queue_item();

-- A meeting started (or its time moved): when the notifications it discussed were discussed.
CREATE FUNCTION notification_fact_queue_meeting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM notification_fact_queue_items(array_agg(i.id))
       FROM new_rows n JOIN old_rows o ON o.id = n.id JOIN agenda_item i ON i.meeting_id = n.id
      WHERE (n.started_at, n.starts_at) IS DISTINCT FROM (o.started_at, o.starts_at)
     HAVING count(*) > 0;
    RETURN NULL;
END;
$$;
CREATE TRIGGER notification_fact_meeting_updated AFTER UPDATE ON meeting
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION notification_fact_queue_meeting();

-- A decision, or a new version of one: the decisions on its notifications' items, and when decided.
CREATE FUNCTION notification_fact_queue_decision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'decision' THEN
        PERFORM notification_fact_queue_items(array_agg(agenda_item_id)) FROM new_rows HAVING count(*) > 0;
    ELSE
        PERFORM notification_fact_queue_items(array_agg(d.agenda_item_id))
           FROM new_rows v JOIN decision d ON d.id = v.decision_id HAVING count(*) > 0;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER notification_fact_decided AFTER INSERT ON decision
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION notification_fact_queue_decision();
CREATE TRIGGER notification_fact_decision_versioned AFTER INSERT ON decision_version
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION notification_fact_queue_decision();

-- A new repeat-incident rule: every notification's potential escalation, counted again in the background.
CREATE FUNCTION notification_fact_queue_rule() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notification_fact_stale (partnership_id)
    VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.partnership_id ELSE NEW.partnership_id END);
    RETURN NULL;
END;
$$;
CREATE TRIGGER notification_fact_rule_set AFTER INSERT OR DELETE ON repeat_incident_rule
    FOR EACH ROW EXECUTE FUNCTION notification_fact_queue_rule();
CREATE TRIGGER notification_fact_rule_changed AFTER UPDATE ON repeat_incident_rule
    FOR EACH ROW WHEN ((OLD.threshold, OLD.window_months) IS DISTINCT FROM (NEW.threshold, NEW.window_months))
    EXECUTE FUNCTION notification_fact_queue_rule();

-- The dashboard's outcomes read a year's decisions (tens of thousands) from this index alone.
CREATE INDEX decision_outcomes_idx ON decision (id) INCLUDE (outcomes, deferred);

-- The dashboard's actions per agency read the actions of the meetings in the range from this index alone.
CREATE INDEX action_meeting_idx ON action (meeting_id) INCLUDE (owner_agency_id, status, due_at, completed_at);
