#!/bin/bash
# Runs once, inside the postgres container, the first time its data volume is initialised
# (docker-entrypoint-initdb.d). It creates the role Pitstop's web process connects as:
# pitstop_app may log in, owns nothing and is not a superuser. The schema belongs to
# POSTGRES_USER (pitstop_owner), as whom `pitstop serve` applies the migrations; migration 0001
# grants pitstop_app what it needs.
#
# The password comes from APP_DB_PASSWORD (compose.yaml passes it from .env). Changing it in .env
# later does not change the role: see the README, "Changing a database password".
set -Eeo pipefail  # no -u: the entrypoint sources this file if it has lost its execute bit

if [ -z "${APP_DB_PASSWORD:-}" ]; then
    echo "01-app-role.sh: APP_DB_PASSWORD is not set; cannot create the pitstop_app role" >&2
    exit 1
fi

# psql substitutes :'app_password' as a quoted literal, so the password is never pasted into SQL.
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set app_password="$APP_DB_PASSWORD" <<'EOSQL'
SELECT 'CREATE ROLE pitstop_app'
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pitstop_app')
\gexec
ALTER ROLE pitstop_app WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'app_password';
EOSQL
