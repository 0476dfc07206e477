"""What needs the coordinator now, each item typed with its figures."""

from datetime import timedelta

from sqlmodel import Session, delete

from review_model import clock
from review_model.attention import AttentionKind, needs_attention
from review_model.audit_trail import ROUND_DRIVER, record_event
from review_model.rounds import get_round
from review_model.tables import ReviewAssignment
from review_model.vocabulary import Stage
from tests.support.staged_actions import deliver, message_to, participant_of
from tests.support.staged_rounds import round_in_stage


def attention(engine, round_id, now=None):
    with Session(engine) as session:
        return {item.kind: item for item in needs_attention(session, get_round(session, round_id), now)}


def test_a_proposed_assignment_waits_for_confirmation(engine):
    staged = round_in_stage(engine, Stage.assignment)
    items = attention(engine, staged.round_id)
    assert (
        list(items) == [AttentionKind.assignment_to_confirm] and items[AttentionKind.assignment_to_confirm].count == 8
    )


def test_an_assignment_the_rules_do_not_allow_shows_the_reasons_recorded(engine):
    staged = round_in_stage(engine, Stage.assignment)
    with Session(engine) as session:
        session.exec(delete(ReviewAssignment).where(ReviewAssignment.round_id == staged.round_id))
        record_event(session, staged.round_id, ROUND_DRIVER, "assignment infeasible",
                     reasons=["too few reviewers", "Stadt Auenburg has no eligible reviewer"])  # fmt: skip
        session.commit()
    item = attention(engine, staged.round_id, clock.now() + timedelta(seconds=1))[AttentionKind.assignment_infeasible]
    assert item.count == 2 and item.reasons == ("too few reviewers", "Stadt Auenburg has no eligible reviewer")


def test_drafted_recommendations_wait_for_a_decision(engine):
    staged = round_in_stage(engine, Stage.drafting)
    items = attention(engine, staged.round_id)
    assert items[AttentionKind.recommendations_to_decide].count > 0


def test_failed_email_and_bounced_addresses_are_counted(engine):
    staged = round_in_stage(engine, Stage.submission, submitted={"anna", "ben", "cara", "dora"})
    anna, ben = participant_of(engine, staged, "anna"), participant_of(engine, staged, "ben")
    messages = [message_to(staged, "anna", anna, "reminder", 1), message_to(staged, "anna", anna, "reminder", 2),
                message_to(staged, "ben", ben, "reminder", 1)]  # fmt: skip
    deliver(engine, messages, refused={staged["anna"].email}, at=clock.now())
    items = attention(engine, staged.round_id)
    assert items[AttentionKind.failed_messages].count == 2
    assert items[AttentionKind.bounced_addresses].count == 1
    # Everyone submitted: the stage closes on the driver's next pass, nobody needs to close it.
    assert AttentionKind.stage_closable not in items


def test_a_stage_that_may_close_early_says_how_much_is_missing(engine):
    staged = round_in_stage(engine, Stage.submission, submitted={"anna"})
    item = attention(engine, staged.round_id)[AttentionKind.stage_closable]
    assert item.count == 3 and item.figures == {"done": 1, "total": 4, "stage": "submission"}
    nobody = round_in_stage(engine, Stage.submission, slug="nobody-yet")
    assert attention(engine, nobody.round_id) == {}  # with no self-assessment the stage cannot close
