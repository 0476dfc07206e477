"""The lead reviewer of each reviewed party: the one who writes the joint assessment in the consensus stage.

The assignment proposes them: the party's reviewer of highest affinity, ties going to the reviewer enrolled
first (a stable order, the same however often it is worked out). The coordinator may name another of the
party's reviewers until the consensus stage ends.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from config.translations import N_
from review_model.refusals import Reason, Refused
from review_model.tables import Enrolment, Organisation, Participant, Review, ReviewAssignment, Round, Submission
from review_model.vocabulary import Stage, WorkStatus
from review_model.wide_select import select_columns

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


def hand_leads_to_submitted_reviewers(session: Session, round_id: int) -> dict[int, int]:
    """As the consensus stage opens: where a party's lead submitted no review (or was withdrawn), its reviewer
    of highest affinity who submitted one leads instead, ties by enrolment as in `propose_leads` (a lead
    without a review takes no part in the consensus, so nobody would write the joint assessment). A party
    none of whose reviewers submitted keeps its lead. Returns the new lead's assignment id by submission id."""
    rows = session.exec(
        select(ReviewAssignment, Review.status, Enrolment.withdrawn_at)
        .join(Enrolment, col(Enrolment.id) == ReviewAssignment.reviewer_enrolment_id)
        .outerjoin(Review, col(Review.assignment_id) == ReviewAssignment.id)
        .where(ReviewAssignment.round_id == round_id, col(ReviewAssignment.confirmed_at).is_not(None))
        .order_by(col(ReviewAssignment.submission_id), col(ReviewAssignment.reviewer_enrolment_id))
    ).all()
    by_party: dict[int, list[tuple[ReviewAssignment, bool]]] = {}
    for assignment, status, withdrawn_at in rows:
        taking_part = status is WorkStatus.submitted and withdrawn_at is None
        by_party.setdefault(assignment.submission_id, []).append((assignment, taking_part))
    handed: dict[int, int] = {}
    for submission_id, reviewers in by_party.items():
        if any(assignment.is_lead and taking_part for assignment, taking_part in reviewers):
            continue
        candidates = [assignment for assignment, taking_part in reviewers if taking_part]
        if not candidates:
            continue
        lead = max(candidates, key=lambda assignment: assignment.affinity)
        for assignment, _ in reviewers:
            assignment.is_lead = assignment is lead
        assert lead.id is not None
        handed[submission_id] = lead.id
    session.flush()
    return handed


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


@dataclass(frozen=True)
class PartyLead:
    """A reviewed party with its confirmed reviewers (address, name) and which of them leads."""

    submission_id: int
    organisation: str
    reviewers: tuple[tuple[str, str], ...]
    lead: str | None  # the lead's address


def party_leads(session: Session, round_id: int) -> list[PartyLead]:
    """Every reviewed party of the round with its reviewers and lead, by the party's name (the console's list)."""
    reviewed = aliased(Organisation, name="reviewed")
    reviewed_enrolment = aliased(Enrolment, name="reviewed_enrolment")
    reviewed_person = aliased(Participant, name="reviewed_person")
    rows = session.exec(
        select_columns(ReviewAssignment.submission_id, reviewed.name, Participant.email, Participant.name,
                       ReviewAssignment.is_lead)
        .join(Enrolment, col(Enrolment.id) == ReviewAssignment.reviewer_enrolment_id)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Submission, col(Submission.id) == ReviewAssignment.submission_id)
        .join(reviewed_enrolment, col(reviewed_enrolment.id) == Submission.enrolment_id)
        .join(reviewed_person, col(reviewed_person.id) == reviewed_enrolment.participant_id)
        .join(reviewed, col(reviewed.id) == reviewed_person.organisation_id)
        .where(ReviewAssignment.round_id == round_id, col(ReviewAssignment.confirmed_at).is_not(None))
        .order_by(col(reviewed.name), col(ReviewAssignment.id))
    ).all()  # fmt: skip
    parties: dict[int, PartyLead] = {}
    for submission_id, organisation, email, name, is_lead in rows:
        party = parties.get(submission_id) or PartyLead(submission_id, organisation, (), None)
        parties[submission_id] = PartyLead(submission_id, organisation, (*party.reviewers, (email, name)),
                                           email if is_lead else party.lead)  # fmt: skip
    return list(parties.values())
