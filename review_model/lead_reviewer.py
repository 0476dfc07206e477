"""The lead reviewer of each reviewed party: the one who writes the joint assessment in the consensus stage.

The assignment proposes them: the party's reviewer of highest affinity, ties going to the reviewer enrolled
first (a stable order, the same however often it is worked out). The coordinator may name another of the
party's reviewers until the consensus stage ends.
"""

from datetime import datetime

from sqlmodel import Session, col, select

from config.translations import N_
from review_model.refusals import Reason, Refused
from review_model.tables import Enrolment, Participant, ReviewAssignment, Round
from review_model.vocabulary import Stage

# Until the end of the consensus stage the lead may change; afterwards the joint assessment is what it is.
LEAD_CHANGES_IN = (Stage.assignment, Stage.review, Stage.consensus)


class LeadRefused(Refused):
    """The lead cannot be changed as asked; `reasons` lists every reason."""


def propose_leads(session: Session, round_id: int) -> int:
    """Mark the lead of every party of the round that has none (after a proposal, or a swap that took the lead
    off): its reviewer of highest affinity, ties by enrolment. Returns how many leads were marked."""
    assignments = session.exec(
        select(ReviewAssignment)
        .where(ReviewAssignment.round_id == round_id)
        .order_by(col(ReviewAssignment.submission_id), col(ReviewAssignment.reviewer_enrolment_id))
    ).all()
    by_party: dict[int, list[ReviewAssignment]] = {}
    for assignment in assignments:
        by_party.setdefault(assignment.submission_id, []).append(assignment)
    marked = 0
    for reviewers in by_party.values():
        if any(assignment.is_lead for assignment in reviewers):
            continue
        # max() keeps the first of equals: the reviewer enrolled first among the highest affinity
        lead = max(reviewers, key=lambda assignment: assignment.affinity)
        lead.is_lead = True
        marked += 1
    session.flush()
    return marked


def lead_of(session: Session, submission_id: int) -> ReviewAssignment | None:
    """The party's lead reviewer's assignment, if it has one."""
    return session.exec(
        select(ReviewAssignment).where(ReviewAssignment.submission_id == submission_id, col(ReviewAssignment.is_lead))
    ).first()


def change_lead(session: Session, round_: Round, submission_id: int, reviewer_email: str, now: datetime) -> str | None:
    """Make the party's reviewer with this address its lead; returns the address of the lead before (None if
    it had none). LeadRefused names every reason it cannot: a stage past consensus, someone who does not
    review the party."""
    reasons: list[str] = []
    if round_.stage not in LEAD_CHANGES_IN:
        reasons.append(Reason(N_("round {slug} is in stage {stage}; the lead reviewer changes only until {end} ends"),
                              slug=round_.slug, stage=round_.stage, end=Stage.consensus))  # fmt: skip
    rows = session.exec(
        select(ReviewAssignment, Participant.email)
        .join(Enrolment, col(Enrolment.id) == ReviewAssignment.reviewer_enrolment_id)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .where(ReviewAssignment.submission_id == submission_id, ReviewAssignment.round_id == round_.id)
    ).all()
    chosen = next((assignment for assignment, email in rows if email.lower() == reviewer_email.lower()), None)
    if chosen is None:
        reasons.append(Reason(N_("{email} does not review that party in {slug}"), email=reviewer_email,
                              slug=round_.slug))  # fmt: skip
    if reasons:
        raise LeadRefused(reasons)
    assert chosen is not None
    before = next((email for assignment, email in rows if assignment.is_lead), None)
    for assignment, _email in rows:
        assignment.is_lead = assignment is chosen
    session.flush()
    return before
