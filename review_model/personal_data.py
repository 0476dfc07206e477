"""The right of access (GDPR Art. 15): everything the store holds about one person, gathered in one place.

`personal_data_of(session, participant_id)` returns a `PersonalData`: who the person is, the rounds they take
part in and what happened to them there, every email written to them, their personal links (never a token),
what they answered, reviewed and replied, the conflicts and wishes recorded for them, and the audit entries
about them. It never holds another person's data: no co-reviewer, no reviewer of their organisation, no
other recipient, no member of staff who acted on them (the history says "coordinator"); the only other name
is the round's coordinator, who signs the emails the person received.

Where personal data lives (`PERSONAL_DATA` says the same for code; the erasure of a person reads it too):

- participants (by id): email, name, language, expertise, organisation_id, created_at, updated_at, erased_at
- enrolments (by participant_id): roles, the invited / opened / bounced / opted-out / withdrawn / handed-over
  times, reminder counts, withdrawal_reason, withdrawn_by (a member of staff, not shown)
- access_tokens (by enrolment_id): nonce and token_hash (together the working link: never shown), purpose,
  expires_at, revoked_at, last_used_at
- outbox_messages (by recipient_participant_id): recipient_email, subject, payload (the whole message: name
  and address in its headers, working links in its body), state, times
- submissions (by enrolment_id) and submission_versions (by submission_id): answers (free texts may name
  people), times
- follow_up_reports (by submission_id): the status reported for each earlier recommendation and its reason
  (a free text, which may name people), per version, times
- review_assignments (by reviewer_enrolment_id) and reviews (by assignment_id): the party reviewed, whether
  they lead its reviewers, answers (ratings and comments), times; review_versions (by review_id): each
  submitted version of a review
- disputed_item_comments and assessment_endorsements (by assignment_id), joint_assessments (by
  written_by_assignment_id): what a reviewer wrote in the consensus stage
- replies (by author_enrolment_id): text, times
- review_questions (by assignment_id for the reviewer who asked, by answered_by_enrolment_id for the party's
  person who answered): question and answer texts, times
- conflict_declarations, review_preferences (by participant_id): organisation_id, note, created_at
- audit_events (by details): `participant` (an id) in the actions of `EVENTS_ABOUT_A_PERSON`; "reviewer
  swapped" names the removed and added reviewers by address

Organisations (name, kind, Land) are bodies, not people; they are shown as the person's context. The
published report (published_reports.content) prints each party's reply as written; it is a document of
record and is not taken apart per person. Staff accounts are not participants and are not listed here.
"""

import email
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import or_
from sqlmodel import Session, col, select

from review_model import clock
from review_model.audit_trail import ROUND_DRIVER
from review_model.tables import (
    AccessToken,
    AssessmentEndorsement,
    AuditEvent,
    ConflictDeclaration,
    DisputedItemComment,
    Enrolment,
    Finding,
    FollowUpReport,
    JointAssessment,
    Organisation,
    OutboxMessage,
    Participant,
    Recommendation,
    Reply,
    Review,
    ReviewAssignment,
    ReviewPreference,
    ReviewQuestion,
    ReviewVersion,
    Round,
    Submission,
    SubmissionVersion,
)


@dataclass(frozen=True)
class PersonalDataPlace:
    """A table that holds personal data: the columns that do, and the column a person's rows are found by."""

    table: str
    columns: tuple[str, ...]
    found_by: str
    note: str = ""


