"""What the coordinator and the scheduler do to a running round: reminders on demand, closing a stage early,
and what the audit trail keeps of repeated checks."""

from datetime import timedelta

from freezegun import freeze_time
from sqlmodel import Session, select

from review_model.tables import AuditEvent, Enrolment, Recommendation, ReviewAssignment, Round, Submission
from review_model.vocabulary import RecommendationStatus, Stage, WorkStatus
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
    for _ in range(3):  # three scheduler passes
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
    from tests.workflows.test_flows import configure
    from tests.workflows.test_review_stage import REVIEW_LINK, review_all, text_of
    from tests.workflows.test_submission_stage import kinds_by_recipient, link_in, submit

    world = round_world
    configure(monkeypatch, world)
    with Session(world.engine) as session:
        deadline = session.get(Round, world.round_id).submission_deadline
    with freeze_time(deadline - timedelta(days=10), real_asyncio=True) as frozen:
        open_invitation_stage(world.context, world.round_id, "test")
        advance_round(world.context, world.round_id)
        for message in world.received():
            submit(world, link_in(message))
        advance_round(world.context, world.round_id)  # on to the assignment stage, where nobody is waited for
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
    assert added == {("ben", "review_reminder"): 2, ("cara", "review_reminder"): 1, ("dora", "review_reminder"): 1}
    reminder = next(m for m in world.received() if m.recipients[0].startswith("cara") and "Erinnerung" in m.summary())
    assert len(REVIEW_LINK.findall(text_of(reminder))) == 3  # each of Cara's open reviews, with its link


def test_remind_in_the_comment_stage_reminds_the_parties_without_a_reply(round_world, configured, monkeypatch):
    from tests.workflows.test_flows import configure
    from tests.workflows.test_publication import bring_to_drafting
    from tests.workflows.test_submission_stage import kinds_by_recipient

    world = round_world
    configure(monkeypatch, world)
    with Session(world.engine) as session:
        round_ = session.get(Round, world.round_id)
        deadline, review_deadline = round_.submission_deadline, round_.review_deadline
    with freeze_time(deadline - timedelta(days=10), real_asyncio=True) as frozen:
        bring_to_drafting(world)
        frozen.move_to(review_deadline + timedelta(minutes=1))
        advance_round(world.context, world.round_id)
        with Session(world.engine) as session:
            for draft in session.exec(select(Recommendation)).all():
                draft.status = RecommendationStatus.approved
            session.commit()
        assert advance_round(world.context, world.round_id).stage_after is Stage.comment
        before = kinds_by_recipient(world)
        reminded = remind("--participant", "dora@talbach.example")
        assert reminded.exit_code == 0 and "reviewed parties that have not sent their reply" in reminded.output
    assert kinds_by_recipient(world) - before == {("dora", "reply_reminder"): 1}
