"""The personal links people hold in a round's current stage: the self-assessment's while it is collected,
each review's in the review stage (in the consensus stage, each submitted review's: its form leads to the
consensus page), the reply's in the comment stage.

They are read, never issued here: a message that carries "their link" (the coordinator's message to a group,
a link sent again) carries the very link the stage sent, made again from its stored nonce with the secret
key (review_model.tokens), and someone the stage gave no link gets none.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import null
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from config.translations import N_
from review_model.refusals import Reason, Refused
from review_model.reminder_opt_out import not_reminded, receives
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
from review_model.vocabulary import Stage, TokenPurpose
from review_model.wide_select import select_columns

# What the links of each stage open; the stages not named send no personal link.
LINK_PURPOSE_IN: dict[Stage, TokenPurpose] = {
    Stage.invitation: TokenPurpose.self_assessment,
    Stage.submission: TokenPurpose.self_assessment,
    Stage.review: TokenPurpose.review,
    Stage.consensus: TokenPurpose.review,
    Stage.comment: TokenPurpose.reply,
}
# The kind of message a link of each purpose is sent again in (the message that first brought it).
RESENT_AS: dict[TokenPurpose, str] = {
    TokenPurpose.self_assessment: "invitation",
    TokenPurpose.review: "review_request",
    TokenPurpose.reply: "comment_invitation",
}

_REVIEWED_ENROLMENT = aliased(Enrolment, name="reviewed_enrolment")
_REVIEWED_PERSON = aliased(Participant, name="reviewed_person")
_REVIEWED_ORGANISATION = aliased(Organisation, name="reviewed_organisation")


@dataclass(frozen=True)
class StageLink:
    """One personal link of the current stage, as stored."""

    enrolment_id: int
    purpose: TokenPurpose
    nonce: str
    expires_at: datetime
    revoked_at: datetime | None
    reviewed: str | None = None  # a review link: the reviewed organisation

    def opens(self, now: datetime) -> bool:
        """Whether the link opens its form now: neither revoked nor expired."""
        return self.revoked_at is None and now < self.expires_at


def stage_links(session: Session, round_: Round, enrolment_ids: list[int]) -> dict[int, list[StageLink]]:
    """The links of the round's current stage these people hold (revoked and expired ones too, for the caller
    to tell why one opens nothing), by enrolment, review links in the order of their assignments; in one
    query. Empty in a stage that sends no personal link."""
    purpose = LINK_PURPOSE_IN.get(round_.stage)
    if purpose is None or not enrolment_ids:
        return {}
    reviewing = purpose is TokenPurpose.review
    statement = (
        select_columns(
            AccessToken.enrolment_id,
            AccessToken.nonce,
            AccessToken.expires_at,
            AccessToken.revoked_at,
            _REVIEWED_ORGANISATION.name if reviewing else null(),
        )
        .select_from(AccessToken)
        .where(col(AccessToken.round_id) == round_.id, col(AccessToken.purpose) == purpose)
        .where(col(AccessToken.enrolment_id).in_(enrolment_ids))
        .order_by(col(AccessToken.enrolment_id), col(AccessToken.assignment_id), col(AccessToken.id))
    )
    if reviewing:  # only the reviews asked for: the confirmed assignments
        statement = (
            statement.join(ReviewAssignment, col(ReviewAssignment.id) == AccessToken.assignment_id)
            .join(Submission, col(Submission.id) == ReviewAssignment.submission_id)
            .join(_REVIEWED_ENROLMENT, col(_REVIEWED_ENROLMENT.id) == Submission.enrolment_id)
            .join(_REVIEWED_PERSON, col(_REVIEWED_PERSON.id) == _REVIEWED_ENROLMENT.participant_id)
            .join(_REVIEWED_ORGANISATION, col(_REVIEWED_ORGANISATION.id) == _REVIEWED_PERSON.organisation_id)
            .where(col(ReviewAssignment.confirmed_at).is_not(None))
        )
        if round_.stage is Stage.consensus:  # only the reviews that take part: those submitted
            statement = statement.join(Review, col(Review.assignment_id) == ReviewAssignment.id).where(
                Review.is_submitted
            )
    links: dict[int, list[StageLink]] = {}
    for enrolment_id, nonce, expires_at, revoked_at, reviewed in session.exec(statement).all():
        links.setdefault(enrolment_id, []).append(
            StageLink(enrolment_id, purpose, nonce, expires_at, revoked_at, reviewed)
        )
    return links


class ResendRefused(Refused):
    """A person's link cannot be sent again; `reasons` lists every reason found."""