PERSONAL_DATA: tuple[PersonalDataPlace, ...] = (
    PersonalDataPlace(
        "participants",
        ("email", "name", "language", "expertise", "organisation_id", "created_at", "updated_at", "erased_at"),
        "id",
    ),
    PersonalDataPlace(
        "enrolments",
        (
            "is_respondent",
            "is_reviewer",
            "is_decision_maker",
            "min_reviews",
            "max_reviews",
            "invited_at",
            "first_opened_at",
            "bounced_at",
            "opted_out_at",
            "reminders_sent",
            "review_reminders_sent",
            "consensus_reminders_sent",
            "reply_reminders_sent",
            "last_reminded_at",
            "withdrawn_at",
            "withdrawn_by",
            "withdrawal_reason",
            "handed_over_at",
            "created_at",
        ),
        "participant_id",
    ),
    PersonalDataPlace(
        "access_tokens",
        ("nonce", "token_hash", "purpose", "expires_at", "revoked_at", "last_used_at", "created_at"),
        "enrolment_id",
        "nonce and token_hash make the working link: never shown, never exported",
    ),
    PersonalDataPlace(
        "outbox_messages",
        ("recipient_email", "subject", "payload", "kind", "state", "sent_at", "created_at", "last_error"),
        "recipient_participant_id",
        "payload is the whole message: name and address in its headers, working links in its body",
    ),
    PersonalDataPlace("submissions", ("answers", "created_at", "updated_at", "submitted_at"), "enrolment_id"),
    PersonalDataPlace("submission_versions", ("answers", "submitted_at"), "submission_id"),
    PersonalDataPlace(
        "follow_up_reports",
        ("recommendation_id", "version", "status", "reason", "created_at", "updated_at"),
        "submission_id",
    ),
    PersonalDataPlace(
        "review_assignments", ("submission_id", "is_lead", "created_at", "confirmed_at"), "reviewer_enrolment_id"
    ),
    PersonalDataPlace("reviews", ("answers", "created_at", "updated_at", "submitted_at"), "assignment_id"),
    PersonalDataPlace("review_versions", ("answers", "submitted_at"), "review_id"),
    PersonalDataPlace("disputed_item_comments", ("item_id", "text", "created_at", "updated_at"), "assignment_id"),
    PersonalDataPlace(
        "joint_assessments",
        ("strengths", "weaknesses", "recommendations", "created_at", "updated_at", "submitted_at"),
        "written_by_assignment_id",
        "written by the party's lead reviewer for all its reviewers",
    ),
    PersonalDataPlace("assessment_endorsements", ("endorses", "comment", "created_at", "updated_at"), "assignment_id"),
    PersonalDataPlace("replies", ("text", "created_at", "updated_at"), "author_enrolment_id"),
    PersonalDataPlace(
        "review_questions",
        ("text", "asked_at", "answer", "answered_at"),
        "answered_by_enrolment_id",
        "the asker is found by assignment_id (their review assignment), the answerer by answered_by_enrolment_id",
    ),
    PersonalDataPlace("conflict_declarations", ("organisation_id", "note", "created_at"), "participant_id"),
    PersonalDataPlace("review_preferences", ("organisation_id", "created_at"), "participant_id"),
    PersonalDataPlace(
        "audit_events",
        ("details",),
        "details",
        "details['participant'] (an id) in the actions of EVENTS_ABOUT_A_PERSON; 'reviewer swapped' names the "
        "removed and added reviewers' addresses",
    ),
)

# The audit entries that are about one person, with the details of each that the person may read. The person
# is `details["participant"]` (an id), or for a swap one of the addresses `removed` and `added`; other details
# (the other reviewer's address, above all) stay out. An action not listed here is not shown.
EVENTS_ABOUT_A_PERSON: dict[str, tuple[str, ...]] = {
    "participant withdrawn": ("reason", "roles", "links"),
    "links revoked": ("reason", "links"),
    "link sent again": ("kind", "links"),
    "reviewer swapped": ("reviewed",),
}

# What stands in an exported message where a personal link's token was: an export travels by mail, and a
# working link in it would open the person's form to whoever reads it.
LINK_REMOVED = "[personal-link-removed]"
# A token in a link: 43 characters of URL-safe base64 (see review_model.tokens), as a path segment.
_TOKEN_IN_LINK = re.compile(r"(?<=/)[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")


class UnknownPerson(LookupError):
    """No participant with that id or address (or an erased one, whose data is gone)."""


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class PersonRecord(_Record):
    email: str
    name: str
    language: str
    expertise: list[str]
    created_at: datetime
    updated_at: datetime | None


class OrganisationRecord(_Record):
    name: str
    kind: str
    state: str | None


class Reminders(_Record):
    """How many reminders of each kind the person had in a round."""

    self_assessment: int
    review: int
    reply: int
    last_at: datetime | None


class RoundRecord(_Record):
    """The person's part in one round: roles and what happened, times in UTC (the round's zone beside them)."""

    round: str  # the slug, which every other record names its round by
    title: str
    title_en: str | None
    time_zone: str
    stage: str
    roles: list[str]
    enrolled_at: datetime
    invited_at: datetime | None
    first_opened_at: datetime | None
    bounced_at: datetime | None
    opted_out_at: datetime | None
    withdrawn_at: datetime | None
    withdrawal_reason: str | None
    handed_over_at: datetime | None
    min_reviews: int | None
    max_reviews: int | None
    reminders: Reminders


