"""What the coordinator and the round driver do to a running round: reminders on demand, closing a stage early,
and what the audit trail keeps of repeated checks."""

from datetime import timedelta

from freezegun import freeze_time
from sqlmodel import Session, select

from review_model.tables import AuditEvent, Enrolment, ReviewAssignment, Round, Submission
from review_model.vocabulary import Stage, WorkStatus
from tests.support.answers import csrf_of
from tests.support.staged_rounds import bring_round_to
from workflows.round_driver import advance_round
from workflows.stages.launch import open_invitation_stage
from workflows.stages.review import propose_if_missing


def submit_everyone(engine, round_id: int) -> None:
    with Session(engine) as session:
        for enrolment in session.exec(select(Enrolment).where(Enrolment.is_respondent)).all():
            session.add(Submission(round_id=round_id, enrolment_id=enrolment.id, status=WorkStatus.submitted,
                                   version=1))  # fmt: skip
        session.commit()


def test_an_infeasible_assignment_is_recorded_once_per_change_of_its_reasons(round_world):
    world = round_world
    submit_everyone(world.engine, world.round_id)

    def needs(reviewers: int) -> None:
        with Session(world.engine) as session:
            round_ = session.get(Round, world.round_id)
            round_.stage, round_.reviewers_per_submission = Stage.assignment, reviewers
            session.commit()

    def infeasible_events() -> list[AuditEvent]:
        with Session(world.engine) as session:
            return session.exec(select(AuditEvent).where(AuditEvent.action == "assignment infeasible")).all()

    needs(5)  # four organisations: nobody can get five reviewers from the other three
    for _ in range(3):  # three passes of the driver
        assert propose_if_missing(world.context, world.round_id, "round driver") == 0
    assert len(infeasible_events()) == 1
    needs(4)  # other reasons: a new entry, once
    for _ in range(2):
        propose_if_missing(world.context, world.round_id, "round driver")
    events = infeasible_events()
    assert len(events) == 2 and events[0].details != events[1].details


def remind(*args: str):
    from typer.testing import CliRunner

    from workflows.cli import app

    return CliRunner().invoke(app, ["round", "remind", "fruehjahr-2027", *args])


def test_remind_in_the_review_stage_reminds_the_reviewers_of_their_open_reviews(round_world, configured, monkeypatch):
    from tests.support.answers import review_all
    from tests.support.commands import configure
    from tests.support.messages import REVIEW_LINK, kinds_by_recipient, text_of

    world = round_world
    configure(monkeypatch, world)
    with Session(world.engine) as session:
        deadline = session.get(Round, world.round_id).submission_deadline
    with freeze_time(deadline - timedelta(days=10), real_asyncio=True) as frozen:
        bring_round_to(world.engine, world.round_id, Stage.assignment)  # where nobody is waited for
        refused = remind()
        assert refused.exit_code == 1 and "in stage assignment nobody is waiting to answer" in refused.output
        with Session(world.engine) as session:
            for assignment in session.exec(select(ReviewAssignment)).all():
                assignment.confirmed_at = deadline - timedelta(days=10)
            session.commit()
        advance_round(world.context, world.round_id)
        requests = [m for m in world.received() if REVIEW_LINK.search(text_of(m))]
        anna = next(m for m in requests if m.recipients[0].startswith("anna"))
        for path in REVIEW_LINK.findall(text_of(anna)):
            review_all(world, path)
        before = kinds_by_recipient(world)

        one = remind("--participant", "Ben@Nordhaven.example")
        assert one.exit_code == 0, one.output
        assert "1 reminder(s) queued for reviewers with reviews still open" in one.output
        done = remind("--participant", "anna@auenburg.example")  # Anna has reviewed everything
        assert done.exit_code == 1 and "not among the reviewers with reviews still open" in done.output
        frozen.tick(60)  # a reminder on demand is sent once per moment, however often it is asked for
        everyone = remind()
        assert everyone.exit_code == 0 and "3 reminder(s) queued" in everyone.output
        added = kinds_by_recipient(world) - before

        # Closing the review stage now would leave out the open reviews: listed, and asked about first.
        from typer.testing import CliRunner

        from workflows.cli import app

        unattended = CliRunner().invoke(app, ["round", "close-stage", "fruehjahr-2027"])
        assert unattended.exit_code == 1 and "--yes" in unattended.output
        table = [" ".join(line.split()) for line in unattended.output.splitlines()]
        assert "│ Cara Wolf │ Stadt Elbstein │ Stadt Auenburg │ no │" in table
        assert sum("│ Ben Hansen │" in line for line in table) == 3 and not any("Anna" in line for line in table)
        closed = CliRunner().invoke(app, ["round", "close-stage", "fruehjahr-2027", "--yes"])
        assert closed.exit_code == 0 and "(review → consolidation)" in closed.output, closed.output
        assert "Round advanced here (no Prefect server runs): consolidation → drafting" in closed.output
        assert closed.output.splitlines()[-1].startswith("Next: decide on the drafts")
        cara = next(m for m in requests if m.recipients[0].startswith("cara"))
        page = world.portal.get(REVIEW_LINK.findall(text_of(cara))[0]).text
        assert "vorzeitig abgeschlossen" in page and "Frist ist abgelaufen" not in page
    assert added == {("ben", "review_reminder"): 2, ("cara", "review_reminder"): 1, ("dora", "review_reminder"): 1}
    reminder = next(m for m in world.received() if m.recipients[0].startswith("cara") and "Erinnerung" in m.summary())
    assert len(REVIEW_LINK.findall(text_of(reminder))) == 3  # each of Cara's open reviews, with its link
    # Each reviewer's count of review reminders, which the reminder rules go by, says what the outbox holds.
    assert reminder_counts(world, "review_reminders_sent") == {
        who: count for (who, kind), count in kinds_by_recipient(world).items() if kind == "review_reminder"
    }


