"""Logging in to the console through a real OpenID Connect provider (oidc-provider on loopback): staff are
matched by their verified address; anyone else, an unverified address or a tampered answer gets no session."""

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from review_model import clock
from review_model.staff import add_staff
from review_model.vocabulary import StaffRole, Stage
from tests.support.console import console_client
from tests.support.oidc import UNVERIFIED, OidcProvider, sign_in_at_provider
from tests.support.staff import COORDINATOR
from tests.support.staged_rounds import round_in_stage

ONE_DATABASE = "the pages and actions of the console; their queries and operations are tested on both databases"
BASE = "http://127.0.0.1:8000"  # the redirect URI the test provider has registered for the console


@pytest.fixture
def client(engine: Engine, oidc_provider: OidcProvider) -> Iterator[TestClient]:
    with console_client(
        engine, public_base_url=BASE, oidc_issuer=oidc_provider.issuer, oidc_client_id=oidc_provider.client_id,
        oidc_client_secret=oidc_provider.client_secret, oidc_display_name="Landes-Keycloak",
    ) as client:  # fmt: skip
        yield client


def single_sign_on(client: TestClient, account: str, next_path: str = "/console") -> tuple[dict[str, str], str]:
    """Start at the console, sign in at the provider as `account`; the provider's answer and where it goes."""
    started = client.get(f"/console/login/oidc?next={next_path}", follow_redirects=False)
    assert started.status_code == 303
    return sign_in_at_provider(started.headers["location"], account), started.headers["location"]


def test_a_coordinator_signs_in_at_the_provider_and_lands_where_they_wanted(engine: Engine, client: TestClient):
    round_in_stage(engine, Stage.submission, slug="round-one")
    with Session(engine) as session:
        add_staff(session, COORDINATOR, StaffRole.coordinator, name="", rounds=[], actor="test", now=clock.now())
        session.commit()
    login_page = client.get("/console/login").text
    assert "Log in with Landes-Keycloak" in login_page
    answer, authorization = single_sign_on(client, COORDINATOR, "/console/rounds/round-one")
    sent = parse_qs(urlsplit(authorization).query)
    assert sent["code_challenge_method"] == ["S256"] and sent["redirect_uri"] == [f"{BASE}/console/login/oidc/callback"]
    back = client.get("/console/login/oidc/callback", params=answer, follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == "/console/rounds/round-one"
    assert client.get("/console").status_code == 200  # a coordinator without a password, by single sign-on only
    again = client.get("/console/login/oidc/callback", params=answer, follow_redirects=False)
    assert again.status_code == 401  # the pending sign-in is used up


def test_no_account_an_unverified_address_or_a_tampered_answer_gets_no_session(engine: Engine, client: TestClient):
    with Session(engine) as session:
        add_staff(session, COORDINATOR, StaffRole.coordinator, name="", rounds=[], actor="test", now=clock.now())
        session.commit()
    answer, _ = single_sign_on(client, "stranger@land.example")
    refused = client.get("/console/login/oidc/callback", params=answer, follow_redirects=False)
    assert refused.status_code == 403 and "no console account has that address" in refused.text

    answer, _ = single_sign_on(client, UNVERIFIED + COORDINATOR)
    assert client.get("/console/login/oidc/callback", params=answer, follow_redirects=False).status_code == 401

    answer, _ = single_sign_on(client, COORDINATOR)
    tampered = {**answer, "state": answer["state"][::-1]}
    assert client.get("/console/login/oidc/callback", params=tampered, follow_redirects=False).status_code == 401
    # the refused answer ended the pending sign-in: the real one coming after it opens nothing
    assert client.get("/console/login/oidc/callback", params=answer, follow_redirects=False).status_code == 401
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_without_a_provider_configured_there_is_no_single_sign_on(engine: Engine):
    with console_client(engine, public_base_url=BASE) as client:
        assert "Log in with" not in client.get("/console/login?lang=en").text
        assert client.get("/console/login/oidc", follow_redirects=False).status_code == 404