class MessageRecord(_Record):
    """An email written to the person: queued, sent or failed. `text` is its plain-text part, with every
    personal link's token replaced by LINK_REMOVED; None when the message could not be built."""

    round: str | None
    kind: str
    subject: str
    to: str
    state: str
    queued_at: datetime
    sent_at: datetime | None
    text: str | None


class LinkRecord(_Record):
    """A personal link, described: never its token."""

    round: str
    purpose: str
    reviewed_organisation: str | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class SubmittedVersion(_Record):
    version: int
    submitted_at: datetime
    answers: dict[str, Any]


class FollowUpRecord(_Record):
    """What the self-assessment said about a recommendation of the round before (its text beside it, in German
    and where there is one in English): version 0 is the working copy, any other the statement as submitted
    with that version."""

    recommendation_id: int
    recommendation: str
    recommendation_en: str | None
    version: int
    status: str | None
    reason: str | None
    created_at: datetime
    updated_at: datetime | None


class SelfAssessmentRecord(_Record):
    """The organisation's self-assessment where the person is its respondent: what the form holds now, and
    every version submitted."""

    round: str
    organisation: str
    status: str
    version: int
    late: bool
    created_at: datetime
    updated_at: datetime | None
    submitted_at: datetime | None
    reply_sent_at: datetime | None
    answers: dict[str, Any]
    versions: list[SubmittedVersion]
    follow_ups: list[FollowUpRecord] = []


class ConsensusCommentRecord(_Record):
    """What the person wrote in the consensus stage on a point to discuss (an item the reviewers disagreed on)."""

    item: str
    text: str
    created_at: datetime
    updated_at: datetime | None


class JointAssessmentRecord(_Record):
    """The joint assessment of the reviewed party the person wrote as its lead reviewer."""

    strengths: str
    weaknesses: str
    recommendations: list[str]
    created_at: datetime
    updated_at: datetime | None
    submitted_at: datetime | None  # None: a draft


class EndorsementRecord(_Record):
    """The person's answer to the lead reviewer's joint assessment of the party they review."""

    endorses: bool
    comment: str
    created_at: datetime
    updated_at: datetime | None


class ReviewRecord(_Record):
    """A review the person was asked for (the party they review; never who else reviews it): what it holds now,
    every version submitted (the first and each revision in the consensus stage), and what the person wrote
    in the consensus stage; never what the co-reviewers wrote."""

    round: str
    reviewed_organisation: str
    assigned_at: datetime
    confirmed_at: datetime | None
    leads_reviewers: bool = False
    status: str | None  # None: not begun
    version: int
    created_at: datetime | None
    updated_at: datetime | None
    submitted_at: datetime | None
    answers: dict[str, Any]
    versions: list[SubmittedVersion] = []
    consensus_comments: list[ConsensusCommentRecord] = []
    joint_assessment: JointAssessmentRecord | None = None
    endorsement: EndorsementRecord | None = None


class ReplyRecord(_Record):
    """A reply the person wrote to their organisation's draft findings (right of reply)."""

    round: str
    about: str | None  # the group of findings it answers; None: the findings as a whole
    text: str
    created_at: datetime
    updated_at: datetime | None
    sent_at: datetime | None  # when the party sent its replies; None: a draft


class QuestionRecord(_Record):
    """A question during the review the person asked as a reviewer (`asked`), or answered for their
    organisation (`answered`); never who else asked or answered."""

    round: str
    role: str  # "asked" or "answered"
    reviewed_organisation: str
    about: str | None  # the item asked about; None: the self-assessment as a whole
    question: str
    asked_at: datetime
    answer: str | None
    answered_at: datetime | None


class ConflictRecord(_Record):
    organisation: str
    note: str | None
    created_at: datetime


class PreferenceRecord(_Record):
    organisation: str
    created_at: datetime


class EventRecord(_Record):
    """An entry of a round's history about the person; `by` is "coordinator" or "round driver", never a name."""

    round: str | None
    at: datetime
    action: str
    by: str
    details: dict[str, Any]