def test_remind_in_the_comment_stage_reminds_the_parties_without_a_reply(round_world, configured, monkeypatch):
    from tests.support.commands import configure
    from tests.support.messages import kinds_by_recipient

    world = round_world
    configure(monkeypatch, world)
    with Session(world.engine) as session:
        deadline = session.get(Round, world.round_id).submission_deadline
    with freeze_time(deadline - timedelta(days=10), real_asyncio=True):
        bring_round_to(world.engine, world.round_id, Stage.comment)
        assert advance_round(world.context, world.round_id).stage_after is Stage.comment
        before = kinds_by_recipient(world)
        reminded = remind("--participant", "dora@talbach.example")
        assert reminded.exit_code == 0 and "reviewed parties that have not sent their reply" in reminded.output
    assert kinds_by_recipient(world) - before == {("dora", "reply_reminder"): 1}
    assert reminder_counts(world, "reply_reminders_sent") == {"dora": 1}


def reminder_counts(world, counter: str) -> dict[str, int]:
    """The enrolments' reminder counter `counter` that is not 0, by the address's local part."""
    with Session(world.engine) as session:
        enrolments = session.exec(select(Enrolment)).all()
        counts = {e.participant.email.split("@")[0]: getattr(e, counter) for e in enrolments}
    return {who: count for who, count in counts.items() if count}


def save_draft(world, path: str, answers: dict[str, str]) -> None:
    page = world.portal.get(path).text
    csrf = csrf_of(page)
    response = world.portal.post(path, data={"csrf": csrf, "action": "save", **answers}, follow_redirects=False)
    assert response.status_code == 303, response.text[:300]


