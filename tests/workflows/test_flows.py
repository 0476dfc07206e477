"""The Prefect flows and the commands that run them, against a temporary Prefect API."""

from collections.abc import Iterator

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from review_model.tables import Enrolment, Round
from review_model.vocabulary import Stage
from tests.support.commands import configure, wait_for
from workflows.cli import app

runner = CliRunner()


@pytest.fixture
def own_prefect_api(prefect_harness: None) -> Iterator[None]:
    """A temporary Prefect API and events worker of this test's own. Prefect records task runs from the events
    a flow's process sends; once some earlier tests have run in this process on the shared API
    (tests/workflows/test_stage_operations.py, for one), this test waited in vain for its launch's task runs.
    Neither a new API nor a new events worker alone helps; both do. Why the shared pair stops is not found yet."""
    from prefect.events.worker import EventsWorker
    from prefect.testing.utilities import prefect_test_harness

    EventsWorker.drain_all(timeout=10)  # the next flow starts a worker of its own, for this API
    with prefect_test_harness(server_startup_timeout=60):
        yield


def test_launch_and_advance_run_as_prefect_flows_with_few_named_task_runs(
    own_prefect_api, round_world, configured, monkeypatch
):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, FlowRunFilterName

    world = round_world
    configure(monkeypatch, world)
    # Other tests of the session launch rounds of the same name on the same API, some under a frozen clock (so
    # no order by time tells them apart): this test's launch run is the one that was not there before it.
    launches = FlowRunFilter(name=FlowRunFilterName(like_="fruehjahr-2027 · launched"))
    with get_client(sync_client=True) as client:
        earlier = {run.id for run in client.read_flow_runs(flow_run_filter=launches, limit=200)}
    launched = runner.invoke(app, ["round", "launch", "fruehjahr-2027"], catch_exceptions=False)
    assert launched.exit_code == 0, launched.output
    assert "launched: invitation → submission · 4 invitations queued · 4 sent" in launched.output
    assert len(world.received("Einladung")) + len(world.received("Invitation")) == 4

    advanced = runner.invoke(app, ["round", "advance", "fruehjahr-2027"], catch_exceptions=False)
    assert advanced.exit_code == 0 and "submission · nothing due" in advanced.output

    with get_client(sync_client=True) as client:
        (launch_run,) = [run for run in client.read_flow_runs(flow_run_filter=launches, limit=200)
                         if run.id not in earlier]  # fmt: skip

        def launch_tasks() -> list[str]:
            this_run = FlowRunFilter(id=FlowRunFilterId(any_=[launch_run.id]))
            return sorted(task.name for task in client.read_task_runs(flow_run_filter=this_run))

        # The API records task runs from their events, in batches: after a busy stretch of the session they
        # arrive a little after the flow run has finished.
        wait_for(lambda: "Round fruehjahr-2027 · delivery" in launch_tasks(), "the launch's task runs", seconds=30)
        task_names = launch_tasks()
    assert "Round fruehjahr-2027 · launched · invitation → submission · 4 invitations queued" in launch_run.name
    assert "Round fruehjahr-2027 · invitations · batch 1/1 (4 people)" in task_names
    assert "Round fruehjahr-2027 · delivery" in task_names
    assert len(task_names) <= 6
    with Session(world.engine) as session:
        assert session.get(Round, world.round_id).stage is Stage.submission


def test_launch_is_refused_before_prefect_starts(round_world, configured, monkeypatch):
    world = round_world
    configure(monkeypatch, world)
    with Session(world.engine) as session:
        for enrolment in session.exec(select(Enrolment)).all():
            session.delete(enrolment)
        session.commit()
    refused = runner.invoke(app, ["round", "launch", "fruehjahr-2027"], catch_exceptions=False)
    assert refused.exit_code == 1
    assert "cannot be launched" in refused.output and "no respondents are enrolled" in refused.output


