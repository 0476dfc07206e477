"""Handing the self-assessment to a colleague from the form: the page that explains and asks (a GET that
changes nothing), the handover itself with its two messages, the first link refused or kept working, and
every refusal shown with what was typed."""

import email
import email.policy
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from config.settings import Settings
from portal.app import create_app
from portal.background import PortalThread
from review_model.handover import HANDED_OVER
from review_model.tables import (
    AccessToken,
    AuditEvent,
    Enrolment,
    OutboxMessage,
    Participant,
    Round,
    Submission,
    SubmissionVersion,
)
from review_model.vocabulary import WorkStatus
from tests.portal.conftest import ANNA, BEN, COMPLETE, SECRET, PortalWorld
from tests.support.answers import csrf_of
from tests.support.browser import WIDTHS, axe_violations, check_widths, require_axe

ONE_DATABASE = "the pages behind a link; the handover itself (review_model.handover) is tested on both databases"

LENA = "lena@auenburg.example"
LINK = re.compile(r"http://testserver(/a/[A-Za-z0-9_-]{43})")


def handover_page(world: PortalWorld, who: str = ANNA) -> str:
    return world.form(who) + "/hand-over"


def hand_over(world: PortalWorld, name: str = "Lena Keller", address: str = LENA, language: str = "en",
              who: str = ANNA, csrf: str | None = None):  # fmt: skip
    token = csrf or csrf_of(world.client.get(handover_page(world, who)).text)
    data = {"csrf": token, "lang": "de", "name": name, "email": address, "language": language}
    return world.client.post(handover_page(world, who), data=data, follow_redirects=False)


def snapshot(world: PortalWorld) -> list:
    """Everything a handover would change, as it stands."""
    with Session(world.engine) as session:
        return [
            [(e.id, e.is_respondent, e.is_reviewer, e.handed_over_at, e.invited_at) for e in session.exec(
                select(Enrolment).order_by(col(Enrolment.id)))],
            session.exec(select(Participant.email).order_by(col(Participant.id))).all(),
            session.exec(select(Submission.id, Submission.enrolment_id)).all(),
            session.exec(select(AccessToken.id, AccessToken.revoked_at).order_by(col(AccessToken.id))).all(),
            session.exec(select(AuditEvent.id)).all(),
            session.exec(select(OutboxMessage.id)).all(),
        ]  # fmt: skip


def parsed(message: OutboxMessage) -> tuple[str, str, str]:
    """A queued message's subject, plain text and HTML, as a mail client reads them."""
    message_ = email.message_from_bytes(message.payload, policy=email.policy.default)
    text = message_.get_body(("plain",)).get_content()
    html = message_.get_body(("html",)).get_content()
    return str(message_["subject"]), text, html


def queued(world: PortalWorld) -> dict[str, OutboxMessage]:
    with Session(world.engine) as session:
        return {m.kind: m for m in session.exec(select(OutboxMessage))}


def test_the_form_links_to_the_handover_page_and_opening_it_changes_nothing(world):
    world.post(ANNA, {"ratings.ampel": "1"})
    form = world.client.get(world.form(ANNA)).text
    assert f'href="{handover_page(world)}?lang=de"' in form
    before = snapshot(world)
    page = world.client.get(handover_page(world))
    assert page.status_code == 200
    assert "Formular an eine Kollegin oder einen Kollegen übergeben" in page.text
    assert 'name="email"' in page.text and 'name="name"' in page.text
    assert "Nach der Übergabe öffnet Ihr Link das Formular nicht mehr." in page.text
    assert "Stadt Auenburg" in page.text
    english = world.client.get(handover_page(world) + "?lang=en").text
    assert "After the handover, your link no longer opens the form." in english
    assert snapshot(world) == before


