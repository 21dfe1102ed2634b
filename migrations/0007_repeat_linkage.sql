-- Repeat-incident linkage: the people of a partnership, each notification's people linked to
-- them, and each partnership's repeat-incident threshold and window.
--
-- A wrong link leaks one family's history into another's case, so automatic matching is narrow:
-- the same normalised family name, first given name and date of birth. Anything less (no date of
-- birth, no given name) is never matched automatically; addresses are never used to match.

-- The functions below have SQL-standard bodies (RETURN ...), resolved when created: an index or a
-- generated column calls them with a bare search_path (PostgreSQL 17 and later), and they are
-- inlined into the queries that use them.

-- A name folded for comparison: NFKD, combining marks dropped ("Zoë" -> "zoe"), lower case,
-- apostrophes, hyphens and other punctuation dropped ("O'Brien" -> "obrien", "Anne-Marie" ->
-- "annemarie"), runs of white space made one space. NULL when nothing is left.
-- Characters are named by \u escapes, so the result does not depend on the server's locale
-- (only lower() does, for letters outside ASCII; both sides of every comparison use this server).
CREATE FUNCTION person_name_fold(name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN nullif(btrim(regexp_replace(regexp_replace(
    lower(normalize(name, NFKD)),
    '[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u200b-\u200d\ufeff!"#$%&''()*+,./:;<=>?@\\^_`{|}~\u00b7\u02bc\u2010-\u2015\u2018-\u201f\u2032\u2212\[\]-]',
    '', 'g'),
    '[[:space:]]+', ' ', 'g')), '');

-- A family name for matching: folded, spaces dropped too ("o brien" = "O'Brien" = "OBrien").
CREATE FUNCTION person_family_key(family_name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN nullif(replace(person_name_fold(family_name), ' ', ''), '');

-- The first given name, folded ("Kelly Anne" -> "kelly"; "Anne-Marie" stays one name).
CREATE FUNCTION person_first_name(given_names text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN nullif(split_part(person_name_fold(given_names), ' ', 1), '');

-- The key people are matched on automatically: family name, FIRST given name, date of birth.
-- NULL, so never matched, when any of them is missing. Twins share a family name and a date of
-- birth but not a first name, so they never match.
CREATE FUNCTION person_match_key(family_name text, given_names text, date_of_birth date) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN person_family_key(family_name) || '|' || person_first_name(given_names) || '|'
    || (extract(year FROM date_of_birth) * 10000 + extract(month FROM date_of_birth) * 100
        + extract(day FROM date_of_birth))::text;

-- An address folded for the "same address" hint, never for matching: case, spaces, punctuation.
CREATE FUNCTION person_address_key(address text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN nullif(replace(person_name_fold(address), ' ', ''), '');

-- A person of a partnership. Names and date of birth are as first recorded; each notification
-- keeps its own. Nothing is deleted: a merged person points at the survivor (always the final one,
-- so links follow one step), a split-off person says where it came from.
CREATE TABLE person (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id bigint NOT NULL REFERENCES partnership (id),
    match_key      text,
    family_name    text NOT NULL,
    given_names    text,
    date_of_birth  date,
    -- New notifications with this key are linked here automatically. False for people split off
    -- by a coordinator and for people without a key.
    auto_match     boolean NOT NULL,
    split_from     bigint,
    merged_into    bigint,
    merged_by      bigint REFERENCES app_user (id),
    merged_at      timestamptz,
    version        integer NOT NULL DEFAULT 1,
    created_by     bigint REFERENCES app_user (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT person_partnership_key UNIQUE (id, partnership_id),
    CONSTRAINT person_split_from_fkey FOREIGN KEY (partnership_id, split_from) REFERENCES person (partnership_id, id),
    CONSTRAINT person_merged_into_fkey FOREIGN KEY (partnership_id, merged_into) REFERENCES person (partnership_id, id),
    CONSTRAINT person_auto_match_has_key CHECK (NOT auto_match OR match_key IS NOT NULL),
    CONSTRAINT person_not_merged_into_self CHECK (merged_into <> id),
    CONSTRAINT person_merge_recorded CHECK ((merged_into IS NULL) = (merged_at IS NULL))
);
-- One automatically matched person per key: concurrent intakes of a new person make one row.
-- No index on person leads with partnership_id: a plan cached while the table was small could
-- otherwise scan the whole partnership for what one key or id finds.
CREATE UNIQUE INDEX person_auto_match_key ON person (match_key, partnership_id) WHERE auto_match;
-- Re-pointing those merged into someone who is merged in turn.
CREATE INDEX person_merged_idx ON person (merged_into, partnership_id) WHERE merged_into IS NOT NULL;
-- Possible matches (the same family name, something else differs) for a coordinator to look at.
CREATE INDEX person_family_idx ON person (person_family_key(family_name), partnership_id);

ALTER TABLE notification_person
    -- Computed by the database, so the backfill below, intake and imports always agree.
    ADD COLUMN match_key    text GENERATED ALWAYS AS (person_match_key(family_name, given_names, date_of_birth)) STORED,
    ADD COLUMN person_id    bigint REFERENCES person (id),
    -- automatic: matched by key; confirmed: a coordinator confirmed, split or decided it.
    ADD COLUMN link_status  text NOT NULL DEFAULT 'automatic',
    ADD COLUMN confirmed_by bigint REFERENCES app_user (id),
    ADD COLUMN confirmed_at timestamptz,
    ADD CONSTRAINT notification_person_link_status_known CHECK (link_status IN ('automatic', 'confirmed')),
    ADD CONSTRAINT notification_person_confirmation_recorded CHECK (link_status = 'automatic' OR confirmed_at IS NOT NULL);
-- Counting a person's incidents, and moving them on a merge or split. Partial: people are written
-- unlinked, then linked, and only the link needs an entry.
CREATE INDEX notification_person_person_idx ON notification_person (person_id, notification_id)
    WHERE person_id IS NOT NULL;

-- A person is linked only to notifications of their own partnership. The application checks it;
-- this holds it even against a mistake there. People are written with their links (INSERT) or
-- linked later (UPDATE): checked once per statement, so that writing thousands stays cheap.
-- Index lookups only, however many rows: PL/pgSQL keeps a plan for the session, and a hash join
-- planned for a bulk import would otherwise scan both tables at every later intake.
CREATE FUNCTION notification_person_same_partnership() RETURNS trigger
LANGUAGE plpgsql
SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off
AS $$
BEGIN
    IF EXISTS (
        SELECT 1
          FROM linked l
          JOIN notification n ON n.id = l.notification_id
          JOIN person p ON p.id = l.person_id
         WHERE p.partnership_id <> n.partnership_id
    ) THEN
        RAISE EXCEPTION 'a person is linked only to notifications of their own partnership'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'notification_person_person_partnership';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER notification_person_partnership_on_update
    AFTER UPDATE ON notification_person REFERENCING NEW TABLE AS linked
    FOR EACH STATEMENT EXECUTE FUNCTION notification_person_same_partnership();
CREATE TRIGGER notification_person_partnership_on_insert
    AFTER INSERT ON notification_person REFERENCING NEW TABLE AS linked
    FOR EACH STATEMENT EXECUTE FUNCTION notification_person_same_partnership();

-- Backfill: the people of notifications already received, linked as intake links new ones
-- (pitstop.people.queries.link_people). One person per key and partnership, named as in the
-- earliest incident; every occurrence without a key is a person of its own.
INSERT INTO person (partnership_id, match_key, family_name, given_names, date_of_birth, auto_match)
SELECT DISTINCT ON (n.partnership_id, np.match_key)
       n.partnership_id, np.match_key, np.family_name, np.given_names, np.date_of_birth, true
  FROM notification_person np
  JOIN notification n ON n.id = np.notification_id
 WHERE np.match_key IS NOT NULL
 ORDER BY n.partnership_id, np.match_key, coalesce(n.incident_at, n.received_at), np.id;

UPDATE notification_person np
   SET person_id = p.id
  FROM notification n, person p
 WHERE n.id = np.notification_id
   AND p.partnership_id = n.partnership_id AND p.auto_match AND p.match_key = np.match_key;

WITH keyless AS (
    SELECT np.id AS occurrence_id, nextval('person_id_seq') AS person_id,
           n.partnership_id, np.family_name, np.given_names, np.date_of_birth
      FROM notification_person np
      JOIN notification n ON n.id = np.notification_id
     WHERE np.match_key IS NULL
), made AS (
    INSERT INTO person (id, partnership_id, match_key, family_name, given_names, date_of_birth, auto_match)
    OVERRIDING SYSTEM VALUE
    SELECT person_id, partnership_id, NULL, family_name, given_names, date_of_birth, false FROM keyless
)
UPDATE notification_person np SET person_id = k.person_id FROM keyless k WHERE np.id = k.occurrence_id;

-- Each partnership's rule for "potential escalation": `threshold` incidents or more in the
-- `window_months` ending at a notification (the incident itself included). A partnership without
-- a row uses the defaults in pitstop.people.models (3 in 12 months).
CREATE TABLE repeat_incident_rule (
    partnership_id bigint PRIMARY KEY REFERENCES partnership (id),
    threshold      integer NOT NULL,
    window_months  integer NOT NULL,
    version        integer NOT NULL DEFAULT 1,
    updated_by     bigint REFERENCES app_user (id),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT repeat_incident_rule_threshold_range CHECK (threshold BETWEEN 2 AND 20),
    CONSTRAINT repeat_incident_rule_window_range CHECK (window_months BETWEEN 1 AND 36)
);

-- What the application may do: read people and add them; record merges and versions, never change
-- whom a person is (partnership, key, names) or delete one.
GRANT SELECT, INSERT ON person TO pitstop_app;
GRANT UPDATE (merged_into, merged_by, merged_at, version, updated_at) ON person TO pitstop_app;
-- Linking allocates person ids in the same statement that links them (people without a key).
GRANT USAGE ON SEQUENCE person_id_seq TO pitstop_app;
GRANT SELECT, INSERT, UPDATE ON repeat_incident_rule TO pitstop_app;
