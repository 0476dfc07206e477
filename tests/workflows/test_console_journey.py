"""A whole round run from the console in a real browser (Chromium): the coordinator signs in through the
OpenID Connect provider, creates the example round from its two files, launches it, sees the submissions
arrive, closes the stage, is refused a swap for a named rule, confirms the assignment, closes the review,
approves the drafted recommendations and publishes. The participants answer through their emailed links;
every action runs as its coordinator operation and flow run."""

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, col, select

from config.settings import get_settings
from notifications.dev_mail_server import DevMailServer, free_port
from portal.app import create_app
from portal.background import PortalThread
from review_model import clock
from review_model.staff import add_staff
from review_model.store import make_engine
from review_model.tables import Enrolment, Participant, PublishedReport, ReviewAssignment, Round, Submission
from review_model.vocabulary import StaffRole, Stage
from tests.conftest import EXAMPLES
from tests.support.answers import SELF_ASSESSMENT, csrf_of
from tests.support.browser import require_chromium
from tests.support.console import console_settings
from tests.support.messages import text_of
from tests.support.oidc import running_provider
from tests.support.round_world import SECRET
from tests.support.staff import COORDINATOR
from workflows.console_actions import FlowActions
from workflows.prefect_server import PrefectApi

ONE_DATABASE = "a browser journey through pages whose queries and operations are tested on both databases"


class Participants:
    """The participants: their emails at the development mail server, and a browser-less client for their
    forms at the portal."""

    def __init__(self, mail: DevMailServer, base: str):
        self.mail, self.base = mail, base
        self.http = httpx.Client(base_url=base, timeout=30)
        self.seen = 0

    def new_links(self, kind: str) -> list[str]:
        """The paths of the /a/, /r/ or /c/ links in the messages received since the last call."""
        received = self.mail.catcher.received()
        link = re.compile(re.escape(self.base) + rf"(/{kind}/[A-Za-z0-9_-]{{43}})")
        found = [path for message in received[self.seen :] for path in link.findall(text_of(message))]
        self.seen = len(received)
        return list(dict.fromkeys(found))

    def post(self, path: str, data: dict[str, str]) -> None:
        page = self.http.get(path).text
        answer = self.http.post(path, data={"csrf": csrf_of(page), **data})
        assert answer.status_code in (200, 303), answer.text[:300]

    def review(self, path: str, level: str) -> None:
        page = self.http.get(path).text
        ratings = {key: level for key in re.findall(r'name="([a-z_]+\.[a-z]+)" id="f-', page)}
        answer = self.http.post(path, data={"csrf": csrf_of(page), "action": "submit", **ratings})
        assert answer.status_code in (200, 303), answer.text[:300]