def test_the_colleague_gets_the_form_with_its_versions_and_draft_and_the_old_link_says_it_was_handed_over(world):
    assert world.post(ANNA, COMPLETE, action="submit").status_code == 303
    assert world.post(ANNA, {**COMPLETE, "facts.staerken": "Nach der Abgabe geändert"}).status_code == 303
    done = hand_over(world)
    assert done.status_code == 200, done.text
    assert "Lena Keller" in done.text and "Ihr Link öffnet das Formular nicht mehr" in done.text
    messages = queued(world)
    assert set(messages) == {"submission_receipt", "handover_invitation", "handover_confirmation"}
    invitation, confirmation = messages["handover_invitation"], messages["handover_confirmation"]
    assert invitation.recipient_email == LENA and confirmation.recipient_email == ANNA
    subject, text, html = parsed(invitation)
    assert subject == "The self-assessment was handed over to you: Test round"  # Lena reads English
    assert "Dear Lena Keller," in text and "Anna Keller" in text and "Stadt Auenburg" in text
    assert "(version 1)" in text and "Deadline:" in text
    link = LINK.search(text).group(1)
    assert f'href="http://testserver{link}"' in html
    subject, text, html = parsed(confirmation)
    assert subject == "Sie haben die Selbsteinschätzung übergeben: Testrunde"
    assert "Lena Keller (lena@auenburg.example)" in text, text
    assert "Ihr Link öffnet das Formular nicht mehr." in text
    assert LINK.search(text) is None and "/a/" not in html

    opened = world.client.get(link)  # the colleague's own link opens the form as Anna left it
    assert opened.status_code == 200 and "Nach der Abgabe geändert" in opened.text
    assert "Eingereicht am" in opened.text or "Submitted on" in opened.text
    with Session(world.engine) as session:
        lena = session.exec(select(Participant).where(Participant.email == LENA)).one()
        taking = session.exec(select(Enrolment).where(Enrolment.participant_id == lena.id)).one()
        moved = session.exec(select(Submission).where(Submission.enrolment_id == taking.id)).one()
        assert moved.version == 1 and moved.status is WorkStatus.submitted
        assert (
            len(session.exec(select(SubmissionVersion).where(SubmissionVersion.submission_id == moved.id)).all()) == 1
        )
        event = session.exec(select(AuditEvent).where(AuditEvent.action == HANDED_OVER)).one()
        anna = session.exec(select(Participant).where(Participant.email == ANNA)).one()
        assert event.actor == f"participant {anna.id}"
        assert event.details["from_enrolment"] == world.enrolments[ANNA]
        assert event.details["to_enrolment"] == taking.id
    old = world.client.get(world.form(ANNA))
    assert old.status_code == 410 and "übergeben" in old.text and "Lena" not in old.text
    assert world.client.get(handover_page(world)).status_code == 410
    # the colleague answers: saving through her link changes the organisation's form
    token = csrf_of(opened.text)
    answers = {**COMPLETE, "facts.staerken": "Von Lena ergänzt"}
    saved = world.client.post(
        link, data={"csrf": token, "action": "save", "lang": "de", **answers}, follow_redirects=False
    )
    assert saved.status_code == 303, re.findall(r'class="error"[^>]*>([^<]*)', saved.text)
    with Session(world.engine) as session:
        assert session.get(Submission, moved.id).answers["facts.staerken"] == "Von Lena ergänzt"


def test_with_the_rule_on_the_first_link_keeps_opening_the_form(world):
    with Session(world.engine) as session:
        session.get(Round, world.round_id).handover_keeps_first_link = True
        session.commit()
    world.post(ANNA, {"facts.staerken": "Entwurf von Anna"})
    assert "Ihr eigener Link öffnet das Formular weiterhin" in world.client.get(handover_page(world)).text
    assert hand_over(world, language="de").status_code == 200
    _, text, _ = parsed(queued(world)["handover_confirmation"])
    assert "öffnet das Formular weiterhin" in text and LINK.search(text).group(1) == world.form(ANNA)
    old = world.client.get(world.form(ANNA))
    assert old.status_code == 200 and "Entwurf von Anna" in old.text
    assert "Sie haben dieses Formular an eine Kollegin oder einen Kollegen übergeben" in old.text
    assert "/hand-over" not in old.text  # the form is Lena's to hand on
    refused = world.client.get(handover_page(world))
    assert "das Formular wurde bereits übergeben" in refused.text and 'name="email"' not in refused.text
    assert world.post(ANNA, {"facts.staerken": "Anna ergänzt"}).status_code == 303
    with Session(world.engine) as session:
        lena = session.exec(select(Participant).where(Participant.email == LENA)).one()
        taking = session.exec(select(Enrolment).where(Enrolment.participant_id == lena.id)).one()
        form = session.exec(select(Submission).where(Submission.enrolment_id == taking.id)).one()
        assert form.answers["facts.staerken"] == "Anna ergänzt"


