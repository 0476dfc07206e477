"""What the coordinator and the scheduler do to a running round: reminders on demand, closing a stage early,
and what the audit trail keeps of repeated checks."""

from sqlmodel import Session, select

from review_model.tables import AuditEvent, Enrolment, Round, Submission
from review_model.vocabulary import Stage, WorkStatus
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
