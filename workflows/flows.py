"""The Prefect flows: thin wrappers that run the round driver's steps as tasks.

Tasks take ids, open their own sessions, and work in batches (hundreds of people per task run), so a round
of ten thousand is tens of task runs, not thousands. Run names say what happened, for a coordinator
reading the Prefect UI: "Round 2027-q1 · invitations · batch 3/20 (500 people)".
"""

import os
from collections.abc import Callable
from functools import cache
from typing import Any

# Set before Prefect reads its settings: no telemetry from an engine that runs in public administrations
# (and often without a way out to the internet).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect import flow, task
from prefect.runtime import flow_run

from config.settings import get_settings
from review_model.store import make_engine
from workflows.round_driver import AdvanceReport, advance_round
from workflows.stages.context import StageContext
from workflows.stages.launch import launch_blockers, open_invitation_stage

# Steps that talk to the SMTP server are retried by Prefect too (delivery also retries each message itself).
_RETRIES = {"deliver_now": 2}


class LaunchRefused(Exception):
    """The round cannot be launched; `reasons` lists every reason found."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@cache
def _as_task(function: Callable[..., Any]) -> Any:
    return task(
        function,
        name=function.__name__.replace("_", "-"),
        retries=_RETRIES.get(function.__name__, 1),
        retry_delay_seconds=5,
        persist_result=False,
    )


def run_as_task(label: str, function: Callable[..., Any], *arguments: Any) -> Any:
    """The round driver's `run_step`, as a Prefect task run named `label`."""
    return _as_task(function).with_options(task_run_name=label)(*arguments)


def _context() -> StageContext:
    settings = get_settings()
    return StageContext.from_settings(settings, make_engine(settings.database_url))


@flow(name="advance-round", flow_run_name="Round {round_slug} · advance", persist_result=False)
def advance_round_flow(round_id: int, round_slug: str) -> AdvanceReport:
    """Do whatever is due for the round now (see workflows.round_driver)."""
    context = _context()
    try:
        report = advance_round(context, round_id, run_step=run_as_task)
    finally:
        context.engine.dispose()
    _rename_run(f"Round {round_slug} · {report.summary()}")
    return report


@flow(name="launch-round", flow_run_name="Round {round_slug} · launch", persist_result=False)
def launch_round_flow(round_id: int, round_slug: str, actor: str) -> AdvanceReport:
    """Check everything, open the invitation stage, and send the invitations."""
    context = _context()
    try:
        reasons = launch_blockers(context, round_id)
        if reasons:
            raise LaunchRefused(reasons)
        open_invitation_stage(context, round_id, actor)
        report = advance_round(context, round_id, run_step=run_as_task)
    finally:
        context.engine.dispose()
    _rename_run(f"Round {round_slug} · launched · {report.summary()}")
    return report


def _rename_run(name: str) -> None:
    """Give the flow run a name that says what it did."""
    from prefect.client.orchestration import get_client

    run_id = flow_run.get_id()
    if run_id is None:
        return
    with get_client(sync_client=True) as client:
        client.update_flow_run(flow_run_id=run_id, name=name)