class PersonalData(_Record):
    """Everything the store holds about one person, as they may see it."""

    exported_at: datetime
    person: PersonRecord
    organisation: OrganisationRecord
    rounds: list[RoundRecord]
    messages: list[MessageRecord]
    links: list[LinkRecord]
    self_assessments: list[SelfAssessmentRecord]
    reviews: list[ReviewRecord]
    replies: list[ReplyRecord]
    review_questions: list[QuestionRecord]
    conflicts: list[ConflictRecord]
    review_preferences: list[PreferenceRecord]
    audit_events: list[EventRecord]

    def round_zone(self, slug: str | None) -> str | None:
        """The time zone of a round the person takes part in, by slug."""
        return next((r.time_zone for r in self.rounds if r.round == slug), None)


def participant_by_email(session: Session, address: str) -> Participant:
    """The participant with this address (any case); UnknownPerson when there is none."""
    found = session.exec(select(Participant).where(Participant.email == address.strip().lower())).first()
    if found is None or found.erased_at is not None:
        raise UnknownPerson(address)
    return found


def personal_data_of(session: Session, participant_id: int, now: datetime | None = None) -> PersonalData:
    """Everything the store holds about the participant, read in `session` (which it does not change).
    Raises UnknownPerson for an id that names nobody, or a person already erased."""
    person = session.get(Participant, participant_id)
    if person is None or person.erased_at is not None:
        raise UnknownPerson(participant_id)
    organisation = session.get(Organisation, person.organisation_id)
    assert organisation is not None
    enrolled = session.exec(
        select(Enrolment, Round)
        .join(Round, col(Round.id) == Enrolment.round_id)
        .where(Enrolment.participant_id == participant_id)
        .order_by(col(Round.created_at), col(Round.id))
    ).all()
    slugs = {round_.id: round_.slug for _, round_ in enrolled}
    enrolment_ids = [enrolment.id for enrolment, _ in enrolled]
    return PersonalData(
        exported_at=now or clock.now(),
        person=PersonRecord(
            email=person.email,
            name=person.name,
            language=person.language.value,
            expertise=list(person.expertise),
            created_at=person.created_at,
            updated_at=person.updated_at,
        ),
        organisation=OrganisationRecord(
            name=organisation.name,
            kind=organisation.kind.value,
            state=organisation.state.value if organisation.state else None,
        ),
        rounds=[_round_record(enrolment, round_) for enrolment, round_ in enrolled],
        messages=_messages(session, participant_id, slugs),
        links=_links(session, enrolment_ids, slugs),
        self_assessments=_self_assessments(session, enrolment_ids, slugs, organisation.name),
        reviews=_reviews(session, enrolment_ids, slugs),
        replies=_replies(session, enrolment_ids, slugs),
        review_questions=_review_questions(session, enrolment_ids, slugs),
        conflicts=[
            ConflictRecord(organisation=name, note=declared.note, created_at=declared.created_at)
            for declared, name in session.exec(
                select(ConflictDeclaration, Organisation.name)
                .join(Organisation, col(Organisation.id) == ConflictDeclaration.organisation_id)
                .where(ConflictDeclaration.participant_id == participant_id)
                .order_by(col(ConflictDeclaration.id))
            ).all()
        ],
        review_preferences=[
            PreferenceRecord(organisation=name, created_at=wish.created_at)
            for wish, name in session.exec(
                select(ReviewPreference, Organisation.name)
                .join(Organisation, col(Organisation.id) == ReviewPreference.organisation_id)
                .where(ReviewPreference.participant_id == participant_id)
                .order_by(col(ReviewPreference.id))
            ).all()
        ],
        audit_events=_events(session, participant_id, person.email, slugs),
    )


def _round_record(enrolment: Enrolment, round_: Round) -> RoundRecord:
    roles = [name for name, held in (("respondent", enrolment.is_respondent), ("reviewer", enrolment.is_reviewer),
                                     ("decision_maker", enrolment.is_decision_maker)) if held]  # fmt: skip
    return RoundRecord(
        round=round_.slug,
        title=round_.title,
        title_en=round_.title_en,
        time_zone=round_.time_zone,
        stage=round_.stage.value,
        roles=roles,
        enrolled_at=enrolment.created_at,
        invited_at=enrolment.invited_at,
        first_opened_at=enrolment.first_opened_at,
        bounced_at=enrolment.bounced_at,
        opted_out_at=enrolment.opted_out_at,
        withdrawn_at=enrolment.withdrawn_at,
        withdrawal_reason=enrolment.withdrawal_reason,
        handed_over_at=enrolment.handed_over_at,
        min_reviews=enrolment.min_reviews,
        max_reviews=enrolment.max_reviews,
        reminders=Reminders(
            self_assessment=enrolment.reminders_sent,
            review=enrolment.review_reminders_sent,
            reply=enrolment.reply_reminders_sent,
            last_at=enrolment.last_reminded_at,
        ),
    )


