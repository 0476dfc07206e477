"""The page behind a reminder's link to stop the round's reminders: what it shows, in whose language; that
opening it changes nothing; the buttons and the one-click POST; and the portal's answer to links that open
nothing here (unknown, of another purpose, expired, a withdrawn person's)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from review_model.reminder_opt_out import REMINDERS_RESTARTED, REMINDERS_STOPPED
from review_model.tables import AccessToken, AuditEvent, Enrolment
from review_model.tokens import issue_link
from review_model.vocabulary import TokenPurpose
from tests.portal.conftest import ANNA, BEN, CARA, SECRET, PortalWorld
from tests.support.answers import csrf_of

ONE_DATABASE = "the pages behind a link; stopping and restarting reminders is tested on both databases"


def stop_link(world: PortalWorld, email: str, expires_in: timedelta = timedelta(days=60)) -> str:
    """The person's link to stop reminders, as a reminder would carry it."""
    with Session(world.engine) as session:
        issued = issue_link(session, SECRET.encode(), round_id=world.round_id, enrolment_id=world.enrolments[email],
                            purpose=TokenPurpose.reminders, expires_at=datetime.now(UTC) + expires_in)  # fmt: skip
        session.commit()
    return f"/reminders/{issued.token}"


def store_state(world: PortalWorld) -> tuple:
    with Session(world.engine) as session:
        enrolments = [e.model_dump() for e in session.exec(select(Enrolment).order_by(col(Enrolment.id))).all()]
        events = [e.model_dump() for e in session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()]
        tokens = [t.model_dump() for t in session.exec(select(AccessToken).order_by(col(AccessToken.id))).all()]
    return enrolments, events, tokens


def stopped_since(world: PortalWorld, email: str) -> datetime | None:
    with Session(world.engine) as session:
        return session.get(Enrolment, world.enrolments[email]).opted_out_at


def actions_recorded(world: PortalWorld) -> list[tuple[str, str, dict]]:
    with Session(world.engine) as session:
        events = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.action).in_([REMINDERS_STOPPED, REMINDERS_RESTARTED]))
            .order_by(col(AuditEvent.id))
        ).all()
    return [(event.action, event.actor, event.details) for event in events]


def test_opening_the_page_shows_it_in_the_persons_language_and_changes_nothing(world: PortalWorld):
    path = stop_link(world, BEN)  # Ben reads English
    before = store_state(world)
    page = world.client.get(path)
    assert page.status_code == 200 and '<html lang="en">' in page.text
    assert "Stop reminders for this round" in page.text and 'name="action" value="stop"' in page.text
    assert "other rounds are not affected" in page.text
    assert "the published report" in page.text  # what still reaches them
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    german = world.client.get(path + "?lang=de")
    assert '<html lang="de">' in german.text and "Erinnerungen für diese Runde abbestellen" in german.text
    assert world.client.head(path).status_code in (200, 405)
    assert store_state(world) == before


def test_the_buttons_stop_and_restart_the_reminders_and_the_trail_records_the_persons_steps(world: PortalWorld):
    path = stop_link(world, ANNA)
    page = world.client.get(path).text
    stopped = world.client.post(path, data={"csrf": csrf_of(page), "action": "stop", "lang": "de"},
                                follow_redirects=False)  # fmt: skip
    assert stopped.status_code == 303 and stopped.headers["location"] == "?lang=de&done=stopped"
    assert stopped_since(world, ANNA) is not None and stopped_since(world, BEN) is None
    shown = world.client.get(path + "?lang=de&done=stopped").text
    assert "Erledigt: Sie erhalten in dieser Runde keine Erinnerungen mehr." in shown
    assert "Sie haben die Erinnerungen dieser Runde am" in shown and 'value="start"' in shown

    # Stopping again (a second tab, a reload) changes nothing more and records nothing more.
    world.client.post(path, data={"csrf": csrf_of(shown), "action": "stop", "lang": "de"})
    restarted = world.client.post(path, data={"csrf": csrf_of(shown), "action": "start", "lang": "de"},
                                  follow_redirects=False)  # fmt: skip
    assert restarted.status_code == 303 and restarted.headers["location"] == "?lang=de&done=started"
    assert stopped_since(world, ANNA) is None
    assert (
        "Erledigt: Sie erhalten in dieser Runde wieder Erinnerungen."
        in world.client.get(path + "?lang=de&done=started").text
    )
    with Session(world.engine) as session:
        anna = session.get(Enrolment, world.enrolments[ANNA]).participant_id
    actor = f"participant {anna} (personal link)"
    assert actions_recorded(world) == [
        (REMINDERS_STOPPED, actor, {"participant": anna, "one_click": False}),
        (REMINDERS_RESTARTED, actor, {"participant": anna}),
    ]


def test_the_one_click_post_alone_is_taken_without_a_session_and_only_stops(world: PortalWorld):
    path = stop_link(world, CARA)
    foreign = {"origin": "https://webmail.example", "sec-fetch-site": "cross-site"}
    clicked = world.client.post(path, data={"List-Unsubscribe": "One-Click"}, headers=foreign)
    assert clicked.status_code == 200 and '<html lang="de">' in clicked.text  # Cara reads German
    assert "Erledigt: Sie erhalten in dieser Runde keine Erinnerungen mehr." in clicked.text
    assert stopped_since(world, CARA) is not None
    assert [(action, details["one_click"]) for action, _, details in actions_recorded(world)] == [
        (REMINDERS_STOPPED, True)
    ]
    before = store_state(world)
    for data in (
        {"List-Unsubscribe": "One-Click", "action": "start"},  # more than the one field: the page's rules hold
        {"List-Unsubscribe": "Other"},
        {"action": "start"},  # no CSRF token
    ):
        assert world.client.post(path, data=data).status_code == 403, data
    page = world.client.get(path).text
    crossed = world.client.post(path, data={"csrf": csrf_of(page), "action": "start"}, headers=foreign)
    assert crossed.status_code == 403  # restarting is for the page of this site only
    unknown = world.client.post(path, data={"csrf": csrf_of(page), "action": "delete"})
    assert unknown.status_code == 403
    assert store_state(world) == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_links_that_open_nothing_here_get_the_portals_answer(world: PortalWorld, method: str):
    def ask(path: str, data: dict | None = None):
        if method == "get":
            return world.client.get(path)
        return world.client.post(path, data=data or {"List-Unsubscribe": "One-Click"})

    stop = stop_link(world, ANNA)
    expired = stop_link(world, BEN, expires_in=timedelta(days=-1))
    before = store_state(world)
    for path in ("/reminders/" + "A" * 43, "/reminders/short", world.form(ANNA).replace("/a/", "/reminders/")):
        assert ask(path).status_code == 404, path  # the form's link opens no reminders page either
    assert world.client.get(stop.replace("/reminders/", "/a/")).status_code == 404  # nor this link a form
    assert ask(expired).status_code == 410
    assert "nothing left to stop" in world.client.get(expired + "?lang=en").text
    assert store_state(world) == before


def test_a_withdrawn_persons_link_opens_nothing(world: PortalWorld):
    path = stop_link(world, ANNA)
    with Session(world.engine) as session:
        session.get(Enrolment, world.enrolments[ANNA]).withdrawn_at = datetime.now(UTC)
        session.commit()
    assert world.client.get(path).status_code == 404
    assert world.client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 404
    assert stopped_since(world, ANNA) is None
