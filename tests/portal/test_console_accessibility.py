"""The console's pages pass axe-core's WCAG 2.1 AA checks in a real browser, logged in as a coordinator, at
desktop and phone width, in German and English, and none is wider than the phone's screen. Each page is checked
twice: in English at desktop width and in German at phone width (the longer German words on the narrow screen),
which covers both languages and both widths in half the time of all four."""

from typing import cast

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from portal.console.actions import ConsoleActions
from review_model.tables import Participant
from review_model.vocabulary import StaffRole, Stage
from tests.support.browser import ARTIFACTS, WIDTHS, axe_violations, require_axe
from tests.support.console import console_in_browser
from tests.support.staff import COORDINATOR, PASSWORD, staff_member
from tests.support.staged_rounds import round_in_stage

ONE_DATABASE = "the pages and actions of the console; their queries and operations are tested on both databases"
# Each page a coordinator reaches, as its path; more join as the console grows.
CONSOLE_PAGES = {
    "rounds": "/console",
    "people": "/console/rounds/staged-round/people",
    "person": "/console/rounds/staged-round/people/1",
    "withdraw": "/console/rounds/staged-round/people/1/withdraw",
    "dashboard": "/console/rounds/staged-round",
    "remind": "/console/rounds/staged-round/remind",
    "close stage": "/console/rounds/staged-round/close-stage",
    "extend": "/console/rounds/staged-round/extend",
    "history": "/console/rounds/staged-round/history",
    "no such round": "/console/rounds/no-such-round",
    "recommendations": "/console/rounds/drafting-round/recommendations",
    "edit a recommendation": "/console/rounds/drafting-round/recommendations/1/edit",
    "decide recommendations": "/console/rounds/drafting-round/recommendations/decide?ids=1&ids=2&decision=approve",
    "draft report": "/console/rounds/drafting-round/draft-report",
    "publication": "/console/rounds/comment-round/publication",
    "publish": "/console/rounds/comment-round/publish",
    "create a round": "/console/rounds/new",
    "email previews": "/console/rounds/staged-round/email",
    "outbox": "/console/rounds/staged-round/email/outbox",
    "send failed messages again": "/console/rounds/staged-round/email/outbox/retry",
    "message to a group": "/console/rounds/staged-round/email/message",
    "assignment": "/console/rounds/assigned-round/assignment",
    "swap a reviewer": "/console/rounds/assigned-round/assignment/swap?submission={submission}",
    "confirm the assignment": "/console/rounds/assigned-round/assignment/confirm",
    "reviews": "/console/rounds/reviewed-round/reviews",
    "remind the reviewers": "/console/rounds/reviewed-round/reviews/remind",
    "remind a reviewer": "/console/rounds/reviewed-round/reviews/remind/{reviewer}",
    "reviewer calibration": "/console/rounds/calibrated-round/reviews/calibration",
}
# The language each width is checked in (see the module's docstring).
CHECKED = {"desktop": "en", "phone": "de"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about the pages, not the database
def test_every_console_page_passes_axe_at_both_widths_in_both_languages(engine: Engine, chromium, database_url):
    script = require_axe()
    round_in_stage(engine, Stage.submission)
    round_in_stage(engine, Stage.drafting, slug="drafting-round")
    round_in_stage(engine, Stage.comment, slug="comment-round")
    # Rounds further on, for the pages of their stages: a proposed assignment, and reviews half done.
    submission = round_in_stage(engine, Stage.assignment, slug="assigned-round")["anna"].submission_id
    reviewed = round_in_stage(engine, Stage.review, slug="reviewed-round", reviewed=["anna"])
    reviewer = _participant_id(engine, reviewed["ben"].email)
    # Every review in, one reviewer kinder and one harsher than the others: the calibration page's warnings.
    round_in_stage(
        engine,
        Stage.review,
        slug="calibrated-round",
        parties=6,
        reviewers_per_party=3,
        peer_ratings=(3, 1, 2, 2, 2, 2),
        reviewed=["anna", "ben", "cara", "dora", "person5", "person6"],
    )
    rounds = ["staged-round", "drafting-round", "comment-round", "assigned-round", "reviewed-round", "calibrated-round"]
    staff_member(engine, COORDINATOR, StaffRole.coordinator, rounds=rounds)
    found: dict[str, list[str]] = {}
    # Operations that are never run (only pages are opened) but make the pages show their forms.
    operations = cast(ConsoleActions, object())
    with console_in_browser(engine, chromium, actions=operations) as (base, browser):
        for width_name, (width, height) in WIDTHS.items():
            for language in (CHECKED[width_name],):
                context = browser.new_context(viewport={"width": width, "height": height})
                page = context.new_page()
                page.goto(f"{base}/console/login?lang={language}")
                found[f"login ({language}) at {width_name}"] = _checked(page, script, width, f"login-{language}")
                page.fill("#email", COORDINATOR)
                page.fill("#password", PASSWORD)
                page.click("form[action='/console/login'] button[type=submit]")
                page.wait_for_url(f"{base}/console")
                for name, path in CONSOLE_PAGES.items():
                    answer = page.goto(base + path.format(submission=submission, reviewer=reviewer))
                    assert answer is not None and answer.status == (404 if name == "no such round" else 200), path
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
