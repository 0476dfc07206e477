"""The console in a real browser (Chromium): signing in through the OpenID Connect provider's own pages and
coming back to the page asked for, logging in with a password, logging out."""

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from notifications.dev_mail_server import free_port
from portal.app import create_app
from portal.background import PortalThread
from review_model.vocabulary import StaffRole, Stage
from tests.support.browser import require_chromium
from tests.support.console import console_settings
from tests.support.oidc import running_provider
from tests.support.staff import COORDINATOR, PASSWORD, staff_member
from tests.support.staged_rounds import round_in_stage

ONE_DATABASE = "the pages and actions of the console; their queries and operations are tested on both databases"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about the browser, not the database
def test_a_coordinator_signs_in_at_the_provider_in_the_browser_and_lands_on_the_page_asked_for(
    engine: Engine, chromium, database_url, tmp_path: Path
):
    require_chromium()
    round_in_stage(engine, Stage.submission)
    staff_member(engine, COORDINATOR, StaffRole.coordinator, rounds=["staged-round"])
    port = free_port("127.0.0.1")
    base = f"http://127.0.0.1:{port}"
    with running_provider(tmp_path, redirect_uri=f"{base}/console/login/oidc/callback") as provider:
        settings = console_settings(
            base, oidc_issuer=provider.issuer, oidc_client_id=provider.client_id,
            oidc_client_secret=provider.client_secret, oidc_display_name="Landes-Keycloak",
        )  # fmt: skip
        with PortalThread(create_app(settings, engine), port=port), chromium.connect() as browser:
            context = browser.new_context(viewport={"width": 1200, "height": 900})
            page = context.new_page()
            page.goto(f"{base}/console/login?lang=en")  # the browser's choice of language, kept in a cookie
            page.goto(f"{base}/console/rounds/staged-round")
            assert page.url == f"{base}/console/login?next=/console/rounds/staged-round"
            page.click("text=Log in with Landes-Keycloak")
            page.wait_for_url(f"{provider.issuer}/**")  # the provider's own sign-in page
            page.fill("input[name=login]", COORDINATOR)
            page.fill("input[name=password]", "any password: the development login checks none")
            page.click("button[type=submit]")
            if page.url.startswith(provider.issuer):  # its consent page
                page.click("button[type=submit]")
            page.wait_for_url(f"{base}/console/rounds/staged-round")
            assert "Test round staged-round" in page.inner_text("main")

            page.click("text=Log out everywhere")
            page.wait_for_url(f"{base}/console/login")
            assert "You are logged out everywhere" in page.inner_text("main")
            page.goto(f"{base}/console")
            assert page.url.startswith(f"{base}/console/login")

            page.fill("#email", COORDINATOR)
            page.fill("#password", PASSWORD)
            page.click("form[action='/console/login'] button[type=submit]")
            page.wait_for_url(f"{base}/console")
            assert "staged-round" in page.inner_text("main")
            context.close()
