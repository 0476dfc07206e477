"""Staff sign-in through OpenID Connect, against a real provider (oidc-provider under node, on loopback)."""

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from config.settings import Settings
from portal.console.oidc import (
    PENDING_LOGIN_SECONDS,
    OidcLogin,
    OidcRefused,
    PendingLogin,
    VerifiedIdentity,
    oidc_login_from,
)
from tests.support.oidc import UNVERIFIED, OidcProvider, free_port, running_provider, sign_in_at_provider

STAFF = "coordinator@example.org"


class Clock:
    """A clock the test moves: the pending login's age is measured on it."""

    def __init__(self) -> None:
        self.seconds = 1_900_000_000.0

    def __call__(self) -> float:
        return self.seconds


def login_at(
    provider: OidcProvider,
    *,
    secret: str | None = None,
    clock: Clock | None = None,
    http: httpx.AsyncClient | None = None,
) -> OidcLogin:
    return OidcLogin(
        provider.issuer,
        provider.client_id,
        secret or provider.client_secret,
        "openid email profile",
        http,
        clock=clock or time.time,
    )


def begin(provider: OidcProvider, **options: object) -> tuple[str, PendingLogin]:
    async def run() -> tuple[str, PendingLogin]:
        login = login_at(provider, **options)  # type: ignore[arg-type]
        try:
            return await login.begin(provider.redirect_uri)
        finally:
            await login.aclose()

    return asyncio.run(run())


def finish(provider: OidcProvider, query: dict[str, str], pending: PendingLogin, **options: object) -> VerifiedIdentity:
    async def run() -> VerifiedIdentity:
        login = login_at(provider, **options)  # type: ignore[arg-type]
        try:
            return await login.finish(provider.redirect_uri, query, pending)
        finally:
            await login.aclose()

    return asyncio.run(run())


def test_staff_sign_in_and_the_provider_vouches_for_their_verified_email(oidc_provider):
    url, pending = begin(oidc_provider)
    asked = parse_qs(urlsplit(url).query)
    assert asked["code_challenge_method"] == ["S256"] and asked["state"] == [pending.state]
    assert asked["nonce"] == [pending.nonce] and asked["redirect_uri"] == [oidc_provider.redirect_uri]
    assert "code_verifier" not in asked and pending.code_verifier not in url
    # The pending login travels in the console's cookie: it comes back as it went.
    pending = PendingLogin.from_cookie(pending.to_cookie())

    query = sign_in_at_provider(url, "Coordinator@Example.org")
    identity = finish(oidc_provider, query, pending)

    assert identity == VerifiedIdentity(
        email=STAFF, name="Staff Coordinator", subject="Coordinator@Example.org", issuer=oidc_provider.issuer
    )


def test_a_tampered_state_is_refused(oidc_provider):
    url, pending = begin(oidc_provider)
    query = sign_in_at_provider(url, STAFF)
    with pytest.raises(OidcRefused, match="state"):
        finish(oidc_provider, {**query, "state": query["state"][:-1] + "x"}, pending)
    # The answer meant for another browser's sign-in does not fit this one's either.
    _, other_pending = begin(oidc_provider)
    with pytest.raises(OidcRefused, match="state"):
        finish(oidc_provider, query, other_pending)


def test_a_code_is_redeemed_once(oidc_provider):
    url, pending = begin(oidc_provider)
    query = sign_in_at_provider(url, STAFF)
    assert finish(oidc_provider, query, pending).email == STAFF
    with pytest.raises(OidcRefused, match="token endpoint refused the code: invalid_grant"):
        finish(oidc_provider, query, pending)


def test_an_email_the_provider_has_not_verified_is_refused(oidc_provider):
    url, pending = begin(oidc_provider)
    query = sign_in_at_provider(url, UNVERIFIED + STAFF)
    with pytest.raises(OidcRefused, match=r"not verified the email address 'coordinator@example.org'"):
        finish(oidc_provider, query, pending)


def test_a_sign_in_older_than_ten_minutes_is_refused(oidc_provider):
    clock = Clock()
    url, pending = begin(oidc_provider, clock=clock)
    query = sign_in_at_provider(url, STAFF)
    clock.seconds += PENDING_LOGIN_SECONDS + 1
    with pytest.raises(OidcRefused, match="more than the 10 minutes allowed"):
        finish(oidc_provider, query, pending, clock=clock)


