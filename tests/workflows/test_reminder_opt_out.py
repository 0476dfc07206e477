"""Stopping reminders with the link a reminder carries, through the portal, while the round driver runs on its
days (time moved by freezegun): the reminder names the link in its text, its HTML and its List-Unsubscribe
headers; opening the link changes nothing; stopping spares the person the next reminders and nobody else;
starting again brings them back; a mail client's one-click unsubscribe stops them too."""

import email
import email.policy
import re
from datetime import timedelta

from freezegun import freeze_time
from sqlmodel import Session, col, select

from review_model import clock
from review_model.early_close import left_out_by_closing
from review_model.reminder_opt_out import REMINDERS_RESTARTED, REMINDERS_STOPPED, stop_reminders
from review_model.reminders import on_demand_numbering
from review_model.store import session_scope
from review_model.tables import AccessToken, AuditEvent, Enrolment, OutboxMessage, Participant, Round
from review_model.vocabulary import Stage
from tests.support.answers import csrf_of
from tests.support.messages import kinds_by_recipient, link_in, text_of
from tests.support.round_world import RoundWorld
from tests.support.staged_rounds import bring_round_to
from workflows.round_driver import advance_round
from workflows.stages.comment import remind_parties
from workflows.stages.launch import open_invitation_stage
from workflows.stages.review import remind_reviewers
from workflows.stages.submission import extend_submission_deadline, remind_now

STOP_LINK = re.compile(r"http://testserver(/reminders/[A-Za-z0-9_-]{43})")


def store_state(world: RoundWorld) -> tuple:
    """Everything opening the page could change: the enrolments, the audit trail and the links."""
    with Session(world.engine) as session:
        enrolments = [e.model_dump() for e in session.exec(select(Enrolment).order_by(col(Enrolment.id))).all()]
        events = [e.model_dump() for e in session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()]
        tokens = [t.model_dump() for t in session.exec(select(AccessToken).order_by(col(AccessToken.id))).all()]
    return enrolments, events, tokens


def stop_link_of(message) -> str:
    """The path of the stop link in a reminder, checked to be the same in the text, the HTML and the headers."""
    parsed = email.message_from_bytes(message.data, policy=email.policy.default)
    text = STOP_LINK.findall(text_of(message))
    html = STOP_LINK.findall(parsed.get_body(("html",)).get_content())
    header = STOP_LINK.fullmatch(parsed["List-Unsubscribe"].strip("<>"))
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert header is not None and text == html == [header.group(1)]
    return header.group(1)


def opted_out_at(world: RoundWorld, local: str):
    with Session(world.engine) as session:
        return session.exec(
            select(Enrolment.opted_out_at).join(Participant).where(col(Participant.email).startswith(f"{local}@"))
        ).one()


def reminded(world: RoundWorld, since: list) -> set[str]:
    """The people who got a reminder among the messages received after `since` (the messages received then)."""
    with Session(world.engine) as session:
        reminders = set(session.exec(select(OutboxMessage.message_id).where(OutboxMessage.kind == "reminder")).all())
    return {m.recipients[0].split("@")[0] for m in world.received()[len(since) :] if m.message_id in reminders}


