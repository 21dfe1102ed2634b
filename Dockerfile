# syntax=docker/dockerfile:1
#
# Pitstop's production image: `docker build -t pitstop .` (compose.yaml does this for you).
#
#   1. assets   Node 20 compiles the front-end assets into pitstop/web/static/ (not in git).
#   2. build    pip installs Pitstop, with those assets, into a virtual environment /opt/pitstop.
#   3. final    python:3.11-slim plus that virtual environment, run as an unprivileged user.
#
# Every Python dependency ships binary wheels (amd64 and arm64), so no stage needs a compiler.
# The image runs in production mode: it needs PITSTOP_DATABASE_URL, PITSTOP_SECRET_KEY and an
# https:// PITSTOP_BASE_URL, and `pitstop serve` applies pending migrations at start (as
# PITSTOP_MIGRATION_DATABASE_URL if set).

ARG PYTHON_IMAGE=python:3.11-slim
ARG NODE_IMAGE=node:20

# ---- 1. Front-end assets --------------------------------------------------------------------
FROM ${NODE_IMAGE} AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/ frontend/
# frontend/build.mjs writes to /src/pitstop/web/static/.
RUN npm run build

# ---- Python base shared by the build and final stages (the venv points at its interpreter) ---
FROM ${PYTHON_IMAGE} AS python-base

# ---- 2. Install Pitstop into a virtual environment -----------------------------------------
FROM python-base AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/pitstop
WORKDIR /src
# The wheel packs pitstop/ with migrations/ and templates/ as pitstop/_resources/, and the built
# assets in pitstop/web/static/ (pyproject.toml, [tool.hatch.build.targets.wheel]).
COPY pyproject.toml README.md ./
COPY migrations/ migrations/
COPY templates/ templates/
COPY pitstop/ pitstop/
COPY --from=assets /src/pitstop/web/static/ pitstop/web/static/
RUN /opt/pitstop/bin/python -m pip install .
# Fail the build if the installed package lacks its migrations, templates or assets (run from /
# so that `import pitstop` finds the installed copy, not /src/pitstop).
RUN cd / && /opt/pitstop/bin/python -c "from pitstop.resources import MIGRATIONS_DIR as m, TEMPLATES_DIR as t, STATIC_DIR as s; \
assert '_resources' in str(m) and any(m.glob('*.sql')), m; \
assert '_resources' in str(t) and t.is_dir(), t; \
assert (s / 'pitstop.css').is_file(), s"

# ---- 3. Final image ----------------------------------------------------------------------
FROM python-base

ENV PATH=/opt/pitstop/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PITSTOP_ENV=production \
    PITSTOP_HOST=0.0.0.0 \
    PITSTOP_PORT=8000

# A fixed UID/GID, so volume ownership and Kubernetes securityContext can name it.
RUN groupadd --system --gid 10001 pitstop \
    && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/pitstop \
        --shell /usr/sbin/nologin pitstop

COPY --from=build /opt/pitstop /opt/pitstop

USER 10001:10001
WORKDIR /home/pitstop
EXPOSE 8000

# Liveness: /healthz answers once `pitstop serve` has migrated and is listening (slim has no curl).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PITSTOP_PORT', '8000') + '/healthz', timeout=4)"]

# `docker run IMAGE` serves; `docker run IMAGE migrate` (or `compose run --rm app migrate`) migrates.
ENTRYPOINT ["pitstop"]
CMD ["serve"]