def test_a_sign_in_within_ten_minutes_is_accepted(oidc_provider):
    # The ID token's times are checked on the same clock, so this one follows the real time.
    started = time.time()
    url, pending = begin(oidc_provider)
    query = sign_in_at_provider(url, STAFF)
    late = PendingLogin(pending.state, pending.nonce, pending.code_verifier, started - PENDING_LOGIN_SECONDS + 30)
    assert finish(oidc_provider, query, late).email == STAFF


def test_a_wrong_client_secret_is_refused(oidc_provider):
    url, pending = begin(oidc_provider)
    query = sign_in_at_provider(url, STAFF)
    with pytest.raises(OidcRefused, match="token endpoint refused the code: invalid_client"):
        finish(oidc_provider, query, pending, secret="not-the-secret")


def test_an_id_token_for_another_sign_in_is_refused(oidc_provider):
    # Same state and code verifier, another nonce: the code is redeemed, and its ID token does not fit.
    url, pending = begin(oidc_provider)
    query = sign_in_at_provider(url, STAFF)
    replayed = PendingLogin(pending.state, "another-nonce", pending.code_verifier, pending.issued_at)
    with pytest.raises(OidcRefused, match=r"ID token is not valid.*nonce"):
        finish(oidc_provider, query, replayed)


def test_a_wrong_code_verifier_is_refused(oidc_provider):
    url, pending = begin(oidc_provider)
    query = sign_in_at_provider(url, STAFF)
    stolen = PendingLogin(pending.state, pending.nonce, "x" * 64, pending.issued_at)
    with pytest.raises(OidcRefused, match="invalid_grant"):
        finish(oidc_provider, query, stolen)


def test_an_error_from_the_provider_is_refused(oidc_provider):
    _, pending = begin(oidc_provider)
    answer = {"error": "access_denied", "error_description": "End-User aborted interaction", "state": pending.state}
    with pytest.raises(OidcRefused, match="'access_denied': End-User aborted interaction"):
        finish(oidc_provider, {**answer, "iss": oidc_provider.issuer}, pending)


def test_an_answer_naming_another_issuer_is_refused(oidc_provider):
    url, pending = begin(oidc_provider)
    query = sign_in_at_provider(url, STAFF)
    with pytest.raises(OidcRefused, match=r"comes from issuer 'https://elsewhere.example.org'"):
        finish(oidc_provider, {**query, "iss": "https://elsewhere.example.org"}, pending)
    without_issuer = {name: value for name, value in query.items() if name != "iss"}
    with pytest.raises(OidcRefused, match="does not"):
        finish(oidc_provider, without_issuer, pending)


class Recorder:
    """An HTTP client for OidcLogin that notes the path of every request it makes to the provider."""

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.paths: list[str] = []
        self.http = httpx.AsyncClient(transport=transport, event_hooks={"request": [self._note]})

    async def _note(self, request: httpx.Request) -> None:
        self.paths.append(request.url.path)


async def sign_in(login: OidcLogin, provider: OidcProvider, account: str = STAFF) -> VerifiedIdentity:
    url, pending = await login.begin(provider.redirect_uri)
    query = sign_in_at_provider(url, account)
    return await login.finish(provider.redirect_uri, query, pending)


def test_discovery_and_keys_are_read_once_and_the_email_comes_from_userinfo(oidc_provider):
    # oidc-provider, as the standard has it for the code flow, gives email and name at userinfo only.
    recorder = Recorder()

    async def run() -> list[VerifiedIdentity]:
        async with recorder.http:
            login = OidcLogin(
                oidc_provider.issuer, oidc_provider.client_id, oidc_provider.client_secret, http=recorder.http
            )
            return [await sign_in(login, oidc_provider), await sign_in(login, oidc_provider, "observer@example.org")]

    assert [identity.email for identity in asyncio.run(run())] == [STAFF, "observer@example.org"]
    discovery = "/.well-known/openid-configuration"
    assert recorder.paths == [discovery, "/token", "/jwks", "/me", "/token", "/me"]


