"""Settings: one frozen Struct read from PITSTOP_* environment variables.

Every setting has a documented default (README, "Configuration"). Production mode refuses the
conveniences that are only safe on a developer's laptop: the embedded database and a generated
secret key.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

import msgspec
import platformdirs

PREFIX = "PITSTOP_"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the environment variable."""


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    env: Environment = Environment.DEVELOPMENT
    # None means: start the embedded PostgreSQL under data_dir.
    database_url: str | None = None
    # Migrations run as the schema owner; the app connects as a role that owns nothing.
    # Defaults to database_url (one role) when not set.
    migration_database_url: str | None = None
    data_dir: Path = msgspec.field(default_factory=lambda: Path(platformdirs.user_data_dir("pitstop")))
    base_url: str = "http://localhost:8000"
    secret_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: LogLevel = LogLevel.INFO
    db_pool_min: int = 2
    db_pool_max: int = 10
    migrate_on_start: bool = True
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    # How often the meeting clock runs (generate meetings, place screened notifications, publish
    # agendas on time); 0 turns it off in this process.
    meeting_clock_seconds: int = 60
    # How often the dashboard's figures are brought up to date in the background (pitstop.dashboard.facts);
    # 0 turns it off in this process (a view still counts a few changes itself).
    dashboard_counter_seconds: int = 15
    # Mail (pitstop.mail): without an SMTP host nothing is sent; messages wait in the outbox.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    # The From address: the partnership's mailbox, which also organises the calendar invites.
    mail_from: str = "pitstop@localhost"

    def __repr__(self) -> str:
        # Settings end up in tracebacks and debug output: never show the key or database passwords.
        shown = {
            name: ("<hidden>" if name in ("secret_key", "smtp_password") and value else _hide_password(value))
            for name, value in msgspec.structs.asdict(self).items()
        }
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    @property
    def production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def embedded_database(self) -> bool:
        return self.database_url is None


# Settings whose names differ from the field name would go here; today they all match.
_FIELDS = {name: name.upper() for name in Settings.__struct_fields__}
_BOOL_FIELDS = {"migrate_on_start", "smtp_starttls"}
_BOOL_WORDS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read PITSTOP_* variables, validate them and apply the production rules."""
    environ = os.environ if environ is None else environ
    raw: dict[str, object] = {}
    for field, suffix in _FIELDS.items():
        value = environ.get(PREFIX + suffix)
        if value is None or value == "":
            continue
        if field in _BOOL_FIELDS:
            if value.lower() not in _BOOL_WORDS:
                raise SettingsError(f"{PREFIX}{suffix}: expected true or false, got {value!r}")
            raw[field] = _BOOL_WORDS[value.lower()]
        else:
            raw[field] = value
    unknown = sorted(k for k in environ if k.startswith(PREFIX) and k[len(PREFIX) :] not in _FIELDS.values())
    # Test-only variables are read by the test suite, not by the service.
    unknown = [k for k in unknown if not k.startswith(PREFIX + "TEST_")]
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(unknown)} (see the README's Configuration table)")
    try:
        settings = msgspec.convert(raw, Settings, strict=False, dec_hook=_decode)
    except msgspec.ValidationError as exc:
        raise SettingsError(_name_the_variable(str(exc))) from None
    _check(settings)
    return settings


def _decode(kind: type, value: object) -> object:
    if kind is Path and isinstance(value, str):
        return Path(value).expanduser()
    raise NotImplementedError(f"cannot read {kind.__name__} from an environment variable")


def _hide_password(value: object) -> object:
    if isinstance(value, str) and "://" in value:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", value)
    return value


def _name_the_variable(message: str) -> str:
    # msgspec says "... - at `$.port`"; users set PITSTOP_PORT.
    marker = "at `$."
    if marker in message:
        head, _, tail = message.partition(marker)
        field = tail.rstrip("`")
        return f"{PREFIX}{field.upper()}: {head.rstrip(' -')}"
    return message


def _check(settings: Settings) -> None:
    if not 1 <= settings.port <= 65535:
        raise SettingsError(f"{PREFIX}PORT: must be between 1 and 65535")
    if not 1 <= settings.session_idle_minutes <= 24 * 60:
        raise SettingsError(f"{PREFIX}SESSION_IDLE_MINUTES: must be between 1 and 1440")
    if not 1 <= settings.session_absolute_hours <= 24 * 7:
        raise SettingsError(f"{PREFIX}SESSION_ABSOLUTE_HOURS: must be between 1 and 168")
    if not 0 <= settings.meeting_clock_seconds <= 3600:
        raise SettingsError(f"{PREFIX}MEETING_CLOCK_SECONDS: must be between 0 (off) and 3600")
    if not 0 <= settings.dashboard_counter_seconds <= 3600:
        raise SettingsError(f"{PREFIX}DASHBOARD_COUNTER_SECONDS: must be between 0 (off) and 3600")
    if not 1 <= settings.smtp_port <= 65535:
        raise SettingsError(f"{PREFIX}SMTP_PORT: must be between 1 and 65535")
    if "@" not in settings.mail_from:
        raise SettingsError(f"{PREFIX}MAIL_FROM: must be an email address")
    if settings.db_pool_min < 1 or settings.db_pool_max < settings.db_pool_min:
        raise SettingsError(f"{PREFIX}DB_POOL_MAX must be at least {PREFIX}DB_POOL_MIN, and both at least 1")
    if settings.production:
        if not settings.database_url:
            raise SettingsError(
                f"{PREFIX}DATABASE_URL is required in production: the embedded database is for trying "
                "Pitstop and developing it, not for case data"
            )
        if not settings.secret_key:
            raise SettingsError(f"{PREFIX}SECRET_KEY is required in production")
        if not settings.base_url.startswith("https://"):
            raise SettingsError(f"{PREFIX}BASE_URL must be an https:// address in production")
    if settings.secret_key is not None and len(settings.secret_key) < 32:
        raise SettingsError(f"{PREFIX}SECRET_KEY: must be at least 32 characters")


def with_secret_key(settings: Settings) -> Settings:
    """Fill in a development secret key: generated once, kept in the data directory (mode 0600)."""
    if settings.secret_key:
        return settings
    if settings.production:  # _check already refuses this; never generate one in production
        raise SettingsError(f"{PREFIX}SECRET_KEY is required in production")
    path = settings.data_dir / "secret_key"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written whole to a private temporary file, then linked into place: link is atomic and
        # refuses an existing name, so two processes starting together agree on one complete key.
        fd, temporary = tempfile.mkstemp(dir=settings.data_dir, prefix=".secret_key-")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    key = path.read_text().strip()
    if len(key) < 32:
        raise SettingsError(f"{path}: the stored secret key is too short; delete the file to generate a new one")
    return msgspec.structs.replace(settings, secret_key=key)
