"""A round whose file asks for adoption is published only after the coordinator records it, and its report's
front page says who adopted it and when; the command that records it."""

from datetime import date, timedelta

from freezegun import freeze_time
from sqlmodel import Session, select
from typer.testing import CliRunner

from review_model.moments import format_calendar_day
from review_model.tables import PublishedReport, Round
from review_model.vocabulary import Stage
from tests.support.staged_rounds import bring_round_to, factory_context, round_in_stage
from workflows.coordinator_actions import record_round_adoption
from workflows.round_driver import advance_round

runner = CliRunner()


def test_publication_waits_for_the_adoption_and_the_report_says_who_adopted_it_and_when(engine):
    staged = round_in_stage(engine, Stage.draft)
    with Session(engine) as session:
        session.get(Round, staged.round_id).adoption_required = True
        session.commit()
    bring_round_to(engine, staged.round_id, Stage.comment, replies={"anna": "Danke."})
    with Session(engine) as session:
        deadline = session.get(Round, staged.round_id).comment_deadline
    context = factory_context(engine)
    with freeze_time(deadline + timedelta(minutes=1)):
        advance_round(context, staged.round_id, deliver=False)
        with Session(engine) as session:
            assert session.get(Round, staged.round_id).stage is Stage.comment  # it waits for the adoption
        day = deadline.date()
        record_round_adoption(context, staged.round_id, "Plenum des Digital-Gipfels", day,
                              "Empfehlung 2 wurde umformuliert.", "coordinator")  # fmt: skip
        report = advance_round(context, staged.round_id, deliver=False)
    assert report.transitions == ["comment → published"]
    with Session(engine) as session:
        html = {
            edition.language: edition.content.decode()
            for edition in session.exec(select(PublishedReport).where(PublishedReport.format == "html"))
        }
    assert f"Adopted by Plenum des Digital-Gipfels on {format_calendar_day(day, 'en')}" in html["en"]
    assert f"Verabschiedet von Plenum des Digital-Gipfels am {format_calendar_day(day, 'de')}" in html["de"]
    assert "Empfehlung 2 wurde umformuliert." in html["de"]


def test_the_adopt_command_records_it_and_refuses_a_date_it_cannot_read(round_world, configured, monkeypatch):
    from tests.support.commands import configure
    from workflows.cli import app

    configure(monkeypatch, round_world)
    bring_round_to(round_world.engine, round_world.round_id, Stage.drafting)
    bad = runner.invoke(app, ["round", "adopt", "fruehjahr-2027", "--by", "Plenum", "--on", "gestern"])
    assert bad.exit_code == 1 and "--on 'gestern' is not a date (2027-05-03)" in bad.output
    early = runner.invoke(app, ["round", "adopt", "fruehjahr-2027", "--by", "Plenum", "--on", "2999-01-01"])
    assert early.exit_code == 1 and "lies in the future" in early.output
    done = runner.invoke(app, ["round", "adopt", "fruehjahr-2027", "--by", "Plenum", "--on", "2026-11-20"])
    assert done.exit_code == 0, done.output
    assert "Adoption of fruehjahr-2027 by Plenum on 2026-11-20 recorded." in done.output
    with Session(round_world.engine) as session:
        round_ = session.get(Round, round_world.round_id)
        assert (round_.adopted_by, round_.adopted_on) == ("Plenum", date(2026, 11, 20))
