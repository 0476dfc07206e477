"""What happens to a staged round besides the work of its stages: someone is withdrawn, email is queued and
delivered, or refused by the server (failed, the address bounced)."""

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from notifications.compose import OutgoingMessage
from notifications.outbox import Failure, claim_batch, enqueue_messages, record_outcomes
from review_model import clock
from review_model.rounds import get_round
from review_model.tables import Enrolment
from review_model.withdrawal import plan_withdrawal, withdraw
from tests.support.staged_rounds import StagedRound


def participant_of(engine: Engine, staged: StagedRound, who: str) -> int:
    """The participant id of the person with this local part."""
    with Session(engine) as session:
        enrolment = session.get(Enrolment, staged[who].enrolment_id)
        assert enrolment is not None
        return enrolment.participant_id


def withdraw_person(engine: Engine, staged: StagedRound, who: str) -> None:
    """Withdraw the person from the round, as the coordinator's action does."""
    now = clock.now()
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        planned = plan_withdrawal(session, round_, participant_of(engine, staged, who), "leaves the network")
        withdraw(session, planned, "coordinator", "leaves the network", now)
        session.commit()


def message_to(staged: StagedRound, who: str, participant_id: int, kind: str, number: int) -> OutgoingMessage:
    """A message of `kind` to the person, as a stage would queue it."""
    return OutgoingMessage(
        idempotency_key=f"{staged.round_id}:{kind}:{who}:{number}",
        message_id=f"<{kind}.{who}.{number}.{staged.round_id}@spr.example.org>",
        round_id=staged.round_id,
        kind=kind,
        recipient_email=staged[who].email,
        recipient_participant_id=participant_id,
        subject=f"{kind} {number}",
        payload=b"Subject: test\r\n\r\nHallo\r\n",
    )


def deliver(engine: Engine, messages: list[OutgoingMessage], *, refused: set[str], at: datetime) -> None:
    """Queue the messages and deliver them: those to an address in `refused` are refused by the server
    (failed, and the address marked bounced), the others are sent."""
    with Session(engine) as session:
        enqueue_messages(session, messages, at)
        session.commit()
    claimed = claim_batch(engine, "test worker", 100, at)
    failures = [Failure(m.id, "550 5.1.1 Unknown user", recipient_refused=True)
                for m in claimed if m.recipient_email in refused]  # fmt: skip
    sent = [m.id for m in claimed if m.recipient_email not in refused]
    record_outcomes(engine, "test worker", sent, [], failures, at)