def test_status_remind_extend_and_close_stage(round_world, configured, monkeypatch):
    from workflows.round_driver import advance_round
    from workflows.stages.launch import open_invitation_stage

    world = round_world
    configure(monkeypatch, world)
    open_invitation_stage(world.context, world.round_id, "test")
    advance_round(world.context, world.round_id)

    status = runner.invoke(app, ["status", "fruehjahr-2027"], catch_exceptions=False)
    assert status.exit_code == 0
    assert "stage submission" in status.output and "0 of 4 submitted (0%)" in status.output
    assert "days left" in status.output

    reminded = runner.invoke(app, ["round", "remind", "fruehjahr-2027", "--participant", "dora@talbach.example"])
    assert reminded.exit_code == 0 and "1 reminder(s) queued for respondents" in reminded.output
    assert "Round advanced here (no Prefect server runs): submission · 1 sent" in reminded.output
    assert reminded.output.splitlines()[-1].startswith("Next: keep `spr serve` running")
    nobody = runner.invoke(app, ["round", "remind", "fruehjahr-2027", "--participant", "nobody@x.example"])
    assert nobody.exit_code == 1

    with Session(world.engine) as session:
        deadline = session.get(Round, world.round_id).submission_deadline
    later = deadline.date().toordinal() + 5
    from datetime import date

    until = date.fromordinal(later).isoformat()
    extended = runner.invoke(app, ["round", "extend", "fruehjahr-2027", "--until", until], catch_exceptions=False)
    assert extended.exit_code == 0, extended.output
    assert "4 participants told." in extended.output and "submission · 4 sent" in extended.output
    assert extended.output.splitlines()[-1].startswith("Next: ")
    backwards = runner.invoke(app, ["round", "extend", "fruehjahr-2027", "--until", "2020-01-01"])
    assert backwards.exit_code == 1 and "in the past" in backwards.output

    early = runner.invoke(app, ["round", "close-stage", "fruehjahr-2027"])
    assert early.exit_code == 1 and "no self-assessment was submitted" in early.output


def test_a_revoked_link_opens_nothing_and_the_next_message_brings_a_new_one(round_world, configured, monkeypatch):
    from review_model.tables import AuditEvent
    from tests.support.messages import link_in
    from workflows.round_driver import advance_round
    from workflows.stages.launch import open_invitation_stage

    world = round_world
    configure(monkeypatch, world)
    open_invitation_stage(world.context, world.round_id, "test")
    advance_round(world.context, world.round_id)
    invitation = next(m for m in world.received() if m.recipients[0].startswith("dora"))
    old = link_in(invitation)
    assert world.portal.get(old).status_code == 200

    revoke = ["participants", "revoke-link", "fruehjahr-2027"]
    unknown = runner.invoke(app, [*revoke, "x@nowhere.example", "--reason", "-"])
    assert unknown.exit_code == 1 and "x@nowhere.example takes no part in fruehjahr-2027" in unknown.output
    revoked = runner.invoke(app, [*revoke, "Dora@Talbach.example", "--reason", "forwarded"])
    assert revoked.exit_code == 0, revoked.output
    assert "1 link(s) of Dora@Talbach.example in fruehjahr-2027 revoked" in revoked.output
    assert revoked.output.splitlines()[-1].startswith("Next: send a new link with `spr round remind")
    assert world.portal.get(old).status_code == 404
    with Session(world.engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "links revoked")).one()
    assert event.details["reason"] == "forwarded" and event.details["links"] == 1
    assert "dora" not in str(event.details)  # the person by id: the history keeps no more than needed

    reminded = runner.invoke(app, ["round", "remind", "fruehjahr-2027", "--participant", "dora@talbach.example"])
    assert reminded.exit_code == 0, reminded.output
    new = link_in([m for m in world.received() if m.recipients[0].startswith("dora")][-1])
    assert new != old and world.portal.get(new).status_code == 200
