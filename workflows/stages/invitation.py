"""The invitation stage: every respondent gets a personal link and an invitation, in batches."""

from sqlmodel import Session, col, select

from notifications.addressing import round_context
from notifications.compose import compose_message
from notifications.message_kinds import Invitation
from notifications.outbox import enqueue_messages
from review_model import clock
from review_model.follow_up import follow_up_announcement
from review_model.questionnaire import Questionnaire
from review_model.round_lock import lock_round
from review_model.store import session_scope
from review_model.tables import Enrolment
from review_model.tokens import issue_links
from review_model.vocabulary import TokenPurpose
from review_model.withdrawal import taking_part
from workflows.stages.context import StageContext
from workflows.stages.people import respondents

BATCH_SIZE = 500


def uninvited(engine_session: Session, round_id: int) -> list[int]:
    """Enrolment ids of respondents who have no invitation yet (everyone at launch, latecomers later); nobody
    withdrawn."""
    return [
        enrolment_id
        for enrolment_id in engine_session.exec(
            select(col(Enrolment.id))
            .where(Enrolment.round_id == round_id, col(Enrolment.is_respondent), col(Enrolment.invited_at).is_(None))
            .where(taking_part())
            .order_by(col(Enrolment.id))
        )
        if enrolment_id is not None  # a stored row's key never is
    ]


def invite(context: StageContext, round_id: int, enrolment_ids: list[int]) -> int:
    """Issue links and queue invitations for these respondents, in one transaction; returns how many were queued.

    Safe to repeat: links are reused, the outbox ignores a message it already has, and people already
    invited are skipped.
    """
    now = clock.now()
    with session_scope(context.engine) as session:
        # Locked before reading who is uninvited: a second driver then finds them invited, and issues no links.
        round_ = lock_round(session, round_id)
        people = [
            p for p in respondents(session, round_id, enrolment_ids)
            if p.enrolment.invited_at is None and p.enrolment.withdrawn_at is None  # withdrawn since the batch was read
        ]  # fmt: skip
        if not people:
            return 0
        tokens = issue_links(
            session,
            context.secret,
            round_id=round_id,
            enrolment_ids=[p.enrolment_id for p in people],
            purpose=TokenPurpose.self_assessment,
            expires_at=context.link_expiry(round_, round_.submission_deadline),
        )
        questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
        item_count = sum(1 for _ in questionnaire.items())
        about = round_context(round_)
        follow_up = follow_up_announcement(session, round_, [p.enrolment_id for p in people])
        messages = [
            compose_message(
                Invitation(
                    context.link(TokenPurpose.self_assessment, tokens[p.enrolment_id]),
                    round_.submission_deadline,
                    questionnaire.title,
                    item_count,
                    *follow_up.for_enrolment(p.enrolment_id),
                ),
                p.recipient,
                about,
                context.sender,
                stage="invitation",
                now=now,
            )
            for p in people
        ]
        queued = enqueue_messages(session, messages, now)
        for p in people:
            p.enrolment.invited_at = now
            session.add(p.enrolment)
        return queued
