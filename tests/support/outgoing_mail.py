"""Email to put through the outbox and an SMTP server: a round's context, a sender, invitations, and delivery
options that retry within a fraction of a second."""

from datetime import UTC, datetime
from typing import Any

from notifications.compose import OutgoingMessage, Recipient, RoundContext, Sender, compose_message
from notifications.delivery import DeliveryOptions, SmtpServer
from notifications.dev_mail_server import DevMailServer
from notifications.message_kinds import Invitation
from review_model.questionnaire import Text

NOW = datetime(2027, 2, 20, 9, 0, tzinfo=UTC)
DEADLINE = datetime(2027, 3, 15, 17, 0, tzinfo=UTC)
ENVELOPE_FROM = "peer-review@spr.example.org"

ROUND = RoundContext(
    round_id=None,
    slug="fruehjahr-2027",
    title_de="Frühjahrsrunde 2027",
    title_en="Spring round 2027",
    time_zone="Europe/Berlin",
    coordinator_name="Geschäftsstelle Peer Review",
    coordinator_email="geschaeftsstelle@peer-review.example",
)
SENDER = Sender(address=ENVELOPE_FROM, name="Stakeholder Peer Review")


def smtp_for(server: DevMailServer) -> SmtpServer:
    return SmtpServer(host=server.host, port=server.port, timeout=5.0)


def fast_options(**overrides: Any) -> DeliveryOptions:
    """Delivery that retries within a fraction of a second, for tests."""
    values: dict[str, Any] = {"retry_seconds": 0.05, "retry_max_seconds": 0.2, "batch_size": 100}
    values.update(overrides)
    return DeliveryOptions(**values)


def invitation_for(number: int, language: str = "de", participant_id: int | None = None) -> OutgoingMessage:
    recipient = Recipient(
        email=f"person{number}@stadt.example",
        name=f"Person {number}",
        language=language,
        participant_id=participant_id,
        organisation="Stadt Auenburg",
    )
    content = Invitation(
        link=f"http://127.0.0.1:8000/f/token{number}",
        deadline=DEADLINE,
        questionnaire_title=Text(de="Selbsteinschätzung", en="Self-assessment"),
        item_count=27,
    )
    return compose_message(content, recipient, ROUND, SENDER, stage="invitation", now=NOW)


def invitation_to(address: str, name: str = "Jörg Müller") -> OutgoingMessage:
    """An invitation to this address, in German."""
    content = Invitation("http://127.0.0.1:8000/f/token", DEADLINE, Text(de="Selbsteinschätzung", en="Self"), 27)
    return compose_message(content, Recipient(address, name, "de"), ROUND, SENDER, stage="invitation", now=NOW)