def test_claims_in_the_id_token_need_no_userinfo_request(tmp_path: Path):
    recorder = Recorder()

    async def run(provider: OidcProvider) -> VerifiedIdentity:
        async with recorder.http:
            login = login_at(provider, http=recorder.http)
            return await sign_in(login, provider)

    with running_provider(tmp_path, claims_in_id_token=True) as provider:
        identity = asyncio.run(run(provider))
    assert (identity.email, identity.name) == (STAFF, "Staff coordinator")
    assert recorder.paths == ["/.well-known/openid-configuration", "/token", "/jwks"]


def test_keys_the_provider_rotated_to_are_read_again(tmp_path: Path):
    port = free_port()
    recorder = Recorder()

    async def run() -> list[VerifiedIdentity]:
        async with recorder.http:
            identities = []
            with running_provider(tmp_path, port=port, signing_key_id="first", claims_in_id_token=True) as provider:
                login = login_at(provider, http=recorder.http)
                identities.append(await sign_in(login, provider))
            # The provider starts again with a new key: the one spr read before no longer verifies its tokens.
            with running_provider(tmp_path, port=port, signing_key_id="second", claims_in_id_token=True) as provider:
                identities.append(await sign_in(login, provider))
            return identities

    assert [identity.email for identity in asyncio.run(run())] == [STAFF, STAFF]
    assert recorder.paths == ["/.well-known/openid-configuration", "/token", "/jwks", "/token", "/jwks"]


class ForgedSignature(httpx.AsyncBaseTransport):
    """Passes requests on to the provider and changes the signature of the ID token it answers with."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path != "/token":
            return response
        body = json.loads(await response.aread())
        header, payload, signature = body["id_token"].split(".")
        body["id_token"] = ".".join([header, payload, ("A" if signature[0] != "A" else "B") + signature[1:]])
        return httpx.Response(response.status_code, json=body)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_an_id_token_with_a_forged_signature_is_refused(oidc_provider):
    recorder = Recorder(ForgedSignature())

    async def run() -> VerifiedIdentity:
        async with recorder.http:
            login = OidcLogin(
                oidc_provider.issuer, oidc_provider.client_id, oidc_provider.client_secret, http=recorder.http
            )
            return await sign_in(login, oidc_provider)

    with pytest.raises(OidcRefused, match="signature cannot be verified: BadSignatureError"):
        asyncio.run(run())


@pytest.mark.parametrize(
    "cookie",
    ["not json", "[]", '{"state": "s", "nonce": "n", "code_verifier": "v"}',
     '{"state": "s", "nonce": 1, "code_verifier": "v", "issued_at": 1}',
     '{"state": "s", "nonce": "n", "code_verifier": "v", "issued_at": "yesterday"}',
     '{"state": "s", "nonce": "n", "code_verifier": "v", "issued_at": NaN}'],
)  # fmt: skip
def test_an_unreadable_pending_login_is_refused(cookie):
    with pytest.raises(OidcRefused, match="pending login"):
        PendingLogin.from_cookie(cookie)


@pytest.fixture
def silent_issuer() -> Iterator[str]:
    """An address that accepts connections and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_an_issuer_that_does_not_answer_is_refused_after_the_timeout(silent_issuer):
    async def run() -> None:
        login = OidcLogin(silent_issuer, "spr-console", "secret", timeout=0.5)
        try:
            await login.begin("http://127.0.0.1:8000/console/login/oidc/callback")
        finally:
            await login.aclose()

    with pytest.raises(OidcRefused, match=r"discovery document .* cannot be reached: ReadTimeout"):
        asyncio.run(run())


def test_the_settings_name_the_provider_or_turn_single_sign_on_off(oidc_provider):
    assert oidc_login_from(Settings(_env_file=None)) is None
    settings = Settings(
        _env_file=None,
        oidc_issuer=oidc_provider.issuer,
        oidc_client_id=oidc_provider.client_id,
        oidc_client_secret=oidc_provider.client_secret,
        oidc_scopes="openid  email",
    )

    async def run() -> VerifiedIdentity:
        login = oidc_login_from(settings)
        assert login is not None and login.scopes == "openid email"
        try:
            return await sign_in(login, oidc_provider)
        finally:
            await login.aclose()

    identity = asyncio.run(run())
    assert (identity.email, identity.name) == (STAFF, None)  # no profile scope, no name
