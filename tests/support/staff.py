"""Staff for console tests: accounts with a password, named for rounds, and a browser-like client logged in."""

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from review_model import clock
from review_model.staff import add_staff, set_password_with_link
from review_model.tables import Round
from review_model.vocabulary import StaffRole

if TYPE_CHECKING:
    from playwright.sync_api import Page

PASSWORD = "correct horse battery staple"
# The coordinator and the observer the console tests log in as.
COORDINATOR = "koordination@land.example"
OBSERVER = "beobachtung@bund.example"


def staff_member(
    engine: Engine, email: str, role: StaffRole, rounds: Sequence[str] = (), password: str = PASSWORD
) -> int:
    """An account as `spr staff add` makes it, named for the rounds with these slugs, its password set through
    its link; its id."""
    with Session(engine, expire_on_commit=False) as session:
        named = [session.exec(select(Round).where(Round.slug == slug)).one() for slug in rounds]
        account, link = add_staff(session, email, role, name=email.split("@")[0].title(), rounds=named,
                                  actor="test", now=clock.now())  # fmt: skip
        set_password_with_link(session, link.token, password, password, clock.now())
        session.commit()
        assert account.id is not None
        return account.id


def round_staff(engine: Engine, slug: str) -> None:
    """The coordinator and the observer the console tests log in as, both named for the round with this slug."""
    staff_member(engine, COORDINATOR, StaffRole.coordinator, rounds=[slug])
    staff_member(engine, OBSERVER, StaffRole.observer, rounds=[slug])


def form_csrf(page: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def log_in(client: TestClient, email: str, password: str = PASSWORD, next_path: str = "/console") -> Response:
    """Log in through the login form as a browser does; the answer to the POST."""
    page = client.get("/console/login")
    data = {"csrf": form_csrf(page.text), "email": email, "password": password, "next": next_path}
    return client.post("/console/login", data=data, follow_redirects=False)


def console_post(client: TestClient, path: str, page_path: str | None = None, **data: str) -> Response:
    """POST a console form with the CSRF token of the page it is on (`page_path`, else `path`)."""
    page = client.get(page_path or path)
    return client.post(path, data={"csrf": form_csrf(page.text), **data}, follow_redirects=False)


def log_in_browser(page: "Page", base: str, email: str, password: str = PASSWORD, language: str = "en") -> None:
    """Log in through the login form in a real browser (Playwright's page), choosing the console's language."""
    page.goto(f"{base}/console/login?lang={language}")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form[action='/console/login'] button[type=submit]")
    page.wait_for_url(f"{base}/console")


def page_problems(page: "Page", script: str, width: int) -> list[str]:
    """What is wrong with the page a real browser shows: axe-core's WCAG 2.1 AA violations, and a document
    wider than the window (a phone would scroll sideways)."""
    from tests.support.browser import axe_violations

    found = axe_violations(page, script)
    wide = page.evaluate("document.documentElement.scrollWidth")
    return found + ([f"{wide} px wide in a window of {width} px"] if wide > width else [])
