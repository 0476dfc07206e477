"""Erasing a person on request and a round's people when its retention period has run out: published reports
are rendered again without their names, the driver archives a round when its time has come, and the
command says what it does before it does it."""

from datetime import timedelta

from freezegun import freeze_time
from sqlmodel import Session, select
from typer.testing import CliRunner

from review_model import clock
from review_model.round_advances import rounds_to_advance
from review_model.tables import AuditEvent, Finding, Participant, PublishedReport, Round
from review_model.vocabulary import Stage
from tests.support.staged_actions import participant_of
from tests.support.staged_rounds import ORGANISATIONS, bring_round_to, factory_context, round_in_stage
from tests.support.store_dump import mentions, store_dump
from workflows.erasure import erase_person_everywhere
from workflows.round_driver import advance_round

runner = CliRunner()
PEOPLE = [text for email, name, *_ in ORGANISATIONS for text in (email, name)]


def published_open_review(engine, **settings) -> int:
    staged = round_in_stage(engine, Stage.draft)
    with Session(engine) as session:
        round_ = session.get(Round, staged.round_id)
        round_.open_review = True
        for name, value in settings.items():
            setattr(round_, name, value)
        session.commit()
    everyone = {who: "" for who in ("anna", "ben", "cara", "dora")}  # nothing to add: publication may follow
    bring_round_to(engine, staged.round_id, Stage.published, replies=everyone)
    return staged.round_id


def report_html(engine, round_id: int) -> dict[str, str]:
    with Session(engine) as session:
        editions = session.exec(
            select(PublishedReport).where(PublishedReport.round_id == round_id, PublishedReport.format == "html")
        ).all()
        return {edition.language: edition.content.decode() for edition in editions}


def test_erasing_a_reviewer_named_in_an_open_reviews_published_report_renders_it_again_as_reviewer_n(engine):
    round_id = published_open_review(engine)
    before = report_html(engine, round_id)
    assert "Stadt Auenburg (Anna Keller)" in before["de"] and "Stadt Auenburg (Anna Keller)" in before["en"]
    with Session(engine) as session:
        published_at = session.exec(select(PublishedReport.published_at)).first()
        anna = session.exec(select(Participant.id).where(Participant.email == "anna@auenburg.example")).one()

    done = erase_person_everywhere(factory_context(engine), anna, "coordinator")

    assert done.reports_rendered_again == (round_id,)
    after = report_html(engine, round_id)
    assert "Anna Keller" not in after["de"] + after["en"]
    assert "Stadt Auenburg (Gutachter:in " in after["de"] and "Stadt Auenburg (Reviewer " in after["en"]
    assert "Hansestadt Nordhaven (Ben Hansen)" in after["en"]  # the others keep their names
    assert mentions(store_dump(engine), "anna@auenburg.example", "Anna Keller") == []
    with Session(engine) as session:
        assert {edition.published_at for edition in session.exec(select(PublishedReport))} == {published_at}


def test_a_round_past_its_retention_period_is_archived_by_the_driver_keeping_its_report_and_figures(engine):
    round_id = published_open_review(engine, retention="P2Y")
    with Session(engine) as session:
        round_ = session.get(Round, round_id)
        due = round_.stage_entered_at.replace(year=round_.stage_entered_at.year + 2)
        findings = len(session.exec(select(Finding)).all())
    context = factory_context(engine)
    assert mentions(store_dump(engine), *PEOPLE)

    with freeze_time(due - timedelta(minutes=1)):
        with Session(engine) as session:
            assert round_id not in [r for r, _ in rounds_to_advance(session, clock.now())]
        advance_round(context, round_id, deliver=False)
        with Session(engine) as session:
            assert session.get(Round, round_id).stage is Stage.published
    with freeze_time(due):
        with Session(engine) as session:
            assert round_id in [r for r, _ in rounds_to_advance(session, clock.now())]
        report = advance_round(context, round_id, deliver=False)

    assert report.transitions == ["published → archived"]
    with Session(engine) as session:
        assert session.get(Round, round_id).stage is Stage.archived
        assert len(session.exec(select(Finding)).all()) == findings
        assert len(session.exec(select(PublishedReport).where(PublishedReport.round_id == round_id)).all()) >= 4
        archived = session.exec(select(AuditEvent).where(AuditEvent.action == "round archived")).one()
        assert archived.actor == "round driver" and archived.details["people_erased"] == 4
    html = report_html(engine, round_id)
    assert "Stadt Auenburg (Gutachter:in " in html["de"] and "Hansestadt Nordhaven (Reviewer " in html["en"]
    # Everyone took part in this round only: nothing of them is left.
    assert mentions(store_dump(engine), *PEOPLE) == []


def test_archiving_keeps_the_name_of_someone_still_in_another_round_but_nothing_of_them_from_this_one(engine):
    round_id = published_open_review(engine, retention="P1Y")
    later = round_in_stage(engine, Stage.submission, slug="later-round", parties=1)  # Anna takes part again
    anna = participant_of(engine, later, "anna")
    with Session(engine) as session:
        round_ = session.get(Round, round_id)
        due = round_.stage_entered_at.replace(year=round_.stage_entered_at.year + 1)
    with freeze_time(due):
        advance_round(factory_context(engine), round_id, deliver=False)
    with Session(engine) as session:
        person = session.get(Participant, anna)
        assert (person.name, person.erased_at) == ("Anna Keller", None)
        assert session.get(Round, later.round_id).stage is Stage.submission
    dump = store_dump(engine)
    kept = mentions(dump, "anna@auenburg.example")
    assert kept and all(line.startswith(("participants:", "outbox_messages:")) for line in kept), kept
    assert mentions(dump, "ben@nordhaven.example", "Ben Hansen") == []


def test_the_erase_command_says_what_it_does_asks_first_and_sends_no_address_to_prefect(
    round_world, configured, monkeypatch
):
    from prefect.client.orchestration import get_client

    from tests.support.commands import configure
    from workflows.cli import app, coordination
    from workflows.stages.launch import open_invitation_stage

    world = round_world
    configure(monkeypatch, world)
    open_invitation_stage(world.context, world.round_id, "test")
    advance_round(world.context, world.round_id)
    command = ["people", "erase", "Dora@Talbach.example"]

    unattended = runner.invoke(app, command)
    assert unattended.exit_code == 1 and "not erased: confirm with --yes" in unattended.output
    assert "Erasing Dora Roth <dora@talbach.example> (Landkreis Talbach):" in unattended.output
    assert "  - fruehjahr-2027 (stage submission): respondent, reviewer" in unattended.output
    assert "  - they are withdrawn from the running rounds fruehjahr-2027" in unattended.output
    monkeypatch.setattr(coordination, "stdin_is_terminal", lambda: True)
    declined = runner.invoke(app, command, input="n\n")
    assert declined.exit_code == 1 and "not erased; nothing changed" in declined.output

    erased = runner.invoke(app, command, input="y\n")
    assert erased.exit_code == 0, erased.output
    assert "dora@talbach.example erased in 1 round: 1 links deleted, 1 messages emptied" in erased.output
    assert mentions(store_dump(world.engine), "dora@talbach.example", "Dora Roth") == []
    with get_client(sync_client=True) as client:
        runs = [run for run in client.read_flow_runs() if run.name.startswith("Participant ")]
    assert [run.name for run in runs][-1].endswith("erased in 1 round(s) (by coordinator (command line))")
    assert "@" not in str(runs[-1].parameters).replace("coordinator (command line)", "")

    again = runner.invoke(app, [*command, "--yes"])
    assert again.exit_code == 1 and "there is nobody with the address dora@talbach.example" in again.output
