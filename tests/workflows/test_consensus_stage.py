"""A round through review, consensus and consolidation with the round driver, time moved by freezegun; and a
round of consensus length 0, which goes from review to consolidation."""

import email
import email.policy
from datetime import timedelta

from freezegun import freeze_time
from sqlmodel import Session, col, select

from review_model import clock
from review_model.consensus import AssessmentText, save_joint_assessment
from review_model.rounds import get_round
from review_model.tables import (
    AccessToken,
    AuditEvent,
    Enrolment,
    Finding,
    OutboxMessage,
    Participant,
    ReviewAssignment,
)
from review_model.vocabulary import Stage, TokenPurpose
from tests.support.staged_rounds import factory_context, round_in_stage
from workflows.round_driver import advance_round

NAMES = ("Anna Keller", "Ben Hansen", "Cara Wolf", "Dora Roth")


def _queued(engine, kind: str) -> dict[str, str]:
    """The queued messages of one kind, by recipient: their text."""
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()
        texts = {}
        for row in rows:
            message = email.message_from_bytes(row.payload, policy=email.policy.default)
            part = message.get_body(preferencelist=("plain",))
            assert part is not None
            texts[row.recipient_email] = part.get_content()
        return texts


def test_a_round_goes_from_review_through_consensus_to_consolidation(engine):
    staged = round_in_stage(engine, Stage.review, reviewers_per_party=3, peer_ratings=(0, 2), consensus_days=7,
                            reviewed=["anna", "ben", "cara"])  # fmt: skip
    context = factory_context(engine)
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        review_deadline, consensus_deadline = round_.review_deadline, round_.consensus_deadline
    assert consensus_deadline is not None
    with freeze_time(review_deadline - timedelta(hours=1)) as frozen:
        assert advance_round(context, staged.round_id, deliver=False).stage_after is Stage.review  # Dora's is open
        frozen.move_to(review_deadline + timedelta(minutes=1))
        opened = advance_round(context, staged.round_id, deliver=False)
        assert opened.transitions == ["review → consensus"] and opened.stage_after is Stage.consensus
        invitations = _queued(engine, "consensus_invitation")
        assert set(invitations) == {"anna@auenburg.example", "ben@nordhaven.example", "cara@elbstein.example"}
        assert set(_queued(engine, "stage_closed")) == {"dora@talbach.example"}  # she reviewed nothing
        for address, text in invitations.items():  # each names the organisations reviewed, no other reviewer
            others = [name for name in NAMES if not name.lower().startswith(address.split("@")[0])]
            assert "/r/" in text and not any(name in text for name in others)
        with Session(engine) as session:
            links = session.exec(select(AccessToken).where(AccessToken.purpose == TokenPurpose.review)).all()
            # the review links of those taking part stay open for the consensus stage
            assert sum(link.expires_at > consensus_deadline for link in links) >= 3
        assert not advance_round(context, staged.round_id, deliver=False).did_anything  # consensus waits

        # Three days before the end: the leads are reminded of the joint assessment, unless they stopped reminders.
        with Session(engine) as session:
            leads = session.exec(
                select(ReviewAssignment, Participant.email)
                .join(Enrolment, col(Enrolment.id) == ReviewAssignment.reviewer_enrolment_id)
                .join(Participant, col(Participant.id) == Enrolment.participant_id)
                .where(col(ReviewAssignment.is_lead))
                .order_by(col(ReviewAssignment.id))
            ).all()
            taking_part = {"anna@auenburg.example", "ben@nordhaven.example", "cara@elbstein.example"}
            lead, lead_email = next((a, e) for a, e in leads if e in taking_part)
            stopped = next(e for a, e in leads if e in taking_part and e != lead_email)
            enrolment = session.exec(select(Enrolment).join(Participant).where(Participant.email == stopped)).one()
            enrolment.opted_out_at = clock.now()
            round_ = get_round(session, staged.round_id)
            text = AssessmentText("Klare Ziele", "Wenig Personal", ("Personal aufstocken",))
            save_joint_assessment(session, round_, lead, text, clock.now(), submit=True)
            session.commit()
        frozen.move_to(consensus_deadline - timedelta(days=3) + timedelta(minutes=1))
        reminded = advance_round(context, staged.round_id, deliver=False)
        assert reminded.reminders >= 1 and reminded.stage_after is Stage.consensus
        reminders = _queued(engine, "consensus_reminder")
        assert stopped not in reminders and lead_email not in {e for e, t in reminders.items() if "write" in t}
        assert not advance_round(context, staged.round_id, deliver=False).reminders  # once per reminder day

        frozen.move_to(consensus_deadline + timedelta(minutes=1))
        closed = advance_round(context, staged.round_id, deliver=False)
    assert closed.transitions[0] == "consensus → consolidation" and closed.findings > 0
    assert set(_queued(engine, "stage_closed")) == {"dora@talbach.example"} | taking_part
    with Session(engine) as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.round_id == staged.round_id)).all()
        assert session.exec(select(Finding)).first() is not None
    assert actions.index("consensus stage opened") < actions.index("consensus stage closed")
    assert "review stage closed" not in actions