def _messages(session: Session, participant_id: int, slugs: dict[int | None, str]) -> list[MessageRecord]:
    rows = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.recipient_participant_id == participant_id)
        .order_by(col(OutboxMessage.created_at), col(OutboxMessage.id))
    ).all()
    return [
        MessageRecord(
            round=slugs.get(message.round_id),
            kind=message.kind,
            subject=message.subject,
            to=message.recipient_email,
            state=message.state.value,
            queued_at=message.created_at,
            sent_at=message.sent_at,
            text=message_text(message.payload),
        )
        for message in rows
    ]


def message_text(payload: bytes) -> str | None:
    """The plain-text part of a stored message with every personal link's token replaced by LINK_REMOVED;
    None when there is no text (a message that could not be built is stored empty)."""
    if not payload:
        return None
    # The compat32 parser, not the default policy's: it reads a message about ten times faster (its headers
    # are not parsed into objects), and only the text part is wanted.
    try:
        part = next(p for p in email.message_from_bytes(payload).walk() if p.get_content_type() == "text/plain")
        body = part.get_payload(decode=True)
        text = body.decode(part.get_content_charset() or "utf-8", errors="replace") if isinstance(body, bytes) else None
    except (StopIteration, LookupError):  # no text part, or a charset Python does not know
        return None
    return without_links(text) if isinstance(text, str) else None


def without_links(text: str) -> str:
    """`text` with the token of every link in it replaced by LINK_REMOVED."""
    return _TOKEN_IN_LINK.sub(LINK_REMOVED, text)


