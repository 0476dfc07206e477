"""Personal links that open nothing, the security headers, CSRF, size limits, and no crossing between people."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from review_model.tables import AccessToken, Submission
from review_model.tokens import derive_token, hash_token, revoke_link
from tests.portal.conftest import COMPLETE, SECRET

ANNA = "anna@auenburg.example"
BEN = "ben@nordhaven.example"
HEADERS = {
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
}


def invalid_page_of(response) -> str:
    return response.text


def test_unknown_tampered_malformed_and_wrong_purpose_links_look_alike(world):
    token = world.form(ANNA).rsplit("/", 1)[1]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    cases = {
        "unknown": "/a/" + "x" * 43,
        "tampered": "/a/" + tampered,
        "malformed": "/a/not-a-token",
        "wrong purpose": "/r/" + token,
        "no such page": "/nowhere",
    }
    bodies = set()
    for name, path in cases.items():
        response = world.client.get(path)
        assert response.status_code == 404, name
        assert "Dieser Link ist nicht gültig" in response.text, name
        bodies.add(response.text)
    assert len(bodies) == 1  # nothing tells an existing token from a made-up one


def test_a_revoked_link_looks_unknown_and_a_new_one_works(world):
    with Session(world.engine) as session:
        access = session.exec(
            select(AccessToken).where(AccessToken.token_hash == hash_token(world.form(ANNA)[3:]))
        ).one()
        revoke_link(access, datetime.now(UTC))
        session.commit()
    response = world.client.get(world.form(ANNA))
    assert response.status_code == 404 and "nicht gültig" in response.text


def test_an_expired_link_says_so_and_names_the_coordinator(world):
    with Session(world.engine) as session:
        for access in session.exec(select(AccessToken)).all():
            access.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        session.commit()
    english = world.client.get(world.form(BEN) + "?lang=en")
    assert english.status_code == 410
    assert "This link has expired" in english.text and "gs@peer-review.example" in english.text
    assert world.client.post(world.form(ANNA), data={"csrf": "x"}).status_code == 410


def test_links_are_derived_and_only_their_hash_is_stored(world):
    token = world.form(ANNA)[3:]
    with Session(world.engine) as session:
        stored = session.exec(select(AccessToken).where(AccessToken.token_hash == hash_token(token))).one()
        everything = " ".join(
            str(value) for row in session.exec(select(AccessToken)).all() for value in row.model_dump().values()
        )
    assert token not in everything
    assert derive_token(SECRET.encode(), stored.nonce) == token
    assert derive_token(b"another secret of at least thirty-two bytes", stored.nonce) != token


@pytest.mark.parametrize("path", ["/health", "/", "/a/" + "x" * 43, "FORM"])
def test_every_response_carries_the_security_headers(world, path):
    response = world.client.get(world.form(ANNA) if path == "FORM" else path)
    for name, value in HEADERS.items():
        assert response.headers[name] == value, (path, name)
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "script-src" not in policy


def test_health(world):
    body = world.client.get("/health").json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["problems"] == []
    assert body["rounds"] == [
        {"slug": "portal-test", "stage": "submission", "last_advanced_at": None, "overdue": False}
    ]


def test_csrf_and_origin_are_checked_on_every_post(world):
    form = world.form(ANNA)
    missing = world.client.post(form, data={"action": "save", **COMPLETE})
    wrong = world.client.post(form, data={"action": "save", "csrf": "0" * 64, **COMPLETE})
    bens = world.client.post(form, data={"action": "save", "csrf": world.csrf(BEN), **COMPLETE})
    good = {"action": "save", "csrf": world.csrf(ANNA), **COMPLETE}
    foreign = world.client.post(form, data=good, headers={"Origin": "https://evil.example"})
    cross_site = world.client.post(form, data=good, headers={"Sec-Fetch-Site": "cross-site"})
    for response in (missing, wrong, bens, foreign, cross_site):
        assert response.status_code == 403
        assert "abgelehnt" in response.text
    with Session(world.engine) as session:
        assert session.exec(select(Submission)).all() == []
    same = world.client.post(form, data=good, headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert same.status_code == 303


def test_oversized_requests_are_refused(world):
    huge = {"csrf": world.csrf(ANNA), "action": "save", "facts.staerken": "x" * (600 * 1024)}
    response = world.client.post(world.form(ANNA), data=huge)
    assert response.status_code == 413 and "Zu viel Text" in response.text


def test_no_page_shows_another_participant_anything(world):
    secret_answer = "Nur für Anna bestimmt"
    world.post(ANNA, {**COMPLETE, "facts.staerken": secret_answer}, action="submit")
    bens_page = world.client.get(world.form(BEN)).text
    assert secret_answer not in bens_page
    assert "Stadt Auenburg" not in bens_page and "anna@auenburg.example" not in bens_page
    annas_page = world.client.get(world.form(ANNA)).text
    assert secret_answer in annas_page and "Hansestadt Nordhaven" not in annas_page