def test_a_person_stops_their_reminders_from_a_reminder_and_starts_them_again(round_world):
    world = round_world
    with Session(world.engine) as session:
        deadline = session.get(Round, world.round_id).submission_deadline
    start = deadline - timedelta(days=13)
    with freeze_time(start, real_asyncio=True) as frozen:
        open_invitation_stage(world.context, world.round_id, "test")
        advance_round(world.context, world.round_id)
        invitations = {m.recipients[0].split("@")[0]: m for m in world.received()}
        assert not any(STOP_LINK.search(text_of(m)) for m in invitations.values())  # only reminders carry it
        assert all("List-Unsubscribe" not in m.headers for m in invitations.values())

        frozen.move_to(deadline - timedelta(days=7) + timedelta(minutes=1))
        before = world.received()
        assert advance_round(world.context, world.round_id).reminders == 4
        first = {m.recipients[0].split("@")[0]: m for m in world.received()[len(before) :]}
        assert set(first) == {"anna", "ben", "cara", "dora"}
        stop = stop_link_of(first["anna"])
        assert stop != stop_link_of(first["ben"])  # one link per person
        assert link_in(first["anna"]) == link_in(invitations["anna"])  # the form's link is another one

        state = store_state(world)
        page = world.portal.get(stop)
        assert page.status_code == 200 and 'lang="de"' in page.text
        assert "Erinnerungen für diese Runde abbestellen" in page.text
        assert world.portal.get(stop + "?lang=en").status_code == 200
        assert store_state(world) == state  # opening the link, as a mail scanner does, changes nothing

        stopped = world.portal.post(stop, data={"csrf": csrf_of(page.text), "action": "stop", "lang": "de"},
                                    follow_redirects=False)  # fmt: skip
        assert stopped.status_code == 303 and stopped.headers["location"] == "?lang=de&done=stopped"
        confirmed = world.portal.get(stop + "?lang=de&done=stopped").text
        assert "Erledigt: Sie erhalten in dieser Runde keine Erinnerungen mehr." in confirmed
        assert "Erinnerungen wieder erhalten" in confirmed  # the way back, on the same page
        assert opted_out_at(world, "anna") is not None
        with Session(world.engine) as session:
            event = session.exec(select(AuditEvent).where(AuditEvent.action == REMINDERS_STOPPED)).one()
            anna = session.exec(select(Participant.id).where(Participant.email == "anna@auenburg.example")).one()
        assert event.actor == f"participant {anna} (personal link)" and event.details["participant"] == anna

        frozen.move_to(deadline - timedelta(days=3) + timedelta(minutes=1))
        before = world.received()
        assert advance_round(world.context, world.round_id).reminders == 3
        assert reminded(world, before) == {"ben", "cara", "dora"}

        page = world.portal.get(stop).text
        again = world.portal.post(stop, data={"csrf": csrf_of(page), "action": "start", "lang": "de"},
                                  follow_redirects=False)  # fmt: skip
        assert again.status_code == 303 and again.headers["location"] == "?lang=de&done=started"
        assert (
            "Erledigt: Sie erhalten in dieser Runde wieder Erinnerungen."
            in world.portal.get(stop + "?lang=de&done=started").text
        )
        assert opted_out_at(world, "anna") is None
        with Session(world.engine) as session:
            assert session.exec(select(AuditEvent.actor).where(AuditEvent.action == REMINDERS_RESTARTED)).one() == (
                event.actor
            )

        frozen.move_to(deadline - timedelta(days=1) + timedelta(minutes=1))
        before = world.received()
        assert advance_round(world.context, world.round_id).reminders == 4
        assert reminded(world, before) == {"anna", "ben", "cara", "dora"}
        latest = next(m for m in world.received()[len(before) :] if m.recipients[0].startswith("anna@"))
        assert stop_link_of(latest) == stop  # the same link again, not a new one

    counts = kinds_by_recipient(world)
    assert counts[("anna", "reminder")] == 2 and counts[("ben", "reminder")] == 3


def test_a_mail_clients_one_click_stops_the_reminders_without_a_page_or_a_token_of_the_form(round_world):
    world = round_world
    with Session(world.engine) as session:
        deadline = session.get(Round, world.round_id).submission_deadline
    with freeze_time(deadline - timedelta(days=13), real_asyncio=True) as frozen:
        open_invitation_stage(world.context, world.round_id, "test")
        advance_round(world.context, world.round_id)
        frozen.move_to(deadline - timedelta(days=7) + timedelta(minutes=1))
        before = world.received()
        advance_round(world.context, world.round_id)
        links = {m.recipients[0].split("@")[0]: stop_link_of(m) for m in world.received()[len(before) :]}

        # As a web mail page of another site posts it (RFC 8058 §3.2): that field alone, no session, no CSRF.
        foreign = {"origin": "https://mail.example", "sec-fetch-site": "cross-site"}
        clicked = world.portal.post(links["ben"], data={"List-Unsubscribe": "One-Click"}, headers=foreign)
        assert clicked.status_code == 200 and "you will get no more reminders in this round" in clicked.text
        # multipart/form-data, as RFC 8058 recommends senders to post it
        boundary = "spr-test-boundary"
        body = (f'--{boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n'
                f"--{boundary}--\r\n").encode()  # fmt: skip
        multipart = world.portal.post(
            links["cara"], content=body, headers={"content-type": f"multipart/form-data; boundary={boundary}"}
        )
        assert multipart.status_code == 200
        assert opted_out_at(world, "ben") is not None and opted_out_at(world, "cara") is not None
        again = world.portal.post(links["ben"], data={"List-Unsubscribe": "One-Click"})
        assert again.status_code == 200
        with Session(world.engine) as session:
            events = session.exec(select(AuditEvent).where(AuditEvent.action == REMINDERS_STOPPED)).all()
        assert len(events) == 2 and all(event.details["one_click"] is True for event in events)  # once each

        # Anything more than that one field is no one-click: it needs the page's token, and from this site.
        state = store_state(world)
        more = world.portal.post(links["dora"], data={"List-Unsubscribe": "One-Click", "action": "stop"})
        assert more.status_code == 403
        page = world.portal.get(links["dora"]).text
        crossed = world.portal.post(links["dora"], data={"csrf": csrf_of(page), "action": "stop"}, headers=foreign)
        assert crossed.status_code == 403
        restart = world.portal.post(links["ben"], data={"List-Unsubscribe": "One-Click", "action": "start"})
        assert restart.status_code == 403
        assert store_state(world) == state

        frozen.move_to(deadline - timedelta(days=3) + timedelta(minutes=1))
        before = world.received()
        advance_round(world.context, world.round_id)
        assert reminded(world, before) == {"anna", "dora"}


