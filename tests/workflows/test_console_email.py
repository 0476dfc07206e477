"""Failed messages sent again and a message to a group, from the console's email pages, run as the operations
and flow runs of `spr outbox retry` and `spr round message`, followed by the round's next advance, which sends
them: the people receive them, the audit trail names the staff member, Prefect shows the runs, and a refusal
from the operation comes back with every reason and the form as typed."""

import re

from prefect.client.orchestration import get_client
from sqlmodel import Session, col, select

from review_model.tables import AuditEvent, OutboxMessage
from review_model.vocabulary import OutboxState
from tests.support.console import flow_console
from tests.support.round_world import COORDINATOR, RoundWorld
from tests.support.staff import OBSERVER, console_post, form_csrf, log_in

ONE_DATABASE = "the pages and actions of the console; their queries and operations are tested on both databases"
ROUND = "/console/rounds/fruehjahr-2027"
OUTBOX = f"{ROUND}/email/outbox"
MESSAGE = f"{ROUND}/email/message"
ACTOR = f"{COORDINATOR} (console)"
BEN = "ben@nordhaven.example"
TYPED = {
    "kinds": "kommune",
    "subject_de": "Hinweis zur Frist",
    "body_de": "die Frist endet bald.",
    "subject_en": "A note on the deadline",
    "body_en": "the deadline is near.",
}


def outbox(world: RoundWorld) -> list[OutboxMessage]:
    with Session(world.engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())


def audit(world: RoundWorld, action: str) -> list[AuditEvent]:
    with Session(world.engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def flow_run_names() -> list[str]:
    with get_client(sync_client=True) as prefect:
        return [run.name for run in prefect.read_flow_runs()]


def test_a_failed_invitation_is_sent_again_from_the_outbox(world: RoundWorld):
    world.mail.catcher.fail(BEN, 550, "5.1.1 No such mailbox here", times=1)  # refused once, then taken
    with flow_console(world, logged_in_as=COORDINATOR) as client:
        console_post(client, f"{ROUND}/launch")
        failed = [m for m in outbox(world) if m.state is OutboxState.failed]
        assert [m.recipient_email for m in failed] == [BEN]
        page = client.get(OUTBOX).text
        assert "No such mailbox here" in page and f"retry?message={failed[0].id}" in page

        missing = console_post(client, f"{OUTBOX}/retry", page_path=OUTBOX, message="999999")
        assert missing.status_code == 303 and "no failed message with id 999999" in client.get(OUTBOX).text

        retried = console_post(client, f"{OUTBOX}/retry", page_path=f"{OUTBOX}/retry?message={failed[0].id}",
                               message=str(failed[0].id))  # fmt: skip
        assert retried.status_code == 303 and retried.headers["location"] == OUTBOX
        after = client.get(OUTBOX).text
    assert "1 failed message queued again." in after and "Round advanced here" in after
    assert "No message of this round has failed." in after
    assert {m.state for m in outbox(world)} == {OutboxState.sent}
    assert sum(BEN in m.recipients for m in world.received("Einladung") + world.received("Invitation")) == 1
    assert [event.actor for event in audit(world, "failed messages requeued")] == [ACTOR]
    assert any(name.startswith("Failed messages · 1 queued again (by ") for name in flow_run_names())


def test_a_message_to_a_group_is_previewed_sent_and_not_queued_twice(world: RoundWorld):
    with flow_console(world, logged_in_as=COORDINATOR) as client:
        console_post(client, f"{ROUND}/launch")
        before = len(world.received())
        csrf = form_csrf(client.get(MESSAGE).text)
        preview = client.post(f"{MESSAGE}/preview", data={"csrf": csrf, **TYPED}).text
        assert "To: people from municipalities" in preview and "<strong>3 recipients</strong>" in preview
        assert len(outbox(world)) == 4  # the invitations: a preview queues nothing

        sent = client.post(f"{MESSAGE}/send", data={"csrf": csrf, **TYPED}, follow_redirects=False)
        assert sent.status_code == 303 and sent.headers["location"] == OUTBOX
        page = client.get(OUTBOX).text
        assert "Message queued for 3 people." in page and "Round advanced here" in page

        again = client.post(f"{MESSAGE}/send", data={"csrf": csrf, **TYPED}, follow_redirects=False)
        assert again.status_code == 303
        repeated = client.get(OUTBOX).text
    assert "Message queued for 0 people. 3 had it from an earlier send of the same message" in repeated
    messages = world.received()[before:]
    by_recipient = {m.recipients[0]: m.summary() for m in messages}
    assert sorted(by_recipient) == ["anna@auenburg.example", BEN, "cara@elbstein.example"]
    assert "A note on the deadline" in by_recipient[BEN]
    assert "Hinweis zur Frist" in by_recipient["anna@auenburg.example"]
    assert [event.actor for event in audit(world, "group message queued")] == [ACTOR]
    assert any(re.match(r"Round fruehjahr-2027 · message to 3 people, 3 queued \(by ", n) for n in flow_run_names())


def test_a_refusal_from_the_operation_keeps_the_form_as_typed_in_the_staff_members_language(world: RoundWorld):
    # Not launched: the operation itself refuses (the send was not previewed first).
    with flow_console(world, language="de", logged_in_as=COORDINATOR) as client:
        csrf = form_csrf(client.get(MESSAGE).text)
        refused = client.post(f"{MESSAGE}/send", data={"csrf": csrf, **TYPED})
        log_in(client, OBSERVER)
        csrf = form_csrf(client.get(MESSAGE).text)
        observed = client.post(f"{MESSAGE}/send", data={"csrf": csrf, **TYPED})
        retry = client.post(f"{OUTBOX}/retry", data={"csrf": csrf})
    assert refused.status_code == 422
    assert "Nichts wurde gesendet:" in refused.text and "Runde fruehjahr-2027 ist in der Phase" in refused.text
    assert 'value="Hinweis zur Frist"' in refused.text and ">the deadline is near.</textarea>" in refused.text
    assert observed.status_code == 403 and retry.status_code == 403
    assert outbox(world) == []
    assert audit(world, "group message queued") == []
