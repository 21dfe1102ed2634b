-- The platform: the application's database role and the partnership, the tenant every
-- later table hangs from.

-- The app connects as pitstop_app, which owns nothing and is not a superuser, so that
-- row-level security and append-only tables can later hold even against the app itself.
-- Deployments usually create it (with LOGIN and a password) before the first migration;
-- this only makes sure grants below have a role to name.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pitstop_app') THEN
        CREATE ROLE pitstop_app NOLOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO pitstop_app;

-- A partnership: one council area with its police force. One deployment can serve several;
-- every tenant-owned row carries partnership_id.
CREATE TABLE partnership (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug         text NOT NULL,
    name         text NOT NULL,
    council_area text NOT NULL,
    police_force text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT partnership_slug_key UNIQUE (slug),
    CONSTRAINT partnership_slug_format CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    CONSTRAINT partnership_name_present CHECK (length(btrim(name)) > 0)
);

GRANT SELECT ON partnership TO pitstop_app;
