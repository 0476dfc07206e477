"""What publication reaches and what it waits for: the people the published report's link goes to, and where
each reviewed party's reply stands.

The publication stage sends the link to exactly the people `report_reader` selects, and the console counts
the same people before a coordinator publishes, so what the confirming page promises is what is sent.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, Integer, and_, case, cast, exists, func
from sqlmodel import Session, col

from review_model.reminder_opt_out import reached_by
from review_model.tables import Enrolment, Organisation, Participant, Reply, Submission
from review_model.wide_select import select_columns
from review_model.withdrawal import taking_part

REPORT_PUBLISHED = "report_published"  # the kind of message that brings the report's link


def report_reader(round_id: int) -> ColumnElement[bool]:
    """The condition on `Enrolment` of someone the published report's link goes to: everyone enrolled in the
    round (respondents, reviewers, decision-makers) whose address works and who was not withdrawn. Someone who
    stopped their reminders gets it too: the report concerns them, and it is no reminder."""
    return and_(
        col(Enrolment.round_id) == round_id,
        col(Enrolment.bounced_at).is_(None),
        reached_by(REPORT_PUBLISHED),
        taking_part(),
    )


@dataclass(frozen=True)
class ReportReaders:
    """Who the report's link goes to. A person with several roles is one reader and counts under each role."""

    people: int
    respondents: int
    reviewers: int
    decision_makers: int
    # Enrolled and taking part, but not reached: their address bounced.
    unreachable: int


def report_readers(session: Session, round_id: int) -> ReportReaders:
    """How many people the published report's link goes to, by role, in one query."""

    def among_readers(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(cast(case((and_(reader, condition), 1), else_=0), Integer)), 0)

    reader = report_reader(round_id)
    row = session.exec(
        select_columns(
            among_readers(col(Enrolment.id).is_not(None)),
            among_readers(col(Enrolment.is_respondent).is_(True)),
            among_readers(col(Enrolment.is_reviewer).is_(True)),
            among_readers(col(Enrolment.is_decision_maker).is_(True)),
            func.coalesce(func.sum(cast(case((reader, 0), else_=1), Integer)), 0),
        ).where(Enrolment.round_id == round_id, taking_part())
    ).one()
    return ReportReaders(*(int(value) for value in row))


class ReplyState(StrEnum):
    """Where a reviewed party's reply stands."""

    sent = "sent"  # sent, with something to say
    nothing_to_add = "nothing_to_add"  # sent empty: the party said it has nothing to add
    none = "none"  # not sent (a saved draft is not a reply)


@dataclass(frozen=True)
class PartyReply:
    """One reviewed party and its reply."""

    submission_id: int
    organisation: str
    person: str
    state: ReplyState
    sent_at: datetime | None
    reminders: int  # reply reminders it had
    withdrawn: bool  # withdrawn from the round: not waited for; a reply it sent stays


def party_replies(session: Session, round_id: int) -> list[PartyReply]:
    """Every reviewed party of the round (a submitted self-assessment) and where its reply stands, by
    organisation, in one query. A withdrawn party is listed only when it sent a reply, which the report keeps."""
    has_text = exists().where(col(Reply.submission_id) == Submission.id)
    rows = session.exec(
        select_columns(
            Submission.id,
            Organisation.name,
            Participant.name,
            Submission.reply_submitted_at,
            has_text,
            Enrolment.reply_reminders_sent,
            Enrolment.withdrawn_at,
        )
        .select_from(Submission)
        .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(Submission.round_id == round_id, Submission.is_submitted)
        .order_by(col(Organisation.name), col(Participant.name), col(Submission.id))
    ).all()
    replies = []
    for submission_id, organisation, person, sent_at, with_text, reminders, withdrawn_at in rows:
        state = ReplyState.none if sent_at is None else ReplyState.sent if with_text else ReplyState.nothing_to_add
        if withdrawn_at is not None and state is ReplyState.none:
            continue
        replies.append(
            PartyReply(submission_id, organisation, person, state, sent_at, int(reminders), withdrawn_at is not None)
        )
    return replies