def stop_for(world: RoundWorld, local: str) -> None:
    """The person stops their reminders, as the page's button does."""
    with session_scope(world.engine) as session:
        enrolment = session.exec(
            select(Enrolment).join(Participant).where(col(Participant.email).startswith(f"{local}@"))
        ).one()
        assert stop_reminders(session, enrolment, clock.now())


def queued(world: RoundWorld, kind: str) -> dict[str, OutboxMessage]:
    with Session(world.engine) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()
    return {row.recipient_email.split("@")[0]: row for row in rows}


def headers_of(row: OutboxMessage):
    return email.message_from_bytes(row.payload, policy=email.policy.default)


def test_review_and_reply_reminders_carry_the_link_and_spare_who_stopped_them(round_world):
    world = round_world
    bring_round_to(world.engine, world.round_id, Stage.review, reviewed=[])
    stop_for(world, "cara")
    now = clock.now()
    with session_scope(world.engine) as session:
        round_ = session.get(Round, world.round_id)
        assert remind_reviewers(session, world.context, round_, on_demand_numbering(None, now), now) == 3
    reminders = queued(world, "review_reminder")
    assert set(reminders) == {"anna", "ben", "dora"}  # Cara stopped hers (review reminders went to her before)
    for row in reminders.values():
        parsed = headers_of(row)
        assert STOP_LINK.fullmatch(parsed["List-Unsubscribe"].strip("<>"))
        assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    bring_round_to(world.engine, world.round_id, Stage.comment, replies={"anna": ""})
    stop_for(world, "ben")
    now = clock.now()
    with session_scope(world.engine) as session:
        round_ = session.get(Round, world.round_id)
        remind_parties(session, world.context, round_, on_demand_numbering(None, now), now)
    replies = queued(world, "reply_reminder")
    assert set(replies) == {"dora"}  # Anna replied, Ben stopped his reminders; Cara's reminders stopped too
    stop = STOP_LINK.fullmatch(headers_of(replies["dora"])["List-Unsubscribe"].strip("<>")).group(1)
    assert world.portal.get(stop).status_code == 200


def test_who_stopped_their_reminders_still_gets_a_moved_deadline_and_is_named_when_closing_early(round_world):
    world = round_world
    open_invitation_stage(world.context, world.round_id, "test")
    advance_round(world.context, world.round_id)
    stop_for(world, "anna")
    with Session(world.engine) as session:
        round_ = session.get(Round, world.round_id)
        until = round_.submission_deadline + timedelta(days=3)
        assert {left.name for left in left_out_by_closing(session, round_)} == {
            "Anna Keller", "Ben Hansen", "Cara Wolf", "Dora Roth"
        }  # fmt: skip
    assert extend_submission_deadline(world.context, world.round_id, until, "test").told == 4
    assert set(queued(world, "deadline_extended")) == {"anna", "ben", "cara", "dora"}
    assert "List-Unsubscribe" not in headers_of(queued(world, "deadline_extended")["anna"])
    assert remind_now(world.context, world.round_id) == 3
    assert set(queued(world, "reminder")) == {"ben", "cara", "dora"}
    assert remind_now(world.context, world.round_id, "anna@auenburg.example") == 0


def test_reminding_one_person_who_stopped_their_reminders_says_why_and_sends_nothing(
    round_world, configured, monkeypatch
):
    from typer.testing import CliRunner

    from tests.support.commands import configure
    from workflows.cli import app

    world = round_world
    configure(monkeypatch, world)
    open_invitation_stage(world.context, world.round_id, "test")
    advance_round(world.context, world.round_id)
    stop_for(world, "anna")
    refused = CliRunner().invoke(app, ["round", "remind", "fruehjahr-2027", "--participant", "anna@auenburg.example"])
    assert refused.exit_code == 1
    said = " ".join(refused.output.split())
    assert "anna@auenburg.example stopped the reminders of fruehjahr-2027 on " in said
    assert "UTC: no reminder goes to them" in said
    assert queued(world, "reminder") == {}
