-- The working-day calendar: each partnership's working hours and screening clocks, England and
-- Wales bank holidays (shared by every partnership), and each partnership's own closure days.

-- Working hours are local wall-clock times in `timezone`; clocks count only time inside them on
-- working days that are not closure days (pitstop.calendar.working_time). A partnership without a
-- row works the defaults.
CREATE TABLE working_pattern (
    partnership_id bigint PRIMARY KEY REFERENCES partnership (id),
    working_days   smallint[] NOT NULL DEFAULT '{1,2,3,4,5}',
    day_start      time NOT NULL DEFAULT '09:00',
    day_end        time NOT NULL DEFAULT '17:00',
    timezone       text NOT NULL DEFAULT 'Europe/London',
    -- Screening deadline per grade, in working hours from receipt: high 4 hours, medium 1 working
    -- day, standard 3 working days (of 8 hours).
    high_hours     integer NOT NULL DEFAULT 4,
    medium_hours   integer NOT NULL DEFAULT 8,
    standard_hours integer NOT NULL DEFAULT 24,
    version        integer NOT NULL DEFAULT 1,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     bigint REFERENCES app_user (id),
    CONSTRAINT working_pattern_days_known CHECK (
        cardinality(working_days) > 0
        AND working_days <@ ARRAY[1, 2, 3, 4, 5, 6, 7]::smallint[]
        AND array_position(working_days, NULL) IS NULL
    ),
    CONSTRAINT working_pattern_day_order CHECK (day_end > day_start),
    CONSTRAINT working_pattern_timezone_present CHECK (length(btrim(timezone)) > 0),
    CONSTRAINT working_pattern_hours_positive CHECK (high_hours > 0 AND medium_hours > 0 AND standard_hours > 0),
    CONSTRAINT working_pattern_hours_bounded CHECK (high_hours <= 2000 AND medium_hours <= 2000 AND standard_hours <= 2000)
);

-- Closure days. Bank holidays (source 'bank_holiday') have no partnership: one row serves every
-- partnership, and only the schema owner writes them (`pitstop.calendar.service.sync_bank_holidays`).
-- A partnership's own closure days carry its id. A removed closure day is kept, marked removed,
-- so the audit trail's "removed" row still points at what it was.
CREATE TABLE closure_day (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id bigint REFERENCES partnership (id),
    day            date NOT NULL,
    name           text NOT NULL,
    source         text NOT NULL,
    created_by     bigint REFERENCES app_user (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    removed_by     bigint REFERENCES app_user (id),
    removed_at     timestamptz,
    CONSTRAINT closure_day_source_known CHECK (source IN ('bank_holiday', 'partnership')),
    CONSTRAINT closure_day_source_owner CHECK ((source = 'bank_holiday') = (partnership_id IS NULL)),
    CONSTRAINT closure_day_bank_holiday_kept CHECK (source = 'partnership' OR removed_at IS NULL),
    CONSTRAINT closure_day_name_present CHECK (length(btrim(name)) > 0 AND length(name) <= 200)
);
-- One bank holiday per date; one live closure day per partnership and date. (Two partial indexes:
-- a plain UNIQUE (partnership_id, day) would let NULL partnership ids repeat.)
CREATE UNIQUE INDEX closure_day_bank_holiday_key ON closure_day (day) WHERE partnership_id IS NULL;
CREATE UNIQUE INDEX closure_day_partnership_key ON closure_day (partnership_id, day)
    WHERE partnership_id IS NOT NULL AND removed_at IS NULL;

-- What the application may do: read everything; keep working patterns; add and remove (mark
-- removed) its partnerships' own closure days, never bank holidays. Row-level security holds the
-- last part in the database too (the owner, which syncs bank holidays, is not subject to it).
GRANT SELECT, INSERT, UPDATE ON working_pattern TO pitstop_app;
GRANT SELECT, INSERT ON closure_day TO pitstop_app;
GRANT UPDATE (removed_by, removed_at) ON closure_day TO pitstop_app;

ALTER TABLE closure_day ENABLE ROW LEVEL SECURITY;
CREATE POLICY closure_day_read ON closure_day FOR SELECT TO pitstop_app USING (true);
CREATE POLICY closure_day_add_own ON closure_day FOR INSERT TO pitstop_app
    WITH CHECK (source = 'partnership');
CREATE POLICY closure_day_remove_own ON closure_day FOR UPDATE TO pitstop_app
    USING (source = 'partnership') WITH CHECK (source = 'partnership');