def test_closing_submission_early_names_who_is_left_out_and_asks_first(round_world, configured, monkeypatch):
    from typer.testing import CliRunner

    from tests.support.answers import submit
    from tests.support.commands import configure
    from tests.support.messages import link_in
    from workflows.cli import app, coordination

    world = round_world
    configure(monkeypatch, world)
    runner = CliRunner()
    with Session(world.engine) as session:
        deadline = session.get(Round, world.round_id).submission_deadline
    with freeze_time(deadline - timedelta(days=10), real_asyncio=True):
        open_invitation_stage(world.context, world.round_id, "test")
        advance_round(world.context, world.round_id)
        links = {m.recipients[0].split("@")[0]: link_in(m) for m in world.received()}
        submit(world, links["anna"])
        save_draft(world, links["ben"], {"verwaltung.ziele": "2"})

        unattended = runner.invoke(app, ["round", "close-stage", "fruehjahr-2027"])
        assert unattended.exit_code == 1 and "--yes" in unattended.output
        table = [" ".join(line.split()) for line in unattended.output.splitlines()]
        assert "│ Ben Hansen │ Hansestadt Nordhaven │ yes │" in table  # a draft saved, never submitted
        assert "│ Cara Wolf │ Stadt Elbstein │ no │" in table and "│ Dora Roth │ Landkreis Talbach │ no │" in table
        assert not any("Anna Keller" in line for line in table)
        monkeypatch.setattr(coordination, "stdin_is_terminal", lambda: True)
        declined = runner.invoke(app, ["round", "close-stage", "fruehjahr-2027"], input="n\n")
        assert declined.exit_code == 1 and "Close the submission stage of fruehjahr-2027 now and leave 3 out?" in (
            declined.output
        )
        with Session(world.engine) as session:
            assert session.get(Round, world.round_id).stage is Stage.submission
        closed = runner.invoke(app, ["round", "close-stage", "fruehjahr-2027"], input="y\n")
        assert closed.exit_code == 0 and "(submission → assignment)" in closed.output, closed.output
        assert "assignment · 3 review assignments proposed" in closed.output, closed.output
        assert closed.output.splitlines()[-1].startswith("Next: check the reviewers")

        ben = world.portal.get(links["ben"] + "?lang=en").text  # the deadline shown is ten days ahead
        assert "The coordinator closed this stage early" in ben and "deadline has passed" not in ben
        assert "You see the answers you submitted" not in ben and "did not submit answers. Your saved draft" in ben
        cara = world.portal.get(links["cara"]).text
        assert "vorzeitig abgeschlossen" in cara and "Frist ist abgelaufen" not in cara
        assert "abgesendeten Angaben" not in cara and "Sie haben keine Angaben abgesendet" in cara
        csrf = csrf_of(world.portal.get(links["dora"]).text)
        late = world.portal.post(links["dora"], data={"csrf": csrf, "action": "save", "verwaltung.ziele": "1"})
        assert late.status_code == 409 and "inzwischen vorzeitig abgeschlossen" in late.text
        assert "Frist ist inzwischen abgelaufen" not in late.text
        anna = world.portal.get(links["anna"]).text
        assert "vorzeitig abgeschlossen" in anna and "Sie sehen Ihre abgesendeten Angaben" in anna


def test_closing_the_comment_stage_early_keeps_a_planned_publication_date(round_world, configured, monkeypatch):
    from typer.testing import CliRunner

    from tests.support.commands import configure
    from workflows.cli import app

    world = round_world
    configure(monkeypatch, world)
    runner = CliRunner()
    with Session(world.engine) as session:
        round_ = session.get(Round, world.round_id)
        deadline = round_.submission_deadline
        round_.publication_at = round_.comment_deadline + timedelta(days=7)
        session.commit()
    with freeze_time(deadline - timedelta(days=10), real_asyncio=True) as frozen:
        everyone = dict.fromkeys(["anna", "ben", "cara", "dora"], "")  # nothing to add
        bring_round_to(world.engine, world.round_id, Stage.comment, replies=everyone)
        closed = runner.invoke(app, ["round", "close-stage", "fruehjahr-2027"])
        assert closed.exit_code == 0, closed.output
        said = " ".join(closed.output.split())
        assert "Publication is planned for" in said and "--publish-now" in said
        assert advance_round(world.context, world.round_id).stage_after is Stage.comment  # not before the date
        with Session(world.engine) as session:
            publication = session.get(Round, world.round_id).publication_at
        frozen.move_to(publication + timedelta(minutes=1))
        assert advance_round(world.context, world.round_id).stage_after is Stage.published