@pytest.fixture
def mail(configured: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[DevMailServer]:
    with DevMailServer() as server:
        monkeypatch.setenv("SPR_SECRET_KEY", SECRET)
        monkeypatch.setenv("SPR_SMTP_PORT", str(server.port))
        get_settings.cache_clear()
        yield server


def _mutual_swap(engine, slug: str) -> tuple[int, int, int]:
    """A swap the round's rules forbid (forbid_mutual_review): onto the submission of a party from organisation
    B, a reviewer from organisation A, where someone from B reviews A already; (submission, the participant to
    take off, the participant to put on)."""
    with Session(engine) as session:
        round_id = session.exec(select(Round.id).where(Round.slug == slug)).one()
        people = {
            enrolment.id: (participant.id, participant.organisation_id, enrolment.is_reviewer)
            for enrolment, participant in session.exec(
                select(Enrolment, Participant)
                .join(Participant, col(Participant.id) == Enrolment.participant_id)
                .where(Enrolment.round_id == round_id)
            )
        }
        rows = session.exec(
            select(ReviewAssignment.submission_id, Submission.enrolment_id, ReviewAssignment.reviewer_enrolment_id)
            .join(Submission, col(Submission.id) == ReviewAssignment.submission_id)
            .where(ReviewAssignment.round_id == round_id)
        ).all()
    on_submission: dict[int, set[int]] = {}
    submission_of_organisation: dict[int, int] = {}
    for submission, party, reviewer in rows:
        on_submission.setdefault(submission, set()).add(reviewer)
        submission_of_organisation[people[party][1]] = submission
    for _submission, party, reviewer in rows:
        a, b = people[party][1], people[reviewer][1]  # someone from B reviews A
        target = submission_of_organisation.get(b)
        if target is None or a == b:
            continue
        for enrolment, (_participant, organisation, is_reviewer) in people.items():
            if organisation == a and is_reviewer and enrolment not in on_submission[target]:
                taken_off = min(on_submission[target])
                return target, people[taken_off][0], people[enrolment][0]
    raise AssertionError("no mutual review to provoke")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_round_from_creation_to_publication_in_the_console(
    configured: str, mail: DevMailServer, chromium, tmp_path: Path, database_url, monkeypatch: pytest.MonkeyPatch
):
    require_chromium()
    engine = make_engine(configured)
    with Session(engine) as session:
        add_staff(session, COORDINATOR, StaffRole.coordinator, name="Kim Koordination", rounds=[], actor="test",
                  now=clock.now())  # fmt: skip
        session.commit()
    port = free_port("127.0.0.1")
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("SPR_PUBLIC_BASE_URL", base)  # the links in the participants' emails
    get_settings.cache_clear()
    with running_provider(tmp_path, redirect_uri=f"{base}/console/login/oidc/callback") as provider:
        settings = console_settings(
            base, database_url=configured, oidc_issuer=provider.issuer, oidc_client_id=provider.client_id,
            oidc_client_secret=provider.client_secret, oidc_display_name="Landes-Keycloak",
        )  # fmt: skip
        app = create_app(settings, engine, console_actions=FlowActions(PrefectApi(None)))
        participants = Participants(mail, base)
        with PortalThread(app, port=port), chromium.connect() as browser:
            page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
            page.set_default_timeout(120_000)  # an action is a flow run, and the round's next advance

            def confirm(path: str) -> str:
                """Open an action's asking page, press its button; the notice the console shows after it."""
                page.goto(base + path)
                page.click("main form button[type=submit]")
                page.wait_for_load_state()
                return page.inner_text("main")

            page.goto(f"{base}/console/login?lang=en")
            page.click("text=Log in with Landes-Keycloak")
            page.fill("input[name=login]", COORDINATOR)
            page.fill("input[name=password]", "any password: the development login checks none")
            page.click("button[type=submit]")
            if page.url.startswith(provider.issuer):  # the provider's consent page
                page.click("button[type=submit]")
            page.wait_for_url(f"{base}/console")

            page.click("text=Create a round")
            page.set_input_files("#round_file", str(EXAMPLES / "round.yaml"))
            page.set_input_files("#participants_file", str(EXAMPLES / "participants.csv"))
            page.click("main form button[type=submit]")
            page.wait_for_url(f"{base}/console/rounds/beispielrunde")
            assert "30 participants" in page.inner_text("main")

            launched = confirm("/console/rounds/beispielrunde/launch")
            assert "Round beispielrunde launched" in launched and "20 invitations queued" in launched
            forms = participants.new_links("a")
            assert len(forms) == 20
            participants.post(forms[0], {"action": "submit", **SELF_ASSESSMENT})
            page.goto(f"{base}/console/rounds/beispielrunde")
            assert "self-assessments submitted: 1 / 20" in page.inner_text("main")
            for form in forms[1:]:
                participants.post(form, {"action": "submit", **SELF_ASSESSMENT})
            page.reload()
            assert "self-assessments submitted: 20 / 20" in page.inner_text("main")

            closed = confirm("/console/rounds/beispielrunde/close-stage")
            assert "The self-assessment stage is closed" in closed
            page.goto(f"{base}/console/rounds/beispielrunde")
            assert "waits for your confirmation" in page.inner_text("main")

            submission, remove, add = _mutual_swap(engine, "beispielrunde")
            page.goto(f"{base}/console/rounds/beispielrunde/assignment/swap?submission={submission}")
            page.select_option("#remove", str(remove))
            page.select_option("#add", str(add))
            page.click("main form button[type=submit]")
            page.wait_for_load_state()
            refused = page.inner_text("main")
            assert "Nothing was changed" in refused and "would review each other" in refused

            confirmed = confirm("/console/rounds/beispielrunde/assignment/confirm")
            assert "The assignment is confirmed: 60 reviews." in confirmed
            reviews = participants.new_links("r")
            assert len(reviews) == 60
            for number, review in enumerate(reviews):
                participants.review(review, str(number % 2))
            closed = confirm("/console/rounds/beispielrunde/close-stage")
            assert "The peer review stage is closed" in closed

            page.goto(f"{base}/console/rounds/beispielrunde/recommendations")
            for box in page.query_selector_all("input[name=ids]"):
                box.check()
            page.click("button[value=approve]")
            page.wait_for_load_state()
            page.click("main form button[type=submit]")
            page.wait_for_load_state()
            assert "approved" in page.inner_text("main")

            for reply in participants.new_links("c"):
                participants.post(reply, {"action": "send", "reply-general": ""})
            published = confirm("/console/rounds/beispielrunde/publish")
            assert "the round is in the publication stage now" in published
    with Session(engine) as session:
        assert session.exec(select(Round.stage)).one() is Stage.published
        assert session.exec(select(PublishedReport).where(PublishedReport.format == "html")).first() is not None
    engine.dispose()
