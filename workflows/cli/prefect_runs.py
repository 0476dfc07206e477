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
    from workflows.cli.output import messages
    from workflows.prefect_server import prefect_api, using

    _ = messages()
    meanwhile = _("start it, or run the round driver without Prefect: `spr round advance ROUND --direct`")
    with using(prefect_api(get_settings(), meanwhile)) as api:
        yield api


def advance_after(api: "PrefectApi", round_id: int, slug: str, action: str) -> Followed:
    """Start the round's next step after `action`; says what was started.

    Through the deployment when the server runs it, so the command returns at once and a worker sends what
    the action queued within seconds; else the round driver runs here, as a flow run, before the command ends.
    """
    from workflows.cli.output import coordinator_language, messages
    from workflows.deployments import served, start_advance
    from workflows.flows import about_round, advance_round_flow

    _, language = messages(), coordinator_language()
    serving = served(api, language=language)
    if serving.deployed:
        name, server = start_advance(round_id, slug, action), api.describe(language)
        if serving.worker_online:
            return Followed(
                _("Started the flow run “{name}” on {server}: what follows is done in seconds.").format(
                    name=name, server=server
                )
            )
        return Followed(
            _("Started the flow run “{name}” on {server}: what follows is done in seconds ({reason}; the run "
              "waits for one).").format(name=name, server=server, reason=serving.reason)
        )  # fmt: skip
    with about_round(slug):
        report = advance_round_flow(round_id, slug, action)
    assert report is not None  # None only for a run given wait_seconds
    line = _("Round advanced here ({reason}): {summary}.").format(
        reason=serving.reason, summary=report.summary(language)
    )
    return Followed(line, report.stage_after)
