"""The console's pages pass axe-core's WCAG 2.1 AA checks in a real browser, logged in as a coordinator, at
desktop and phone width, in German and English, and none is wider than the phone's screen."""

from typing import cast

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from config.settings import Settings
from portal.app import create_app
from portal.background import PortalThread
from portal.console.actions import ConsoleActions
from review_model.tables import Participant
from review_model.vocabulary import StaffRole, Stage
from tests.support.browser import ARTIFACTS, WIDTHS, axe_violations, require_axe
from tests.support.staff import PASSWORD, staff_member
from tests.support.staged_rounds import round_in_stage

SECRET = "a-test-secret-that-is-long-enough-1234567890"
COORDINATOR = "koordination@land.example"
# Each page a coordinator reaches, as its path; more join as the console grows.
CONSOLE_PAGES = {
    "rounds": "/console",
    "dashboard": "/console/rounds/staged-round",
    "remind": "/console/rounds/staged-round/remind",
    "close stage": "/console/rounds/staged-round/close-stage",
    "extend": "/console/rounds/staged-round/extend",
    "no such round": "/console/rounds/no-such-round",
    "assignment": "/console/rounds/assigned-round/assignment",
    "swap a reviewer": "/console/rounds/assigned-round/assignment/swap?submission={submission}",
    "confirm the assignment": "/console/rounds/assigned-round/assignment/confirm",
    "reviews": "/console/rounds/reviewed-round/reviews",
    "remind the reviewers": "/console/rounds/reviewed-round/reviews/remind",
    "remind a reviewer": "/console/rounds/reviewed-round/reviews/remind/{reviewer}",
}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about the pages, not the database
def test_every_console_page_passes_axe_at_both_widths_in_both_languages(engine: Engine, chromium, database_url):
    script = require_axe()
    round_in_stage(engine, Stage.submission)
    # Rounds further on, for the pages of their stages: a proposed assignment, and reviews half done.
    submission = round_in_stage(engine, Stage.assignment, slug="assigned-round")["anna"].submission_id
    reviewed = round_in_stage(engine, Stage.review, slug="reviewed-round", reviewed=["anna"])
    reviewer = _participant_id(engine, reviewed["ben"].email)
    staff_member(
        engine, COORDINATOR, StaffRole.coordinator, rounds=["staged-round", "assigned-round", "reviewed-round"]
    )
    settings = Settings(secret_key=SECRET, public_base_url="http://127.0.0.1", database_url="sqlite://")
    found: dict[str, list[str]] = {}
    # Operations that are never run (only pages are opened) but make the pages show their forms.
    app = create_app(settings, engine, console_actions=cast(ConsoleActions, object()))
    with PortalThread(app) as portal, chromium.connect() as browser:
        base = f"http://127.0.0.1:{portal.port}"
        for width_name, (width, height) in WIDTHS.items():
            for language in ("de", "en"):
                context = browser.new_context(viewport={"width": width, "height": height})
                page = context.new_page()
                page.goto(f"{base}/console/login?lang={language}")
                found[f"login ({language}) at {width_name}"] = _checked(page, script, width, f"login-{language}")
                page.fill("#email", COORDINATOR)
                page.fill("#password", PASSWORD)
                page.click("form[action='/console/login'] button[type=submit]")
                page.wait_for_url(f"{base}/console")
                for name, path in CONSOLE_PAGES.items():
                    page.goto(base + path.format(submission=submission, reviewer=reviewer))
                    key = f"{name} ({language}) at {width_name}"
                    found[key] = _checked(page, script, width, f"{name}-{language}-{width_name}")
                context.close()
    assert {page: problems for page, problems in found.items() if problems} == {}


def _participant_id(engine: Engine, email: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Participant.id).where(Participant.email == email)).one()


def _checked(page, script: str, width: int, name: str) -> list[str]:
    """axe's violations on the page, and a line if the page is wider than the window."""
    problems = axe_violations(page, script)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        problems.append(f"the page is {scroll_width} px wide in a window of {width} px")
    if problems:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"console-{name.replace(' ', '-')}.png"), full_page=True)
    return problems
