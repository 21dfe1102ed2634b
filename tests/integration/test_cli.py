"""The `pitstop` command as an operator uses it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def pitstop(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PITSTOP_")} | env
    return subprocess.run(
        [sys.executable, "-m", "pitstop.cli", *args], env=clean, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(("command", "words"), [("serve", "migrations"), ("migrate", "lock"), ("demo", "again")])
def test_each_command_explains_itself(command: str, words: str) -> None:
    done = pitstop(command, "--help")
    assert done.returncode == 0
    assert words in done.stdout


def test_top_level_help_lists_the_commands() -> None:
    done = pitstop("--help")
    assert done.returncode == 0
    for command in ("serve", "migrate", "demo"):
        assert command in done.stdout


def test_demo_is_refused_in_production(tmp_path) -> None:
    done = pitstop(
        "demo",
        PITSTOP_ENV="production",
        PITSTOP_DATABASE_URL="postgresql://pitstop_app@127.0.0.1:1/none",
        PITSTOP_SECRET_KEY="k" * 40,
        PITSTOP_BASE_URL="https://pitstop.example",
        PITSTOP_DATA_DIR=str(tmp_path),
    )
    assert done.returncode == 2
    assert "never loaded in production" in done.stderr


def test_a_configuration_error_is_one_clear_line(tmp_path) -> None:
    done = pitstop("serve", PITSTOP_ENV="production", PITSTOP_DATA_DIR=str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip().startswith("pitstop: configuration error: PITSTOP_DATABASE_URL is required")
    assert "Traceback" not in done.stderr