@pytest.mark.parametrize(
    "name,address,reason",
    [
        ("", "", "geben Sie den Namen der Kollegin oder des Kollegen an"),
        ("Lena", "lena@", "lena@ ist keine E-Mail-Adresse"),
        ("Anna", ANNA, "das Formular kann nicht an die Person gehen, die es innehat"),
        ("Ben", BEN, "ben@nordhaven.example gehört zu einer anderen Organisation"),
    ],
)
def test_a_refusal_shows_every_reason_and_keeps_what_was_typed(world, name, address, reason):
    before = snapshot(world)
    page = hand_over(world, name=name, address=address)
    assert page.status_code == 422
    assert reason in page.text and "Das Formular wurde nicht übergeben" in page.text
    assert f'value="{address}"' in page.text and f'value="{name}"' in page.text
    assert snapshot(world) == before


def test_a_colleague_answering_a_form_of_their_own_or_withdrawn_is_refused(world):
    with Session(world.engine) as session:
        anna = session.exec(select(Participant).where(Participant.email == ANNA)).one()
        for email_, withdrawn in (("lena@auenburg.example", False), ("mia@auenburg.example", True)):
            person = Participant(
                email=email_, name=email_, organisation_id=anna.organisation_id, language=anna.language
            )
            session.add(person)
            session.flush()
            session.add(Enrolment(round_id=world.round_id, participant_id=person.id, is_respondent=True,
                                  withdrawn_at=datetime.now(UTC) if withdrawn else None))  # fmt: skip
        session.commit()
    before = snapshot(world)
    assert "eine eigene Selbsteinschätzung" in hand_over(world).text
    assert "wurde aus der Runde zurückgezogen" in hand_over(world, address="mia@auenburg.example").text
    assert snapshot(world) == before


def test_after_the_deadline_or_in_a_read_only_form_nothing_can_be_handed_over(world):
    token = csrf_of(world.client.get(handover_page(world)).text)
    with Session(world.engine) as session:
        round_ = session.get(Round, world.round_id)
        round_.submission_deadline = datetime.now(UTC) - timedelta(minutes=1)
        session.commit()
    before = snapshot(world)
    page = world.client.get(handover_page(world))
    assert "der Einsendeschluss der Selbsteinschätzung ist vorbei" in page.text and 'name="email"' not in page.text
    assert "/hand-over" not in world.client.get(world.form(ANNA)).text
    posted = hand_over(world, csrf=token)
    assert posted.status_code == 422 and "der Einsendeschluss" in posted.text
    assert snapshot(world) == before


def test_a_handover_from_another_site_or_without_the_form_token_is_refused(world):
    before = snapshot(world)
    assert hand_over(world, csrf="0" * 64).status_code == 403
    token = csrf_of(world.client.get(handover_page(world)).text)
    foreign = world.client.post(handover_page(world), data={"csrf": token, "name": "Lena", "email": LENA},
                                headers={"origin": "https://evil.example", "sec-fetch-site": "cross-site"})  # fmt: skip
    assert foreign.status_code == 403
    assert world.client.get(world.form(BEN).replace("/a/", "/r/") + "/hand-over").status_code == 404
    assert snapshot(world) == before


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about the pages, not the database
def test_the_handover_pages_pass_axe_at_every_width(world, chromium, database_url):
    script = require_axe()
    settings = Settings(secret_key=SECRET, public_base_url="http://127.0.0.1", database_url="sqlite://")
    found = {}
    with PortalThread(create_app(settings, world.engine)) as portal, chromium.connect() as browser:
        base = f"http://127.0.0.1:{portal.port}"
        for width, (violations, scroll_width) in check_widths(browser, base + handover_page(world, BEN), script,
                                                              "handover").items():  # fmt: skip
            sideways = [f"scrolls sideways: {scroll_width}"] if scroll_width > WIDTHS[width][0] else []
            found[f"handover at {width}"] = violations + sideways
        page = browser.new_page(viewport={"width": 360, "height": 640})
        page.goto(base + handover_page(world, BEN))
        page.fill("#f-email", "lena@")
        page.click("button[type=submit]")
        assert page.locator("#errors").is_visible() and page.evaluate("document.activeElement.id") == "errors"
        found["refused"] = axe_violations(page, script)
        page.fill("#f-name", "Lena Keller")
        page.fill("#f-email", "lena@nordhaven.example")
        page.click("button[type=submit]")
        assert "Lena Keller" in page.content()
        found["handed over"] = axe_violations(page, script)
        for width, (violations, _) in check_widths(browser, base + world.form(BEN), script, "handed-over").items():
            found[f"old link at {width}"] = violations
    assert {name: v for name, v in found.items() if v} == {}
