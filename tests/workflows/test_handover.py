"""A form handed to a colleague in a running round: the colleague's invitation arrives over SMTP with a link
that opens the organisation's form, the first person's confirmation too, and the reminders that follow go to
the colleague, never to the first person."""

from datetime import timedelta

from freezegun import freeze_time
from sqlmodel import Session, select
from typer.testing import CliRunner

from review_model.handover import HANDED_OVER
from review_model.tables import AuditEvent, Round
from tests.support.answers import SELF_ASSESSMENT, csrf_of
from tests.support.messages import kinds_by_recipient, link_in, text_of
from tests.support.round_world import RoundWorld
from workflows.round_driver import advance_round
from workflows.stages.launch import open_invitation_stage

LENA = "lena@auenburg.example"
runner = CliRunner()


def submission_deadline(world: RoundWorld):
    with Session(world.engine) as session:
        return session.get(Round, world.round_id).submission_deadline


def test_the_colleague_is_invited_and_reminded_and_the_first_person_no_longer(round_world):
    world = round_world
    deadline = submission_deadline(world)
    with freeze_time(deadline - timedelta(days=10), real_asyncio=True) as frozen:
        open_invitation_stage(world.context, world.round_id, "test")
        advance_round(world.context, world.round_id)
        anna = link_in(next(m for m in world.received() if m.recipients[0].startswith("anna")))
        draft = {**SELF_ASSESSMENT, "csrf": csrf_of(world.portal.get(anna).text), "action": "save"}
        assert world.portal.post(anna, data=draft, follow_redirects=False).status_code == 303
        page = world.portal.get(anna + "/hand-over").text
        handed = world.portal.post(
            anna + "/hand-over",
            data={"csrf": csrf_of(page), "name": "Lena Keller", "email": LENA, "language": "de"},
            follow_redirects=False,
        )
        assert handed.status_code == 200
        advance_round(world.context, world.round_id)  # delivers what the handover queued
        invitation = next(m for m in world.received() if m.recipients[0] == LENA)
        assert "Anna Keller hat Ihnen die Selbsteinschätzung von Stadt Auenburg" in text_of(invitation)
        confirmation = [m for m in world.received() if m.recipients[0].startswith("anna")][-1]
        assert "an Lena Keller (lena@auenburg.example) übergeben" in text_of(confirmation)
        lena = link_in(invitation)
        opened = world.portal.get(lena)
        assert opened.status_code == 200 and "Entwurf gespeichert am" in opened.text
        assert world.portal.get(anna).status_code == 410

        before = kinds_by_recipient(world)
        frozen.move_to(deadline - timedelta(days=3) + timedelta(hours=1))  # two reminder times have passed
        assert advance_round(world.context, world.round_id).reminders == 4
        added = kinds_by_recipient(world) - before
    assert added == {(local, "reminder"): 1 for local in ("ben", "cara", "dora", "lena")}


def test_the_hand_over_command_hands_the_form_over_by_letter_and_keeps_addresses_from_prefect(
    round_world, configured, monkeypatch
):
    from prefect.client.orchestration import get_client

    from tests.support.commands import configure
    from workflows.cli import app

    world = round_world
    configure(monkeypatch, world)
    open_invitation_stage(world.context, world.round_id, "test")
    advance_round(world.context, world.round_id)
    command = ["participants", "hand-over", "fruehjahr-2027", "anna@auenburg.example", "Lena@Auenburg.example"]

    refused = runner.invoke(app, [*command[:4], "ben@nordhaven.example", "--name", "Ben"])
    assert refused.exit_code == 1
    assert "ben@nordhaven.example belongs to another organisation" in " ".join(refused.output.split())
    nameless = runner.invoke(app, [*command, "--name", " "])
    assert nameless.exit_code == 1 and "give the colleague's name" in nameless.output

    done = runner.invoke(app, [*command, "--name", "Lena Keller", "--language", "en"])
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    assert "The self-assessment of Stadt Auenburg went from Anna Keller to Lena Keller (lena@auenburg.example)" in said
    assert "Anna Keller's link to the form opens nothing from now on." in said
    assert kinds_by_recipient(world)[("lena", "handover_invitation")] == 1
    assert kinds_by_recipient(world)[("anna", "handover_confirmation")] == 1
    with Session(world.engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == HANDED_OVER)).one()
        assert event.actor == "coordinator (command line)"
    with get_client(sync_client=True) as client:
        runs = [run for run in client.read_flow_runs() if run.name.startswith("Round fruehjahr-2027 · form of")]
    assert runs  # (the Prefect server is the test run's: runs of other tests are there too)
    for run in runs:
        assert set(run.parameters) >= {"participant_id", "colleague_email", "colleague_name"}
        assert "lena" not in str(run.parameters).lower() and "Keller" not in str(run.parameters), run.parameters

    again = runner.invoke(app, [*command, "--name", "Lena Keller"])
    assert again.exit_code == 1 and "the form was handed over already" in again.output
