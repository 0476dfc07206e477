"""International addresses: domains always in IDNA form, non-ASCII local parts with SMTPUTF8 where offered,
and a message that cannot be built or sent fails alone, with its reason."""

import email
import email.policy

from sqlmodel import Session, select

from notifications.delivery import run_delivery
from notifications.dev_mail_server import DevMailServer
from notifications.outbox import enqueue_messages, failed_messages, requeue_failed
from review_model import clock
from review_model.tables import OutboxMessage
from review_model.vocabulary import OutboxState
from tests.support.outgoing_mail import (
    ENVELOPE_FROM,
    fast_options,
    invitation_to,
    smtp_for,
)

UMLAUT_LOCAL = "müller@stadt.example"
UMLAUT_DOMAIN = "a@bücher.example"
PLAIN = "plain@stadt.example"


def deliver(engine, server: DevMailServer, addresses: list[str]):
    with Session(engine) as session:
        enqueue_messages(session, [invitation_to(address) for address in addresses], clock.now())
        session.commit()
    report = run_delivery(engine, smtp_for(server), ENVELOPE_FROM, fast_options())
    return report, {message.recipients[0]: message for message in server.catcher.received()}


def test_idna_domains_and_utf8_local_parts_arrive_and_parse_back(engine, mail_server):
    report, received = deliver(engine, mail_server, [UMLAUT_LOCAL, UMLAUT_DOMAIN, PLAIN])

    assert (report.sent, report.failed) == (3, 0)
    assert set(received) == {UMLAUT_LOCAL, "a@xn--bcher-kva.example", PLAIN}
    # An internationalised domain alone needs nothing special: the message stays ASCII.
    idn = received["a@xn--bcher-kva.example"]
    assert idn.data.isascii()
    parsed = email.message_from_bytes(idn.data, policy=email.policy.default)
    assert parsed["To"].addresses[0].addr_spec == "a@xn--bcher-kva.example"
    # A non-ASCII local part travels with SMTPUTF8, its header in UTF-8 (RFC 6532).
    utf8 = email.message_from_string(received[UMLAUT_LOCAL].data.decode("utf-8"), policy=email.policy.SMTPUTF8)
    (to,) = utf8["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Jörg Müller", UMLAUT_LOCAL)
    assert "Guten Tag" in utf8.get_body(("plain",)).get_content()
    assert utf8.get_body(("html",)) is not None


def test_without_smtputf8_only_the_non_ascii_local_part_fails_and_says_why(engine):
    with DevMailServer(smtputf8=False) as server:
        report, received = deliver(engine, server, [UMLAUT_LOCAL, UMLAUT_DOMAIN, PLAIN])

    assert (report.sent, report.failed) == (2, 1)
    assert set(received) == {"a@xn--bcher-kva.example", PLAIN}
    with Session(engine) as session:
        (failed,) = failed_messages(session)
    assert failed.recipient_email == UMLAUT_LOCAL
    assert failed.last_error == f"the mail server does not accept non-ASCII addresses (no SMTPUTF8): {UMLAUT_LOCAL}"


def test_a_message_that_cannot_be_built_is_kept_as_failed_and_the_others_go_out(engine, mail_server):
    unbuildable = invitation_to("schnee@☃.example")
    assert unbuildable.payload == b"" and unbuildable.error is not None
    assert unbuildable.error.startswith("the message could not be built: the domain of schnee@☃.example")

    with Session(engine) as session:
        enqueue_messages(session, [unbuildable, invitation_to(PLAIN)], clock.now())
        session.commit()
    report = run_delivery(engine, smtp_for(mail_server), ENVELOPE_FROM, fast_options())

    assert (report.sent, report.failed) == (1, 0)
    assert [message.recipients for message in mail_server.catcher.received()] == [(PLAIN,)]
    with Session(engine) as session:
        rows = {row.recipient_email: row for row in session.exec(select(OutboxMessage)).all()}
    assert rows[PLAIN].state is OutboxState.sent
    assert rows["schnee@☃.example"].state is OutboxState.failed
    assert rows["schnee@☃.example"].last_error == unbuildable.error
    with Session(engine) as session:  # nothing to send again: it stays failed, with its reason
        assert requeue_failed(session, clock.now()) == []
