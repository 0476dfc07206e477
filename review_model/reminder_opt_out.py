"""Stopping reminders: which messages someone who stopped their reminders for a round still receives, and the
change itself, stopped or started again by the person through the link every reminder carries.

A person stops the reminders of one round (`Enrolment.opted_out_at`), nothing else: what they need to do their
part, or what concerns their rights, still reaches them — the invitation and a link sent again, a moved
deadline, the review request, every receipt, the invitation to reply to the draft findings, the notice that a
stage closed, the published report, and what the coordinator writes to them. Only the reminders stop, the
scheduled ones and the coordinator's "remind now" alike. `sends_to_opted_out` is the one rule; every place that
picks recipients asks it (in Python, or as the SQL condition `reached_by`).

Stopping is the person's own step, taken with their link: the audit trail records it under `person_actor`, a
number that names them to the coordinator and to nobody else.
"""

from datetime import datetime

from sqlalchemy import ColumnElement, false, func, not_
from sqlmodel import Session, col, select

from config.translations import N_
from review_model.audit_trail import record_event
from review_model.refusals import Reason
from review_model.tables import Enrolment, Round
from review_model.withdrawal import taking_part

# The kinds of message that are reminders: each carries the link that stops them, and none goes to someone
# who stopped them. The names are the message kinds' (notifications.message_kinds), which a test keeps in step.
REMINDER_KINDS: frozenset[str] = frozenset(
    {"reminder", "review_reminder", "question_reminder", "consensus_reminder", "reply_reminder"}
)

# The audit trail's actions for the person's two steps.
REMINDERS_STOPPED = "reminders stopped"
REMINDERS_RESTARTED = "reminders restarted"


def sends_to_opted_out(kind: str) -> bool:
    """Whether a message of `kind` still goes to someone who stopped their reminders: every kind but a reminder."""
    return kind not in REMINDER_KINDS


def receives(enrolment: Enrolment, kind: str) -> bool:
    """Whether a message of `kind` goes to the person of `enrolment` as far as stopped reminders go (bounces and
    withdrawal are the caller's to check)."""
    return enrolment.opted_out_at is None or sends_to_opted_out(kind)


def reached_by(kind: str) -> ColumnElement[bool]:
    """`receives` as a condition on `Enrolment`."""
    return not_(opted_out_of(kind))


def opted_out_of(kind: str) -> ColumnElement[bool]:
    """The condition on `Enrolment` of someone a message of `kind` does not reach because they stopped reminders."""
    return false() if sends_to_opted_out(kind) else col(Enrolment.opted_out_at).is_not(None)


def not_reminded(enrolment: Enrolment | None, who: str, slug: str) -> list[str]:
    """Why a reminder to this one person is not sent although the stage may wait for them: they stopped the
    round's reminders (`who` names them); empty when they did not."""
    if enrolment is None or enrolment.opted_out_at is None:
        return []
    return [Reason(N_("{who} stopped the reminders of {slug} on {when} UTC: no reminder goes to them"), who=who,
                   slug=slug, when=f"{enrolment.opted_out_at:%Y-%m-%d %H:%M}")]  # fmt: skip


def stopped_in_round(session: Session, round_id: int) -> int:
    """How many people taking part in the round stopped its reminders."""
    statement = select(func.count()).select_from(Enrolment)
    return int(session.exec(statement.where(Enrolment.round_id == round_id, col(Enrolment.opted_out_at).is_not(None),
                                            taking_part())).one())  # fmt: skip


def person_actor(participant_id: int | None) -> str:
    """The audit trail's actor for a step the person took themselves, with their personal link."""
    return f"participant {participant_id} (personal link)"


def stop_reminders(session: Session, enrolment: Enrolment, now: datetime, *, one_click: bool = False) -> bool:
    """Stop the person's reminders of the enrolment's round, in the caller's transaction; False (and nothing
    recorded) when they were stopped already. `one_click`: the mail client's unsubscribe (RFC 8058) asked."""
    if enrolment.opted_out_at is not None:
        return False
    enrolment.opted_out_at = now
    session.add(enrolment)
    record_event(session, enrolment.round_id, person_actor(enrolment.participant_id), REMINDERS_STOPPED,
                 participant=enrolment.participant_id, one_click=one_click)  # fmt: skip
    return True


def restart_reminders(session: Session, enrolment: Enrolment) -> bool:
    """Start the person's reminders again, in the caller's transaction; False (and nothing recorded) when they
    were not stopped. The round's policy takes over again: a reminder time that passed meanwhile brings one
    reminder at the next run (as after any pause of the driver, never a burst)."""
    if enrolment.opted_out_at is None:
        return False
    enrolment.opted_out_at = None
    session.add(enrolment)
    record_event(session, enrolment.round_id, person_actor(enrolment.participant_id), REMINDERS_RESTARTED,
                 participant=enrolment.participant_id)  # fmt: skip
    return True


def reminders_end(round_: Round) -> datetime:
    """Until when the round may remind anyone, and so until when the link that stops reminders must work (before
    the stage grace links get): the reply deadline, the last a reminder counts towards, or the planned
    publication if that is later. A link issued with an earlier reminder moves out with each later one."""
    return max(round_.comment_deadline, round_.publication_at or round_.comment_deadline)
