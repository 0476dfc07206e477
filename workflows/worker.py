"""A Prefect process worker for spr's work pool: it polls the Prefect server and runs each flow run of the
deployments in a process of its own, with this host's spr settings.

A flow run starts in a temporary folder, so the worker hands its children the settings it resolved itself
(absolute store path, key file, everything from a .env file) through the environment.
"""

import asyncio
import contextlib
import os
import signal
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from config.settings import ENV_PREFIX, Settings, secret_key_path, sqlite_store_file
from config.translations import gettext_for

DEFAULT_STORE = Settings.model_fields["database_url"].default


def worker_refusals(settings: Settings, environment: dict[str, str] | os._Environ[str]) -> list[str]:
    """Every reason a stand-alone worker must not start with these settings: it would otherwise create an
    empty store and a new secret key in whatever folder it was started from, and send links nobody can open."""
    _ = gettext_for(settings.command_language, "workflows")
    reasons = []
    configured_store = f"{ENV_PREFIX}DATABASE_URL" in environment or settings.database_url != DEFAULT_STORE
    if not configured_store:
        reasons.append(
            _(
                "no store configured: set SPR_DATABASE_URL to the store the portal uses (postgresql+psycopg://…); "
                "a worker does not make a store of its own"
            )
        )
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and configured_store:
        database = Path(url.database or "").expanduser()
        if not database.is_file():
            reasons.append(
                _("the SQLite store {file} does not exist; a worker does not make a store of its own").format(
                    file=database
                )
            )
    key_file = secret_key_path(settings)
    if settings.secret_key is None and (key_file is None or not key_file.is_file()):
        if key_file:
            no_key = _(
                "no secret key configured: set SPR_SECRET_KEY or SPR_SECRET_KEY_FILE to the key of the store "
                "({file} does not exist)"
            ).format(file=key_file)
        else:
            no_key = _("no secret key configured: set SPR_SECRET_KEY or SPR_SECRET_KEY_FILE to the key of the store")
        reasons.append(no_key)
    return reasons


def settings_for_flow_runs(settings: Settings) -> dict[str, str]:
    """The SPR_* variables that give a flow run, in any folder, the same settings as this process."""
    exported: dict[str, str] = {}
    for name, value in settings.model_dump(exclude_unset=True).items():
        if value is None:
            continue
        shown = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        exported[f"{ENV_PREFIX}{name.upper()}"] = shown
    store = sqlite_store_file(settings)
    if store is not None:
        url = make_url(settings.database_url).set(database=str(store))
        exported[f"{ENV_PREFIX}DATABASE_URL"] = url.render_as_string(hide_password=False)
    key_file = secret_key_path(settings)
    if settings.secret_key is None and key_file is not None:
        exported[f"{ENV_PREFIX}SECRET_KEY_FILE"] = str(key_file)
    for name in ("smtp_ca_file", "data_dir"):  # files named relative to this folder
        value = getattr(settings, name)
        if value:
            exported[f"{ENV_PREFIX}{name.upper()}"] = str(Path(value).expanduser().resolve())
    return exported


async def run_worker(work_pool: str, poll_seconds: float, name: str | None = None) -> None:
    """Poll `work_pool` and run its flow runs until cancelled (the caller cancels on SIGTERM or SIGINT)."""
    from prefect.settings import PREFECT_WORKER_QUERY_SECONDS, temporary_settings
    from prefect.workers.process import ProcessWorker

    with temporary_settings(updates={PREFECT_WORKER_QUERY_SECONDS: poll_seconds}):
        worker = ProcessWorker(work_pool_name=work_pool, name=name, create_pool_if_not_found=False)
        await worker.start(printer=lambda *args, **kwargs: None)


# How long a stopping worker gives running flow runs before it ends them; the driver is idempotent, so the
# next run finishes what an ended one left.
STOP_SECONDS = 20.0


async def stop_worker(running: "asyncio.Task[Any]", spare: frozenset[int] = frozenset()) -> str | None:
    """Stop the worker task within about STOP_SECONDS; returns the error it had ended with, if any.

    Cancelling it has Prefect send SIGTERM to the flow runs it started and wait for them, however long; after
    STOP_SECONDS those still running (this process's children, except the pids in `spare`: those that were
    there before the worker started) are killed.
    """
    if not running.done():
        running.cancel()
        done, _ = await asyncio.wait({running}, timeout=STOP_SECONDS)
        if not done:
            end_flow_runs(spare)
            await asyncio.wait({running}, timeout=5)
    if not running.done() or running.cancelled():
        return None
    error = running.exception()
    return f"{type(error).__name__}: {error}" if error else None


def end_flow_runs(spare: frozenset[int] = frozenset()) -> int:
    """SIGKILL every child process of this one but those in `spare`; returns how many (Linux only)."""
    ended = 0
    for pid in child_pids() - spare:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
            ended += 1
    return ended


def child_pids() -> frozenset[int]:
    """The ids of this process's children (Linux; none elsewhere): taken before a worker starts, they are the
    processes its stop must spare."""
    mine, children = os.getpid(), set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # the command name (field 2) may hold spaces; the parent's pid is the second field after it
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if parent == mine:
            children.add(int(stat.parent.name))
    return frozenset(children)
