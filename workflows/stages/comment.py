"""The comment stage: each reviewed party gets its draft findings and may reply before the deadline."""

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, func, select

from notifications.addressing import round_context
from notifications.compose import OutgoingMessage, compose_message
from notifications.message_kinds import CommentInvitation, ReplyReminder
from notifications.outbox import enqueue_messages, enqueue_reminders
from review_model import clock
from review_model.audit_trail import record_event
from review_model.reminder_opt_out import receives
from review_model.reminders import Numbering, ReminderCount, days_left
from review_model.replies import reply_groups_per_submission
from review_model.round_lock import lock_round
from review_model.store import session_scope
from review_model.tables import Enrolment, Recommendation, Round
from review_model.tokens import issue_links
from review_model.vocabulary import RecommendationStatus, Stage, TokenPurpose
from workflows.stages.context import StageContext, enter_stage_and_tell, remind_on_schedule
from workflows.stages.people import Respondent, respondents
from workflows.stages.reminder_links import stop_links


def open_comment_stage(context: StageContext, round_id: int, actor: str, *, forced: bool = False) -> int:
    """Move to the comment stage and send each reviewed party its reply link; returns the messages queued.

    When drafting took longer than planned, the comment deadline moves out so that the parties still have
    `context.min_reply` for their reply.
    """

    def invite_replies(session: Session, context: StageContext, round_: Round, now: datetime) -> int:
        return _invite_replies(session, context, round_, actor, now)

    return enter_stage_and_tell(context, round_id, Stage.comment, actor, invite_replies, forced=forced,
                                recorded_as="invitations")  # fmt: skip


def _invite_replies(session: Session, context: StageContext, round_: Round, actor: str, now: datetime) -> int:
    """Give the parties time to reply, and queue each its reply link with its draft findings; returns how many."""
    assert round_.id is not None
    round_id = round_.id
    earliest = now + context.min_reply
    if round_.comment_deadline < earliest:
        planned, round_.comment_deadline = round_.comment_deadline, earliest
        record_event(session, round_id, actor, "comment deadline moved so the parties have time to reply",
                     planned=planned.isoformat(), moved_to=earliest.isoformat())  # fmt: skip
    parties = reviewed_parties(session, round_id)
    invitation = reply_invitations(session, round_)
    links = _reply_links(session, context, round_, parties)
    messages = [
        compose_message(
            invitation(party.submission_id, links[party.enrolment_id]),
            party.recipient, round_context(round_), context.sender, stage="comment", now=now,
        )
        for party in parties
    ]  # fmt: skip
    return enqueue_messages(session, messages, now)


def reply_invitations(session: Session, round_: Round) -> Callable[[int | None, str], CommentInvitation]:
    """The comment stage's invitation to reply, for a party's submission and reply link: what it counts (the
    groups of findings the party can reply to, the approved recommendations) is read once for every party."""
    approved = session.exec(
        select(func.count())
        .select_from(Recommendation)
        .where(Recommendation.round_id == round_.id, Recommendation.status == RecommendationStatus.approved)
    ).one()
    groups = reply_groups_per_submission(session, round_)

    def invitation(submission_id: int | None, link: str) -> CommentInvitation:
        return CommentInvitation(link, round_.comment_deadline, groups.get(submission_id, 0), approved)

    return invitation


def end_right_of_reply(context: StageContext, round_id: int, actor: str) -> None:
    """End the right of reply now (every party has replied): the comment deadline becomes now, so the round
    driver publishes on the planned publication date rather than at the original comment deadline."""
    now = clock.now()
    with session_scope(context.engine) as session:
        round_ = lock_round(session, round_id)  # not while the driver publishes
        if round_.stage is not Stage.comment or round_.comment_deadline <= now:
            return
        planned, round_.comment_deadline = round_.comment_deadline, now
        record_event(session, round_id, actor, "comment stage closed", planned=planned.isoformat(),
                     publication=round_.publication_at.isoformat() if round_.publication_at else None)  # fmt: skip


def send_due_reply_reminders(context: StageContext, round_id: int) -> int:
    """Remind the parties that have not sent a reply, on the round's reminder days before the comment deadline."""
    return remind_on_schedule(context, round_id, Stage.comment, lambda round_: round_.comment_deadline, remind_parties)


def remind_parties(
    session: Session,
    context: StageContext,
    round_: Round,
    number_of: Numbering,
    now: datetime,
) -> int:
    """Queue a reply reminder to each party without a reply that `number_of` gives a number and a sequence
    (it is given the party's recipient and the reply reminders they had)."""
    assert round_.id is not None
    waiting = [
        party for party in reviewed_parties(session, round_.id)
        if party.submission is not None and party.submission.reply_submitted_at is None
        and party.enrolment.bounced_at is None and receives(party.enrolment, ReplyReminder.kind)
    ]  # fmt: skip
    numbered = {}
    for party in waiting:
        chosen = number_of(party.recipient.email, party.enrolment.reply_reminders_sent)
        if chosen is not None:
            numbered[party.enrolment_id] = (party, chosen)
    links = _reply_links(session, context, round_, [party for party, _ in numbered.values()])
    stops = stop_links(session, context, round_, list(numbered))
    reminders: list[tuple[OutgoingMessage, Enrolment, ReminderCount, int]] = []
    for party, (number, sequence) in numbered.values():
        content = ReplyReminder(links[party.enrolment_id], round_.comment_deadline, number,
                                max(round_.max_reminders, number), days_left(round_.comment_deadline, now),
                                stops[party.enrolment_id])  # fmt: skip
        message = compose_message(content, party.recipient, round_context(round_), context.sender, stage="comment",
                                  now=now, sequence=sequence)  # fmt: skip
        reminders.append((message, party.enrolment, "reply_reminders_sent", number))
    return enqueue_reminders(session, reminders, now)


def reviewed_parties(session: Session, round_id: int) -> list[Respondent]:
    """The respondents whose self-assessment was submitted and consolidated: the parties with a right of reply.
    A party withdrawn from the round has none: it is not asked for a reply, nor reminded, nor waited for."""
    return [person for person in respondents(session, round_id)
            if person.submitted and person.enrolment.withdrawn_at is None]  # fmt: skip


def _reply_links(session: Session, context: StageContext, round_: Round, parties: list[Respondent]) -> dict[int, str]:
    assert round_.id is not None
    tokens = issue_links(
        session, context.secret, round_id=round_.id, enrolment_ids=[p.enrolment_id for p in parties],
        purpose=TokenPurpose.reply, expires_at=context.link_expiry(round_, round_.comment_deadline),
    )  # fmt: skip
    return {enrolment_id: context.link(TokenPurpose.reply, token) for enrolment_id, token in tokens.items()}
