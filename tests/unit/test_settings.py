"""Settings from PITSTOP_* variables, and the production rules."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from pitstop.settings import Environment, SettingsError, load_settings, with_secret_key

KEY = "k" * 40


def test_defaults_suit_a_laptop() -> None:
    settings = load_settings({})
    assert settings.env is Environment.DEVELOPMENT
    assert settings.embedded_database
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert settings.migrate_on_start is True


def test_values_are_read_and_converted() -> None:
    settings = load_settings(
        {
            "PITSTOP_DATABASE_URL": "postgresql://app@db/pitstop",
            "PITSTOP_PORT": "9000",
            "PITSTOP_DATA_DIR": "/srv/pitstop",
            "PITSTOP_LOG_LEVEL": "DEBUG",
            "PITSTOP_MIGRATE_ON_START": "false",
        }
    )
    assert settings.database_url == "postgresql://app@db/pitstop"
    assert not settings.embedded_database
    assert settings.port == 9000
    assert settings.data_dir == Path("/srv/pitstop")
    assert settings.log_level.value == "DEBUG"
    assert settings.migrate_on_start is False


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({"PITSTOP_PORT": "eighty"}, "PITSTOP_PORT"),
        ({"PITSTOP_PORT": "70000"}, "PITSTOP_PORT"),
        ({"PITSTOP_ENV": "prod"}, "PITSTOP_ENV"),
        ({"PITSTOP_MIGRATE_ON_START": "perhaps"}, "PITSTOP_MIGRATE_ON_START"),
        ({"PITSTOP_DATABSE_URL": "postgresql://x"}, "PITSTOP_DATABSE_URL"),  # a typo is not ignored
        ({"PITSTOP_SECRET_KEY": "short"}, "PITSTOP_SECRET_KEY"),
    ],
)
def test_bad_values_name_the_variable(environ: dict[str, str], names: str) -> None:
    with pytest.raises(SettingsError, match=names):
        load_settings(environ)


def test_production_refuses_the_embedded_database() -> None:
    with pytest.raises(SettingsError, match="PITSTOP_DATABASE_URL is required in production"):
        load_settings(PRODUCTION | {"PITSTOP_DATABASE_URL": ""})


def test_production_refuses_to_start_without_a_secret_key() -> None:
    with pytest.raises(SettingsError, match="PITSTOP_SECRET_KEY is required in production"):
        load_settings(PRODUCTION | {"PITSTOP_SECRET_KEY": ""})


PRODUCTION = {
    "PITSTOP_ENV": "production",
    "PITSTOP_DATABASE_URL": "postgresql://app@db/p",
    "PITSTOP_SECRET_KEY": KEY,
    "PITSTOP_BASE_URL": "https://pitstop.northfield.example",
}


def test_production_with_everything_it_needs_is_accepted() -> None:
    assert load_settings(PRODUCTION).production


def test_production_refuses_a_plain_http_address() -> None:
    with pytest.raises(SettingsError, match="PITSTOP_BASE_URL must be an https"):
        load_settings(PRODUCTION | {"PITSTOP_BASE_URL": "http://pitstop.northfield.example"})


def test_development_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    settings = load_settings({"PITSTOP_DATA_DIR": str(tmp_path)})
    first = with_secret_key(settings)
    second = with_secret_key(settings)
    assert first.secret_key
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_repr_never_shows_secrets() -> None:
    settings = load_settings(
        {"PITSTOP_DATABASE_URL": "postgresql://app:hunter2hunter2@db/pitstop", "PITSTOP_SECRET_KEY": KEY}
    )
    text = repr(settings)
    assert "hunter2" not in text
    assert KEY not in text
    assert "postgresql://app:***@db/pitstop" in text


def test_processes_starting_together_agree_on_one_complete_key(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    settings = load_settings({"PITSTOP_DATA_DIR": str(tmp_path)})
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: with_secret_key(settings).secret_key, range(32)))
    assert len(set(keys)) == 1
    assert len(keys[0]) >= 32
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temporary files left


def test_mail_settings_are_read_and_the_smtp_password_never_shown() -> None:
    settings = load_settings(
        {
            "PITSTOP_SMTP_HOST": "smtp.northfield.example",
            "PITSTOP_SMTP_PORT": "2525",
            "PITSTOP_SMTP_USERNAME": "pitstop",
            "PITSTOP_SMTP_PASSWORD": "a mail secret",
            "PITSTOP_SMTP_STARTTLS": "no",
            "PITSTOP_MAIL_FROM": "pitstop@northfield.example",
        }
    )
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_starttls) == ("smtp.northfield.example", 2525, False)
    assert "a mail secret" not in repr(settings)
    with pytest.raises(SettingsError, match="PITSTOP_MAIL_FROM"):
        load_settings({"PITSTOP_MAIL_FROM": "not an address"})
    assert load_settings({}).smtp_host is None  # no server: nothing is sent, mail waits in the outbox
