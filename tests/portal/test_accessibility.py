"""Every kind of portal page passes axe-core's WCAG 2.1 AA checks in a real browser, at desktop and phone
width: the self-assessment form, the review form, the reply page, the page that stops reminders (in both of its
states), the unknown and expired link pages, the 429 page, and the accessibility statement (the installation's,
and a round's with every part of it filled in)."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session, select

from config.settings import Settings
from portal.accessibility_pages import round_reference
from portal.app import create_app
from portal.background import PortalThread
from review_model.rounds import get_round
from review_model.tables import AccessToken, Enrolment, Round, Submission
from review_model.tokens import issue_link
from review_model.vocabulary import Stage, TokenPurpose
from tests.portal.conftest import ANNA, BEN, CARA, SECRET, PortalWorld, assign_reviewer
from tests.support.browser import check_widths, require_axe


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about the pages, not the database
def test_every_kind_of_portal_page_passes_axe(replies, chromium, database_url):
    script = require_axe()
    world = replies.world
    settings = Settings(secret_key=SECRET, public_base_url="http://127.0.0.1", database_url="sqlite://")
    found = {}
    with PortalThread(create_app(settings, world.engine)) as portal, chromium.connect() as browser:
        base = f"http://127.0.0.1:{portal.port}"

        def check(name: str, path: str) -> None:
            for width, (violations, _) in check_widths(browser, base + path, script, name).items():
                found[f"{name} at {width}"] = violations

        _set_stage(world, Stage.submission)
        check("self-assessment", world.form(BEN))
        check("unknown link", "/a/" + "A" * 43)
        _set_stage(world, Stage.review)
        check("review", _review_link(world))
        _set_stage(world, Stage.comment)
        check("reply", replies.link)
        reminders = _reminders_link(world)
        check("reminders", reminders)
        _stop_reminders(world)
        check("reminders stopped", reminders + "?done=stopped")
        _expire_every_link(world)
        check("expired link", replies.link)
        check("accessibility statement", "/accessibility?lang=en")
        _set_statement(world)
        check(
            "a round's accessibility statement",
            f"/accessibility?round={round_reference(SECRET.encode(), world.round_id)}",
        )
        guesses = (httpx.get(f"{base}/a/{n:043d}").status_code for n in range(100))  # the pages above counted too
        assert 429 in guesses
        check("too many requests", "/a/" + "B" * 43)
    assert {page: v for page, v in found.items() if v} == {}


def _set_statement(world: PortalWorld) -> None:
    """A round's statement with a body, barriers, a phone number, a review date and its own enforcement body."""
    with Session(world.engine) as session:
        round_ = session.get(Round, world.round_id)
        round_.accessibility = {
            "body": {"de": "Bundesamt für Beispiele", "en": "Federal Office of Examples"},
            "barriers": [{"content": {"de": "Die Karte.", "en": "The map."}, "reason": {"de": "Belastung."},
                          "alternative": {"de": "Eine Tabelle.", "en": "A table."}}],
            "reviewed_on": "2027-06-30",
            "contact": {"name": "Team", "email": "team@amt.example", "phone": "+49 30 1234567"},
            "enforcement": {"name": {"de": "Landesstelle"}, "url": "https://land.example", "email": "d@land.example"},
        }  # fmt: skip
        session.commit()


def _set_stage(world: PortalWorld, stage: Stage) -> None:
    with Session(world.engine) as session:
        round_ = session.get(Round, world.round_id)
        round_.stage = stage
        session.commit()


def _review_link(world: PortalWorld) -> str:
    """Cara is asked to review Anna's submission; the path of her review form."""
    with Session(world.engine) as session:
        round_ = get_round(session, world.round_id)
        anna = session.exec(select(Submission).where(Submission.enrolment_id == world.enrolments[ANNA])).one()
        assert anna.id is not None
        path = assign_reviewer(session, world, round_, anna.id, CARA)
        session.commit()
    return path


def _reminders_link(world: PortalWorld) -> str:
    """The path of Ben's link to stop his reminders."""
    with Session(world.engine) as session:
        expires = datetime.now(UTC) + timedelta(days=30)
        issued = issue_link(session, SECRET.encode(), round_id=world.round_id, enrolment_id=world.enrolments[BEN],
                            purpose=TokenPurpose.reminders, expires_at=expires)  # fmt: skip
        session.commit()
    return f"/reminders/{issued.token}"


def _stop_reminders(world: PortalWorld) -> None:
    with Session(world.engine) as session:
        session.get(Enrolment, world.enrolments[BEN]).opted_out_at = datetime.now(UTC)
        session.commit()


def _expire_every_link(world: PortalWorld) -> None:
    with Session(world.engine) as session:
        for access in session.exec(select(AccessToken)):
            access.expires_at = datetime.now(UTC) - timedelta(days=1)
        session.commit()
