"""What follows a coordinator's action: the round's next step, started at once through the `advance-round`
deployment (or, where nothing serves it, the round driver run here). The command line and the console share it."""

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


def advance_after(api: "PrefectApi", round_id: int, slug: str, action: str, language: str | None = None) -> Followed:
    """Start the round's next step after `action`; says what was started, in `language` (the coordinator's
    unless given).

    Through the deployment when the server runs it, so the command returns at once and a worker sends what
    the action queued within seconds; else the round driver runs here, as a flow run, before the command ends.
    """
    from config.translations import gettext_for
    from workflows.command_language import coordinator_language
    from workflows.deployments import served, start_advance
    from workflows.flows import about_round, advance_round_flow

    language = language or coordinator_language()
    _ = gettext_for(language, "workflows")
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