def _links(session: Session, enrolment_ids: Sequence[int | None], slugs: dict[int | None, str]) -> list[LinkRecord]:
    rows = session.exec(
        select(AccessToken, Organisation.name)
        .outerjoin(ReviewAssignment, col(ReviewAssignment.id) == AccessToken.assignment_id)
        .outerjoin(Submission, col(Submission.id) == ReviewAssignment.submission_id)
        .outerjoin(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
        .outerjoin(Participant, col(Participant.id) == Enrolment.participant_id)
        .outerjoin(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(col(AccessToken.enrolment_id).in_(enrolment_ids))
        .order_by(col(AccessToken.created_at), col(AccessToken.id))
    ).all()
    return [
        LinkRecord(
            round=slugs[access.round_id],
            purpose=access.purpose.value,
            reviewed_organisation=reviewed,
            created_at=access.created_at,
            expires_at=access.expires_at,
            revoked_at=access.revoked_at,
            last_used_at=access.last_used_at,
        )
        for access, reviewed in rows
    ]


def _self_assessments(
    session: Session, enrolment_ids: Sequence[int | None], slugs: dict[int | None, str], organisation: str
) -> list[SelfAssessmentRecord]:
    submissions = session.exec(
        select(Submission).where(col(Submission.enrolment_id).in_(enrolment_ids)).order_by(col(Submission.id))
    ).all()
    versions: dict[int, list[SubmittedVersion]] = {}
    for version in session.exec(
        select(SubmissionVersion)
        .where(col(SubmissionVersion.submission_id).in_([s.id for s in submissions]))
        .order_by(col(SubmissionVersion.version))
    ).all():
        versions.setdefault(version.submission_id, []).append(
            SubmittedVersion(version=version.version, submitted_at=version.submitted_at, answers=dict(version.answers))
        )
    follow_ups: dict[int, list[FollowUpRecord]] = {}
    for report, text, text_en in session.exec(
        select(FollowUpReport, Recommendation.text_de, Recommendation.text_en)
        .join(Recommendation, col(Recommendation.id) == FollowUpReport.recommendation_id)
        .where(col(FollowUpReport.submission_id).in_([s.id for s in submissions]))
        .order_by(col(FollowUpReport.version), col(FollowUpReport.recommendation_id))
    ).all():
        follow_ups.setdefault(report.submission_id, []).append(
            FollowUpRecord(
                recommendation_id=report.recommendation_id, recommendation=text, recommendation_en=text_en,
                version=report.version,
                status=report.status.value if report.status else None, reason=report.reason,
                created_at=report.created_at, updated_at=report.updated_at,
            )
        )  # fmt: skip
    return [
        SelfAssessmentRecord(
            round=slugs[submission.round_id],
            organisation=organisation,
            status=submission.status.value,
            version=submission.version,
            late=submission.late,
            created_at=submission.created_at,
            updated_at=submission.updated_at,
            submitted_at=submission.submitted_at,
            reply_sent_at=submission.reply_submitted_at,
            answers=dict(submission.answers),
            versions=versions.get(submission.id or 0, []),
            follow_ups=follow_ups.get(submission.id or 0, []),
        )
        for submission in submissions
    ]


def _reviews(session: Session, enrolment_ids: Sequence[int | None], slugs: dict[int | None, str]) -> list[ReviewRecord]:
    rows = session.exec(
        select(ReviewAssignment, Review, Organisation.name)
        .outerjoin(Review, col(Review.assignment_id) == ReviewAssignment.id)
        .join(Submission, col(Submission.id) == ReviewAssignment.submission_id)
        .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(col(ReviewAssignment.reviewer_enrolment_id).in_(enrolment_ids))
        .order_by(col(ReviewAssignment.id))
    ).all()
    assignment_ids = [assignment.id for assignment, _, _ in rows]
    versions: dict[int | None, list[SubmittedVersion]] = {}
    for version in session.exec(
        select(ReviewVersion)
        .where(col(ReviewVersion.review_id).in_([review.id for _, review, _ in rows if review is not None]))
        .order_by(col(ReviewVersion.review_id), col(ReviewVersion.version))
    ).all():
        versions.setdefault(version.review_id, []).append(
            SubmittedVersion(version=version.version, submitted_at=version.submitted_at, answers=dict(version.answers))
        )
    comments: dict[int | None, list[ConsensusCommentRecord]] = {}
    for comment in session.exec(
        select(DisputedItemComment)
        .where(col(DisputedItemComment.assignment_id).in_(assignment_ids))
        .order_by(col(DisputedItemComment.id))
    ).all():
        comments.setdefault(comment.assignment_id, []).append(
            ConsensusCommentRecord(item=comment.item_id, text=comment.text, created_at=comment.created_at,
                                   updated_at=comment.updated_at)
        )  # fmt: skip
    assessments: dict[int | None, JointAssessmentRecord] = {
        assessment.written_by_assignment_id: JointAssessmentRecord(
            strengths=assessment.strengths, weaknesses=assessment.weaknesses,
            recommendations=list(assessment.recommendations), created_at=assessment.created_at,
            updated_at=assessment.updated_at, submitted_at=assessment.submitted_at,
        )
        for assessment in session.exec(
            select(JointAssessment).where(col(JointAssessment.written_by_assignment_id).in_(assignment_ids))
        ).all()
    }  # fmt: skip
    endorsements: dict[int | None, EndorsementRecord] = {
        endorsement.assignment_id: EndorsementRecord(
            endorses=endorsement.endorses, comment=endorsement.comment, created_at=endorsement.created_at,
            updated_at=endorsement.updated_at,
        )
        for endorsement in session.exec(
            select(AssessmentEndorsement).where(col(AssessmentEndorsement.assignment_id).in_(assignment_ids))
        ).all()
    }  # fmt: skip
    return [
        ReviewRecord(
            round=slugs[assignment.round_id],
            reviewed_organisation=reviewed,
            assigned_at=assignment.created_at,
            confirmed_at=assignment.confirmed_at,
            leads_reviewers=assignment.is_lead,
            status=review.status.value if review else None,
            version=review.version if review else 0,
            created_at=review.created_at if review else None,
            updated_at=review.updated_at if review else None,
            submitted_at=review.submitted_at if review else None,
            answers=dict(review.answers) if review else {},
            versions=versions.get(review.id, []) if review else [],
            consensus_comments=comments.get(assignment.id, []),
            joint_assessment=assessments.get(assignment.id),
            endorsement=endorsements.get(assignment.id),
        )
        for assignment, review, reviewed in rows
    ]


def _replies(session: Session, enrolment_ids: Sequence[int | None], slugs: dict[int | None, str]) -> list[ReplyRecord]:
    rows = session.exec(
        select(Reply, Finding.key, Submission.reply_submitted_at)
        .outerjoin(Finding, col(Finding.id) == Reply.finding_id)
        .join(Submission, col(Submission.id) == Reply.submission_id)
        .where(col(Reply.author_enrolment_id).in_(enrolment_ids))
        .order_by(col(Reply.id))
    ).all()
    return [
        ReplyRecord(
            round=slugs[reply.round_id],
            about=key,
            text=reply.text,
            created_at=reply.created_at,
            updated_at=reply.updated_at,
            sent_at=sent_at,
        )
        for reply, key, sent_at in rows
    ]


def _events(session: Session, participant_id: int, address: str, slugs: dict[int | None, str]) -> list[EventRecord]:
    rows = session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.round_id).in_(list(slugs)), col(AuditEvent.action).in_(list(EVENTS_ABOUT_A_PERSON)))
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    ).all()
    return [
        EventRecord(
            round=slugs.get(event.round_id),
            at=event.at,
            action=event.action,
            by="round driver" if event.actor == ROUND_DRIVER else "coordinator",
            details=_details_shown(event, address),
        )
        for event in rows
        if _is_about(event, participant_id, address)
    ]


