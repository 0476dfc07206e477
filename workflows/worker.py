"""A Prefect process worker for spr's work pool: it polls the Prefect server and runs each flow run of the
deployments in a process of its own, with this host's spr settings.

A flow run starts in a temporary folder, so the worker hands its children the settings it resolved itself
(absolute store path, key file, everything from a .env file) through the environment.
"""

import os
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from config.settings import ENV_PREFIX, Settings, secret_key_path, sqlite_store_file

DEFAULT_STORE = Settings.model_fields["database_url"].default


def worker_refusals(settings: Settings, environment: dict[str, str] | os._Environ[str]) -> list[str]:
    """Every reason a stand-alone worker must not start with these settings: it would otherwise create an
    empty store and a new secret key in whatever folder it was started from, and send links nobody can open."""
    reasons = []
    configured_store = f"{ENV_PREFIX}DATABASE_URL" in environment or settings.database_url != DEFAULT_STORE
    if not configured_store:
        reasons.append(
            "no store configured: set SPR_DATABASE_URL to the store the portal uses (postgresql+psycopg://…); "
            "a worker does not make a store of its own"
        )
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and configured_store:
        database = Path(url.database or "").expanduser()
        if not database.is_file():
            reasons.append(f"the SQLite store {database} does not exist; a worker does not make a store of its own")
    key_file = secret_key_path(settings)
    if settings.secret_key is None and (key_file is None or not key_file.is_file()):
        where = f" ({key_file} does not exist)" if key_file else ""
        reasons.append(
            "no secret key configured: set SPR_SECRET_KEY or SPR_SECRET_KEY_FILE to the key of the store" + where
        )
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
    return exported


async def run_worker(work_pool: str, poll_seconds: float, name: str | None = None) -> None:
    """Poll `work_pool` and run its flow runs until cancelled (the caller cancels on SIGTERM or SIGINT)."""
    from prefect.settings import PREFECT_WORKER_QUERY_SECONDS, temporary_settings
    from prefect.workers.process import ProcessWorker

    with temporary_settings(updates={PREFECT_WORKER_QUERY_SECONDS: poll_seconds}):
        worker = ProcessWorker(work_pool_name=work_pool, name=name, create_pool_if_not_found=False)
        await worker.start(printer=lambda *args, **kwargs: None)