def resend_problems(
    round_: Round, enrolment: Enrolment | None, links: list[StageLink], now: datetime, who: str
) -> list[str]:
    """Every reason why the person's link of the round's current stage cannot be sent to them again now (`who`
    names them); empty when it can. What is sent again is the link they hold, never a new one: a revoked link
    stays revoked (a reminder carries a new one), an expired one stays expired."""
    if enrolment is None:
        return [Reason(N_("{who} takes no part in {slug}"), who=who, slug=round_.slug)]
    reasons: list[str] = []
    purpose = LINK_PURPOSE_IN.get(round_.stage)
    if purpose is None:
        reasons.append(Reason(N_("round {slug} is in stage {stage}: personal links are sent in {submission}, "
                                 "{review}, {consensus} and {comment}"), slug=round_.slug, stage=round_.stage,
                              submission=Stage.submission, review=Stage.review, consensus=Stage.consensus,
                              comment=Stage.comment))  # fmt: skip
    if enrolment.withdrawn_at is not None:
        reasons.append(Reason(N_("{who} was withdrawn from {slug} on {when} UTC: their links open nothing"),
                              who=who, slug=round_.slug, when=f"{enrolment.withdrawn_at:%Y-%m-%d %H:%M}"))  # fmt: skip
    if purpose is not None and not receives(enrolment, RESENT_AS[purpose]):
        reasons += not_reminded(enrolment, who, round_.slug)
    if purpose is None or enrolment.withdrawn_at is not None:
        return reasons  # a withdrawn person's links are all revoked: saying so for each adds nothing
    if not links:
        reasons.append(_no_link(round_, enrolment, purpose, who))
    for link in links:
        named = (
            Reason(N_("the link of {who} to review {organisation}"), who=who, organisation=link.reviewed)
            if link.reviewed
            else Reason(N_("the link of {who}"), who=who)
        )
        if link.revoked_at is not None:
            reasons.append(Reason(N_("{link} was revoked on {when} UTC: a revoked link is not sent again (a "
                                     "reminder carries a new one)"), link=named,
                                  when=f"{link.revoked_at:%Y-%m-%d %H:%M}"))  # fmt: skip
        elif now >= link.expires_at:
            reasons.append(Reason(N_("{link} expired on {when} UTC"), link=named,
                                  when=f"{link.expires_at:%Y-%m-%d %H:%M}"))  # fmt: skip
    return reasons


def _no_link(round_: Round, enrolment: Enrolment, purpose: TokenPurpose, who: str) -> Reason:
    """Why someone holds no link of the stage."""
    if purpose is TokenPurpose.self_assessment:
        if not enrolment.is_respondent:
            return Reason(N_("{who} is no respondent of {slug}: they have no self-assessment to fill in"),
                          who=who, slug=round_.slug)  # fmt: skip
        return Reason(N_("{who} has not been invited to {slug} yet: the invitation brings their link"),
                      who=who, slug=round_.slug)  # fmt: skip
    if purpose is TokenPurpose.review and round_.stage is Stage.consensus:
        return Reason(N_("{who} takes no part in the consensus of {slug}: they submitted no review"), who=who,
                      slug=round_.slug)  # fmt: skip
    if purpose is TokenPurpose.review:
        return Reason(N_("{who} has no review to write in {slug}"), who=who, slug=round_.slug)
    return Reason(N_("{who} has no draft findings to reply to in {slug}: their self-assessment was not "
                     "submitted"), who=who, slug=round_.slug)  # fmt: skip


@dataclass(frozen=True)
class HeldLinks:
    """A person of the round and the links of its current stage they hold, all of which open their form."""

    enrolment: Enrolment
    participant: Participant
    organisation: Organisation
    links: list[StageLink]


def links_to_resend(session: Session, round_: Round, participant_id: int | None, now: datetime, who: str) -> HeldLinks:
    """The person's links of the round's current stage, to be sent to them again; ResendRefused with every reason
    when they cannot be (see `resend_problems`; `who` names the person in the reasons)."""
    found = person_in_round(session, round_.id, participant_id) if participant_id is not None else None
    enrolment = found[0] if found is not None else None
    links = stage_links(session, round_, [enrolment.id]).get(enrolment.id, []) if enrolment and enrolment.id else []
    reasons = resend_problems(round_, enrolment, links, now, who)
    if reasons:
        raise ResendRefused(reasons)
    assert found is not None
    return HeldLinks(found[0], found[1], found[2], links)