def _is_about(event: AuditEvent, participant_id: int, address: str) -> bool:
    details = event.details
    if event.action == "reviewer swapped":
        return address in (details.get("removed"), details.get("added"))
    return details.get("participant") == participant_id


def _details_shown(event: AuditEvent, address: str) -> dict[str, Any]:
    shown = {key: event.details[key] for key in EVENTS_ABOUT_A_PERSON[event.action] if key in event.details}
    if event.action == "reviewer swapped":
        shown["you_were"] = "removed" if event.details.get("removed") == address else "added"
    return shown


def _review_questions(
    session: Session, enrolment_ids: Sequence[int | None], slugs: dict[int | None, str]
) -> list[QuestionRecord]:
    """The questions the person asked through their review assignments, and those they answered."""
    party = (
        select(ReviewQuestion, ReviewAssignment.reviewer_enrolment_id, Organisation.name)
        .join(ReviewAssignment, col(ReviewAssignment.id) == ReviewQuestion.assignment_id)
        .join(Submission, col(Submission.id) == ReviewQuestion.submission_id)
        .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(or_(col(ReviewAssignment.reviewer_enrolment_id).in_(enrolment_ids),
                   col(ReviewQuestion.answered_by_enrolment_id).in_(enrolment_ids)))
        .order_by(col(ReviewQuestion.id))
    )  # fmt: skip
    records = []
    for question, asker, reviewed in session.exec(party).all():
        roles = ["asked"] if asker in enrolment_ids else []
        roles += ["answered"] if question.answered_by_enrolment_id in enrolment_ids else []
        records += [
            QuestionRecord(round=slugs[question.round_id], role=role, reviewed_organisation=reviewed,
                           about=question.item_id, question=question.text, asked_at=question.asked_at,
                           answer=question.answer, answered_at=question.answered_at)
            for role in roles
        ]  # fmt: skip
    return records


def facts(data: PersonalData) -> Iterable[tuple[str, str, str, Any, datetime | None]]:
    """The export as facts, one per value: (section, round, field, value, at). `field` is the value's path
    inside its record ("versions[2].answers.ratings.ampel"); `at` is the moment itself for a moment ("invited_at"),
    else when the innermost record holding the value happened (a message queued, a version submitted)."""
    dumped = data.model_dump(mode="python", exclude={"exported_at"})
    for section, content in dumped.items():
        for record in content if isinstance(content, list) else [content]:
            round_slug = record.get("round") or ""
            for field, value, at in _leaves(record, "", None):
                if field != "round":
                    yield section, round_slug, field, value, value if isinstance(value, datetime) else at


# The time a record happened at: the first of these it has.
_WHEN = ("at", "submitted_at", "queued_at", "created_at", "assigned_at", "enrolled_at")


def _leaves(value: Any, path: str, at: datetime | None) -> Iterable[tuple[str, Any, datetime | None]]:
    if isinstance(value, dict):
        at = next((value[key] for key in _WHEN if isinstance(value.get(key), datetime)), at)
        if not value:
            yield path, "", at
        for key, inner in value.items():
            yield from _leaves(inner, f"{path}.{key}" if path else str(key), at)
    elif isinstance(value, list) and any(isinstance(inner, dict | list) for inner in value):
        for number, inner in enumerate(value, start=1):
            yield from _leaves(inner, f"{path}[{number}]", at)
    else:
        yield path, value, at
