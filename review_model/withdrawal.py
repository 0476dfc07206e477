"""Withdrawing a person from a round: their organisation leaves, or they ask to be withdrawn.

Withdrawal is per enrolment, a person in one round, not per organisation: the enrolment is the only thing
that belongs to a round (organisations and people are shared by every round), and the self-assessment,
the reviews, the replies, the links, the reminders and the messages all hang on it. An organisation that
leaves is withdrawn person by person; one that stays while a colleague leaves keeps its other people.

One rule decides what a withdrawn person still counts for: what they have done, never what they still owe.
- A self-assessment they submitted stays: it is reviewed, consolidated and reported as before. One never
  submitted is kept in the store (a draft is not deleted) but is not reviewed, and no stage waits for it.
- Reviews they submitted stay in the findings; their open reviews are no longer waited for, and a proposed
  assignment no longer draws on them as reviewers.
- A reply they sent stays in the report; one not sent is no longer waited for.
- From then on they get nothing: no invitation, reminder, review request, reply invitation or report link,
  and their links open nothing (the portal shows what a revoked link shows).
The stage rules (review_model.stage_rules) see this through the counts of `rounds.round_progress`.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, or_
from sqlmodel import Session, col, select

from config.translations import N_
from review_model.audit_trail import record_event
from review_model.refusals import Reason, Refused
from review_model.reviews import REVIEWED_ORGANISATION, confirmed_assignments
from review_model.round_people import person_in_round
from review_model.tables import (
    AccessToken,
    Enrolment,
    Organisation,
    Participant,
    Review,
    ReviewAssignment,
    Round,
    Submission,
)
from review_model.tokens import revoke_link
from review_model.vocabulary import Stage, WorkStatus

REASON_MAX_LENGTH = 500
# After publication the report says who took part; withdrawing someone then would change nothing it says.
_NO_WITHDRAWAL = (Stage.published, Stage.archived)


class WithdrawalRefused(Refused):
    """The person cannot be withdrawn; `reasons` lists every reason found."""


def taking_part() -> ColumnElement[bool]:
    """The condition on `Enrolment` of someone not withdrawn from their round."""
    return col(Enrolment.withdrawn_at).is_(None)


def self_assessment_submitted() -> ColumnElement[bool]:
    """The condition on `Enrolment` of a submitted self-assessment."""
    return exists().where(col(Submission.enrolment_id) == Enrolment.id, Submission.is_submitted)


def review_submitted() -> ColumnElement[bool]:
    """The condition on `Enrolment` of at least one submitted review."""
    return (
        exists()
        .where(col(ReviewAssignment.reviewer_enrolment_id) == Enrolment.id)
        .where(col(Review.assignment_id) == ReviewAssignment.id, Review.is_submitted)
    )


def counts_for(done: ColumnElement[bool]) -> ColumnElement[bool]:
    """Whether an enrolment counts for work whose condition is `done`: anyone taking part, and a withdrawn
    person only where they had done it."""
    return or_(taking_part(), done)


@dataclass(frozen=True)
class Withdrawal:
    """Withdrawing one person from a round, as read before it is done: the command shows it and asks, the
    action does it and returns it."""

    round_slug: str
    stage: Stage
    enrolment_id: int
    participant_id: int
    name: str
    organisation: str
    roles: tuple[str, ...]  # respondent, reviewer, decision-maker
    links: int  # personal links that stop working
    self_assessment: WorkStatus | None  # None: never begun
    reviews_submitted: int  # they stay in the findings
    reviews_open: tuple[str, ...]  # organisations whose confirmed review by them is no longer waited for
    proposed_reviews: tuple[str, ...]  # organisations the unconfirmed proposal has them review
    reply_sent: bool


def roles_of(enrolment: Enrolment) -> tuple[str, ...]:
    """The roles a person has in their round, in words."""
    held = (("respondent", enrolment.is_respondent), ("reviewer", enrolment.is_reviewer),
            ("decision-maker", enrolment.is_decision_maker))  # fmt: skip
    return tuple(role for role, holds in held if holds)


def plan_withdrawal(
    session: Session, round_: Round, participant_id: int | None, reason: str, who: str | None = None
) -> Withdrawal:
    """What withdrawing the person from the round would do; WithdrawalRefused with every reason when it
    cannot be done: a published round, a person not in the round or withdrawn already, no reason given.
    `who` names the person in the reasons (their address, say); by default their id."""
    who = who or Reason(N_("participant {id}"), id=participant_id)
    reasons: list[str] = []
    if round_.stage in _NO_WITHDRAWAL:
        reasons.append(Reason(N_("round {slug} is {stage}: who took part is in its report and stays so"),
                              slug=round_.slug, stage=round_.stage))  # fmt: skip
    found = person_in_round(session, round_.id, participant_id) if participant_id is not None else None
    if found is None:
        reasons.append(Reason(N_("{who} takes no part in {slug}"), who=who, slug=round_.slug))
    elif found[0].withdrawn_at is not None:
        enrolment = found[0]
        reasons.append(Reason(N_("{who} was withdrawn from {slug} already, on {when} UTC by {actor}"),
                              who=who, slug=round_.slug, when=f"{enrolment.withdrawn_at:%Y-%m-%d %H:%M}",
                              actor=enrolment.withdrawn_by))  # fmt: skip
    reasons += _reason_problems(reason)
    if reasons:
        raise WithdrawalRefused(reasons)
    assert found is not None
    enrolment, person, organisation = found
    return _consequences(session, round_, enrolment, person, organisation)


def _reason_problems(reason: str) -> list[str]:
    missing = Reason(N_("say why (--reason): the round's history keeps who withdrew whom and why"))
    return reason_problems(reason, missing)


def revocation_reason_problems(reason: str) -> list[str]:
    """Why the reason given for revoking a person's links cannot be kept; empty when it can."""
    return reason_problems(reason, Reason(N_("say why: the round's history keeps who revoked whose link and why")))