def test_a_round_of_consensus_length_zero_goes_from_review_to_consolidation(engine):
    staged = round_in_stage(engine, Stage.review, reviewers_per_party=3, reviewed=["anna", "ben"])
    context = factory_context(engine)
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        assert round_.consensus_deadline is None
        review_deadline = round_.review_deadline
    with freeze_time(review_deadline + timedelta(minutes=1)):
        closed = advance_round(context, staged.round_id, deliver=False)
    assert closed.transitions[0] == "review → consolidation"
    assert _queued(engine, "consensus_invitation") == {}


def test_the_lead_reviewer_is_changed_on_the_command_line_and_audited(engine, configured):
    from typer.testing import CliRunner

    from workflows.cli import app

    staged = round_in_stage(engine, Stage.consensus, reviewers_per_party=3, consensus_days=7)
    party = staged["anna"].submission_id
    with Session(engine) as session:
        other = session.exec(
            select(Participant.email)
            .join(Enrolment, col(Enrolment.participant_id) == Participant.id)
            .join(ReviewAssignment, col(ReviewAssignment.reviewer_enrolment_id) == Enrolment.id)
            .where(ReviewAssignment.submission_id == party, ~col(ReviewAssignment.is_lead))
        ).first()
    assert other is not None
    runner = CliRunner()
    arguments = ["assignment", "lead", staged.slug, "--reviewed", "Stadt Auenburg"]
    changed = runner.invoke(app, [*arguments, "--reviewer", other])
    assert changed.exit_code == 0, changed.output
    assert f"{other} is now the lead reviewer of Stadt Auenburg" in changed.output
    refused = runner.invoke(app, [*arguments, "--reviewer", "anna@auenburg.example"])
    assert refused.exit_code != 0 and "does not review that party" in refused.output
    with Session(engine) as session:
        lead = session.exec(
            select(Participant.email)
            .join(Enrolment, col(Enrolment.participant_id) == Participant.id)
            .join(ReviewAssignment, col(ReviewAssignment.reviewer_enrolment_id) == Enrolment.id)
            .where(ReviewAssignment.submission_id == party, col(ReviewAssignment.is_lead))
        ).one()
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "lead reviewer changed")).one()
    assert lead == other and event.details["lead"] == other and event.details["reviewed"] == "Stadt Auenburg"


def test_a_lead_who_submitted_no_review_hands_the_lead_to_a_reviewer_who_did(engine):
    """Dora leads a party but submitted no review: she takes no part in the consensus, so as it opens the lead
    goes to the party's reviewer of highest affinity who submitted, and the history says so."""
    staged = round_in_stage(engine, Stage.review, reviewers_per_party=3, peer_ratings=(0, 2), consensus_days=7,
                            reviewed=["anna", "ben", "cara"])  # fmt: skip
    with Session(engine) as session:
        doras = session.exec(
            select(ReviewAssignment)
            .join(Enrolment, col(Enrolment.id) == ReviewAssignment.reviewer_enrolment_id)
            .join(Participant, col(Participant.id) == Enrolment.participant_id)
            .where(Participant.email == "dora@talbach.example")
        ).first()
        assert doras is not None
        party = doras.submission_id
        reviewers = session.exec(select(ReviewAssignment).where(ReviewAssignment.submission_id == party)).all()
        for assignment in reviewers:
            assignment.is_lead = assignment.id == doras.id
            assignment.affinity = {doras.id: 9.0}.get(assignment.id, float(assignment.id or 0))
        expected = max((a for a in reviewers if a.id != doras.id), key=lambda a: a.affinity).id
        session.commit()
        review_deadline = get_round(session, staged.round_id).review_deadline
    with freeze_time(review_deadline + timedelta(minutes=1)):
        advance_round(factory_context(engine), staged.round_id, deliver=False)
    with Session(engine) as session:
        leads = session.exec(
            select(ReviewAssignment.id).where(ReviewAssignment.submission_id == party, col(ReviewAssignment.is_lead))
        ).all()
        handed = session.exec(select(AuditEvent).where(AuditEvent.action == "lead reviewers handed on")).one()
    assert leads == [expected]
    assert handed.details == {"parties": [party], "assignments": [expected]}
    new_lead_text = [text for text in _queued(engine, "consensus_invitation").values() if "lead reviewer" in text]
    assert len(new_lead_text) >= 1
