"""Fixtures for email: a real SMTP server on loopback, and messages to put through it."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

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


@pytest.fixture
def mail_server() -> Iterator[DevMailServer]:
    with DevMailServer() as server:
        yield server


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


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory: pytest.TempPathFactory):
    """A self-signed certificate for 127.0.0.1: the server's TLS context and the CA file clients trust."""
    import datetime as dt
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context, str(cert_file)