def reason_problems(reason: str, missing: str) -> list[str]:
    """Why a coordinator's reason for an action (kept in the round's history) cannot be kept: `missing` when
    it is empty, or too long, or with a control character."""
    if not reason.strip():
        return [missing]
    problems: list[str] = []
    if len(reason.strip()) > REASON_MAX_LENGTH:
        problems.append(Reason(N_("the reason is {length} characters long; at most {most} are kept"),
                               length=len(reason.strip()), most=REASON_MAX_LENGTH))  # fmt: skip
    if any(ord(c) < 32 and c not in "\t\n" for c in reason):
        problems.append(Reason(N_("the reason holds a control character")))
    return problems


def _consequences(
    session: Session, round_: Round, enrolment: Enrolment, person: Participant, organisation: Organisation
) -> Withdrawal:
    assert round_.id is not None and enrolment.id is not None and person.id is not None
    links = session.exec(
        select(AccessToken.id).where(AccessToken.enrolment_id == enrolment.id, col(AccessToken.revoked_at).is_(None))
    ).all()
    submission = session.exec(select(Submission).where(Submission.enrolment_id == enrolment.id)).first()
    reviews = session.exec(
        confirmed_assignments(
            select(REVIEWED_ORGANISATION.name, Review.status).select_from(ReviewAssignment), round_.id
        )
        .where(ReviewAssignment.reviewer_enrolment_id == enrolment.id)
        .order_by(REVIEWED_ORGANISATION.name)
    ).all()
    proposed = session.exec(
        select(Organisation.name)
        .select_from(ReviewAssignment)
        .join(Submission, col(Submission.id) == ReviewAssignment.submission_id)
        .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(
            ReviewAssignment.round_id == round_.id,
            ReviewAssignment.reviewer_enrolment_id == enrolment.id,
            col(ReviewAssignment.confirmed_at).is_(None),
        )
        .order_by(Organisation.name)
    ).all()
    return Withdrawal(
        round_slug=round_.slug,
        stage=round_.stage,
        enrolment_id=enrolment.id,
        participant_id=person.id,
        name=person.name,
        organisation=organisation.name,
        roles=roles_of(enrolment),
        links=len(links),
        self_assessment=submission.status if submission is not None else None,
        reviews_submitted=sum(1 for _, status in reviews if status is WorkStatus.submitted),
        reviews_open=tuple(name for name, status in reviews if status is not WorkStatus.submitted),
        proposed_reviews=tuple(proposed),
        reply_sent=submission is not None and submission.reply_submitted_at is not None,
    )


def withdraw(
    session: Session, withdrawal: Withdrawal, actor: str, reason: str, now: datetime, **details: object
) -> int:
    """Withdraw the person as planned, in the caller's transaction (which holds the round's lock): mark the
    enrolment, revoke their links, and record who withdrew them and why (with `details` of what else was
    done). Returns the links revoked."""
    enrolment = session.get(Enrolment, withdrawal.enrolment_id)
    assert enrolment is not None
    enrolment.withdrawn_at, enrolment.withdrawn_by, enrolment.withdrawal_reason = now, actor, reason.strip()
    links = session.exec(
        select(AccessToken).where(AccessToken.enrolment_id == enrolment.id, col(AccessToken.revoked_at).is_(None))
    ).all()
    for access in links:
        revoke_link(access, now)
    round_id = enrolment.round_id
    # The person by id: the history keeps no more personal data than it needs.
    record_event(session, round_id, actor, "participant withdrawn", participant=withdrawal.participant_id,
                 reason=reason.strip(), roles=list(withdrawal.roles), links=len(links),
                 reviews_no_longer_awaited=len(withdrawal.reviews_open), **details)  # fmt: skip
    return len(links)


@dataclass(frozen=True)
class WithdrawnPerson:
    """Someone withdrawn from a round, for the coordinator's overview."""

    name: str
    organisation: str
    roles: tuple[str, ...]
    withdrawn_at: datetime
    withdrawn_by: str
    reason: str


def withdrawn_participants(session: Session, round_id: int) -> list[WithdrawnPerson]:
    """Everyone withdrawn from the round, earliest first."""
    rows = session.exec(
        select(Enrolment, Participant.name, Organisation.name)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(Enrolment.round_id == round_id, col(Enrolment.withdrawn_at).is_not(None))
        .order_by(col(Enrolment.withdrawn_at), col(Enrolment.id))
    ).all()
    return [
        WithdrawnPerson(name, organisation, roles_of(e), withdrawn_at, e.withdrawn_by or "", e.withdrawal_reason or "")
        for e, name, organisation in rows
        if (withdrawn_at := e.withdrawn_at) is not None  # the query asks for these only
    ]
