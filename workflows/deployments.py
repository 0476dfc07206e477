"""The deployments on the Prefect server, and starting the round driver through them.

Two deployments on a process work pool (`spr`): `advance-active-rounds` on an interval schedule (at most one
run at a time), and `advance-round` on demand, which every coordinator action and every submission starts
for its round so that the effect follows in seconds. They load the flows from the installed package (a
module path), so a worker needs spr installed and nothing else: no image, no remote storage.
"""

import contextvars
import logging
import threading
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta

from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.deployments.runner import RunnerDeployment
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.types.entrypoint import EntrypointType
from sqlalchemy.engine import Engine

from config.translations import gettext_for
from review_model.rounds import RoundNotFound, get_round
from review_model.store import reading_session
from workflows.flows import advance_active_rounds_flow, advance_round_flow, round_tag
from workflows.prefect_server import PrefectApi

log = logging.getLogger("spr.deployments")

WORK_POOL = "spr"
ADVANCE_ROUND = "advance-round/advance-round"
ADVANCE_ACTIVE_ROUNDS = "advance-active-rounds/advance-active-rounds"


def register_deployments(interval_seconds: float, work_pool: str = WORK_POOL) -> list[str]:
    """Create (or update) the work pool and both deployments on the current Prefect server; returns their
    names. Safe to repeat: every host that runs `spr deploy` or `spr serve` may."""
    from prefect.client.schemas.actions import WorkPoolCreate

    with get_client(sync_client=True) as client, suppress(ObjectAlreadyExists):
        client.create_work_pool(WorkPoolCreate(name=work_pool, type="process"))
    scheduled = advance_active_rounds_flow.to_deployment(
        name=advance_active_rounds_flow.name,
        interval=timedelta(seconds=interval_seconds),
        concurrency_limit=1,  # a slow pass is not overtaken by the next one
        tags=["spr"],
        description="Advances every active round; runs every SPR_ADVANCE_INTERVAL_SECONDS.",
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    on_demand = advance_round_flow.to_deployment(
        name=advance_round_flow.name,
        tags=["spr"],
        description="Advances one round; started by coordinator actions and submissions.",
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    for deployment in (scheduled, on_demand):
        assert isinstance(deployment, RunnerDeployment)  # not a coroutine: this runs outside an event loop
        deployment.apply(work_pool_name=work_pool)
    return [ADVANCE_ACTIVE_ROUNDS, ADVANCE_ROUND]


@dataclass(frozen=True)
class Served:
    """Whether the Prefect server in use can run the `advance-round` deployment, and if not, why."""

    deployed: bool
    worker_online: bool
    reason: str = ""


def served(api: PrefectApi, work_pool: str = WORK_POOL, language: str = "en") -> Served:
    """Whether `advance-round` is deployed on `api` and a worker polls its pool; the reason in `language`."""
    _ = gettext_for(language, "workflows")
    if api.url is None:
        return Served(False, False, _("no Prefect server runs"))
    from prefect.client.schemas.objects import WorkPoolStatus

    with get_client(sync_client=True) as client:
        try:
            client.read_deployment_by_name(ADVANCE_ROUND)
        except ObjectNotFound:
            return Served(False, False, _("{deployment} is not deployed there (run `spr deploy`)").format(
                deployment=ADVANCE_ROUND))  # fmt: skip
        try:
            pool = client.read_work_pool(work_pool)
        except ObjectNotFound:
            return Served(True, False, _("its work pool {pool} does not exist (run `spr deploy`)").format(
                pool=work_pool))  # fmt: skip
    online = pool.status is WorkPoolStatus.READY
    if online:
        return Served(True, True)
    return Served(True, False, _("no worker polls the work pool {pool} (start `spr worker`)").format(pool=work_pool))


def start_advance(round_id: int, round_slug: str, after: str) -> str:
    """Start an `advance-round` run for the round now, without waiting for it; returns the run's name."""
    run = run_deployment(
        ADVANCE_ROUND,
        parameters={"round_id": round_id, "round_slug": round_slug, "after": after},
        flow_run_name=f"Round {round_slug} · advance after {after}",
        tags=[round_tag(round_slug)],
        timeout=0,
        as_subflow=False,
    )
    assert isinstance(run, FlowRun)  # not a coroutine: this runs outside an event loop
    return str(run.name)


def start_advancing_every_round(why: str) -> str:
    """Start an `advance-active-rounds` run now (a host that starts catches up on what fell due while it was
    down, without waiting for the interval); returns the run's name."""
    run = run_deployment(
        ADVANCE_ACTIVE_ROUNDS, flow_run_name=f"Every active round · advance ({why})", timeout=0, as_subflow=False
    )
    assert isinstance(run, FlowRun)  # not a coroutine: this runs outside an event loop
    return str(run.name)


class AdvanceTrigger:
    """Starts `advance-round` for rounds someone submitted to, from a thread of its own so a participant's
    request never waits for the Prefect server; a burst of submissions to one round within `coalesce`
    seconds starts one run, which sees them all (it starts after they were saved)."""

    def __init__(self, engine: Engine, coalesce: float = 2.0):
        self.engine, self.coalesce = engine, coalesce
        self._due: set[int] = set()
        self._lock = threading.Lock()
        self._event = threading.Event()
        self._stopping = False
        # The thread runs in the context it was made in: Prefect's settings for this block (the server in use,
        # see prefect_server.using) live in context variables, which a new thread would not see.
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, args=(self._run,), name="spr-advance-trigger", daemon=True)

    def start(self) -> "AdvanceTrigger":
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping = True
        self._event.set()
        self._thread.join(timeout)

    def submitted(self, round_id: int) -> None:
        """Someone submitted to the round: advance it soon."""
        with self._lock:
            self._due.add(round_id)
        self._event.set()

    def _run(self) -> None:
        while not self._stopping:
            self._event.wait()
            if self._stopping:
                return
            self._event.clear()
            self._event.wait(self.coalesce)  # gather the burst
            with self._lock:
                due, self._due = self._due, set()
            for round_id in sorted(due):
                try:
                    start_advance(round_id, self._slug(round_id), "a submission")
                except Exception as error:  # the interval schedule advances the round anyway
                    log.warning("could not start advance-round for round %s: %s", round_id, error)

    def _slug(self, round_id: int) -> str:
        with reading_session(self.engine) as session:
            try:
                return get_round(session, round_id).slug
            except RoundNotFound:
                return str(round_id)
