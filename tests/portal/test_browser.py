"""A participant follows the link in the invitation they received and fills the form in a real browser.

Runs headless Chromium (Debian's package) through Playwright; screenshots are kept in test-artifacts/.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from config.settings import Settings
from notifications.addressing import recipient_for, round_context, sender_from_settings
from notifications.compose import compose_message
from notifications.delivery import SmtpServer, run_delivery
from notifications.dev_mail_server import DevMailServer
from notifications.message_kinds import Invitation
from notifications.outbox import enqueue_messages
from portal.app import create_app
from portal.background import PortalThread
from review_model.questionnaire import Text
from review_model.tables import Enrolment, Organisation, Participant, Round, Submission, SubmissionVersion
from review_model.tokens import issue_link, link_url
from review_model.vocabulary import Stage, TokenPurpose, WorkStatus
from tests.portal.conftest import SECRET
from tests.support.browser import ARTIFACTS, CHROMIUM, require_chromium

if CHROMIUM is None:
    require_chromium()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about the page, not the database
def test_a_participant_fills_the_form_from_the_emailed_link(world, database_url, chromium):
    ARTIFACTS.mkdir(exist_ok=True)
    with DevMailServer() as mail, PortalThread(create_app(_settings(0), world.engine)) as portal:
        base_url = f"http://127.0.0.1:{portal.port}"
        settings = _settings(portal.port)
        link = _invite(world, settings, mail, "anna@auenburg.example")
        assert link.startswith(base_url + "/a/")

        with chromium.connect() as browser:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(link)
            assert page.title().startswith("Selbsteinschätzung")
            page.get_by_label("weitere Maßnahmen erforderlich").check()
            page.get_by_label("Stufe 3").check()
            page.get_by_label("Rechtlich: Status").select_option("1")
            page.get_by_label("Stärken").fill("Offene Daten und eine aktive Stadtgesellschaft.")
            page.get_by_role("button", name="Entwurf speichern").click()
            page.wait_for_url("**done=saved")
            assert "Ihr Entwurf ist gespeichert" in page.content()

            page.reload()
            assert page.get_by_label("Stufe 3").is_checked()
            assert page.get_by_label("Rechtlich: Status").input_value() == "1"
            assert page.get_by_label("Stärken").input_value() == "Offene Daten und eine aktive Stadtgesellschaft."

            page.get_by_role("button", name="Absenden").click()  # required answers are missing
            assert "Bitte prüfen Sie die markierten Angaben" in page.content()
            for label, value in (("Rechtlich: Fortschritt", "0"), ("Technisch: Status", "3"),
                                 ("Technisch: Fortschritt", "2")):  # fmt: skip
                page.get_by_label(label).select_option(value)
            page.get_by_label("Kommune", exact=True).check()
            page.screenshot(path=str(ARTIFACTS / "portal-form-filled.png"), full_page=True)
            page.get_by_role("button", name="Absenden").click()
            page.wait_for_url("**done=submitted")
            assert "Vielen Dank! Ihre Angaben sind eingegangen (Fassung 1)" in page.content()
            page.screenshot(path=str(ARTIFACTS / "portal-form-submitted.png"), full_page=True)

            phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
            phone.goto(link)
            phone.screenshot(path=str(ARTIFACTS / "portal-form-phone.png"), full_page=True)

    with Session(world.engine) as session:
        submission = session.exec(select(Submission)).one()
        assert (submission.status, submission.version) == (WorkStatus.submitted, 1)
        assert submission.answers["ratings.matrix/technisch/status"] == 3
        assert len(session.exec(select(SubmissionVersion)).all()) == 1


def _settings(port: int) -> Settings:
    return Settings(secret_key=SECRET, public_base_url=f"http://127.0.0.1:{port}", database_url="sqlite://")


def _invite(world, settings: Settings, mail: DevMailServer, email: str) -> str:
    """Send the invitation through the outbox and the SMTP server; return the link as the participant reads it."""
    now = datetime.now(UTC)
    with Session(world.engine) as session:
        round_ = session.get(Round, world.round_id)
        person = session.exec(select(Participant).where(Participant.email == email)).one()
        organisation = session.get(Organisation, person.organisation_id)
        enrolment = session.exec(select(Enrolment).where(Enrolment.participant_id == person.id)).one()
        assert round_.stage is Stage.submission
        issued = issue_link(
            session, SECRET.encode(), round_id=round_.id, enrolment_id=enrolment.id,
            purpose=TokenPurpose.self_assessment, expires_at=round_.submission_deadline + timedelta(days=14),
        )  # fmt: skip
        invitation = Invitation(
            link_url(str(settings.public_base_url), TokenPurpose.self_assessment, issued.token),
            round_.submission_deadline,
            Text.model_validate(round_.questionnaire_snapshot["title"]),
            9,
        )
        message = compose_message(
            invitation, recipient_for(person, organisation), round_context(round_), sender_from_settings(settings),
            stage="invitation", now=now,
        )  # fmt: skip
        enqueue_messages(session, [message], now)
        session.commit()
    run_delivery(world.engine, SmtpServer(port=mail.port), settings.mail_from)
    [received] = mail.catcher.received()
    import email
    import email.policy

    text = email.message_from_bytes(received.data, policy=email.policy.default).get_body(("plain",)).get_content()
    return re.search(r"http://127\.0\.0\.1:\d+/a/[A-Za-z0-9_-]{43}", text).group(0)
