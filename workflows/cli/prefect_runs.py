"""How a coordinator's command runs its flow: on the Prefect server in use, and then starts the round's next
step at once through the `advance-round` deployment (or, where nothing serves it, advances the round itself)."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from review_model.vocabulary import Stage
    from workflows.prefect_server import PrefectApi


@dataclass(frozen=True)
class Followed:
    """What a command started after its action: `line` says so; `stage` is the round's stage when the round
    was advanced here (None when a worker does it)."""

    line: str
    stage: "Stage | None" = None


@contextmanager
def on_prefect() -> Iterator["PrefectApi"]:
    """Flows inside the block run on the Prefect server in use (see workflows.prefect_server); a configured
    server that does not answer raises PrefectUnreachable, which the command prints in one line."""
    from config.settings import get_settings
    from workflows.prefect_server import prefect_api, using

    meanwhile = "start it, or run the round driver without Prefect: `spr round advance ROUND --direct`"
    with using(prefect_api(get_settings(), meanwhile)) as api:
        yield api


def advance_after(api: "PrefectApi", round_id: int, slug: str, action: str) -> Followed:
    """Start the round's next step after `action`; says what was started.

    Through the deployment when the server runs it, so the command returns at once and a worker sends what
    the action queued within seconds; else the round driver runs here, as a flow run, before the command ends.
    """
    from workflows.deployments import served, start_advance
    from workflows.flows import about_round, advance_round_flow

    serving = served(api)
    if serving.deployed:
        name = start_advance(round_id, slug, action)
        waits = f" ({serving.reason}; the run waits for one)" if not serving.worker_online else ""
        return Followed(f"Started the flow run “{name}” on {api.describe()}: what follows is done in seconds{waits}.")
    with about_round(slug):
        report = advance_round_flow(round_id, slug, action)
    assert report is not None  # None only for a run given wait_seconds
    return Followed(f"Round advanced here ({serving.reason}): {report.summary()}.", report.stage_after)
