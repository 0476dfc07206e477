"""Running `spr` as an operator does: in its own process with its own environment, or in the test process
with the environment a coordinator would have set."""

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from config.settings import get_settings
from tests.support.round_world import SECRET, RoundWorld

PREFECT_NOISE = ("INFO", "ERROR", "Traceback", "WARNING")


def configure(monkeypatch: pytest.MonkeyPatch, world: RoundWorld) -> None:
    """The settings a coordinator's commands need for the round world: its key, its SMTP server, its portal."""
    monkeypatch.setenv("SPR_SECRET_KEY", SECRET)
    monkeypatch.setenv("SPR_SMTP_PORT", str(world.mail.port))
    monkeypatch.setenv("SPR_PUBLIC_BASE_URL", "http://testserver")
    monkeypatch.setenv("SPR_STATUS_DIGEST", "false")  # as in the `configured` fixture
    get_settings.cache_clear()


def environment(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", **extra}


def spr(*args: str, cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """`spr ARGS` in its own process, as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "workflows.cli", *args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip


def assert_quiet(output: str) -> None:
    """Nothing from Prefect: no log lines, no error, no traceback."""
    for word in PREFECT_NOISE:
        assert word not in output, output


def wait_for(condition: Callable[[], object], what: str, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited in vain for {what}"
        time.sleep(0.2)
