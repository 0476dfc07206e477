"""Staff sign-in through OpenID Connect: the authorization code flow with PKCE, as a confidential client.

`OidcLogin.begin` gives the provider's address to send the browser to and a `PendingLogin` that the console
keeps (in its own signed cookie) until the provider sends the browser back to the redirect URI;
`OidcLogin.finish` checks that answer against it, redeems the code at the token endpoint, verifies the ID
token (signature, issuer, audience, times, nonce) and returns the person's verified identity. Staff are
matched by email, so an identity always carries an email address the provider has verified.

Every failure raises `OidcRefused`, whose reason is English for the log: people are shown a generic page.
The provider's discovery document and signing keys are read once per instance; the keys are read again,
once, when an ID token names a key that is not among them (the provider rotated its keys).
"""

import hmac
import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote_plus

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from config.settings import Settings

# A sign-in not finished within this time is refused: the browser went away, or someone replays an old one.
PENDING_LOGIN_SECONDS = 10 * 60
# Seconds to wait for the provider at each request; a provider that does not answer fails the sign-in.
HTTP_TIMEOUT_SECONDS = 10.0
# Clock difference tolerated between spr and the provider when checking the ID token's times.
CLOCK_LEEWAY_SECONDS = 60
# Signatures an ID token may carry: the provider's own keys only (no "none", and no HMAC with the client
# secret, which a provider's key set cannot verify).
SIGNING_ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519",
)  # fmt: skip
_DISCOVERY_PATH = "/.well-known/openid-configuration"


class OidcRefused(Exception):
    """The sign-in cannot be accepted; `reason` says why, for the log."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class VerifiedIdentity:
    """Who signed in, as the provider vouches: the verified email (lower-case) identifies the staff member."""

    email: str
    name: str | None
    subject: str
    issuer: str


@dataclass(frozen=True)
class PendingLogin:
    """What must be kept between sending the browser to the provider and its return: the state that ties the
    answer to this browser, the nonce the ID token must carry, the PKCE verifier of the code, and when the
    sign-in began (seconds since the epoch). Secret to the browser's owner: the console keeps it signed."""

    state: str
    nonce: str
    code_verifier: str
    issued_at: float

    def to_cookie(self) -> str:
        """The pending login as plain JSON (the console signs it before it leaves the server)."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_cookie(cls, value: str) -> "PendingLogin":
        """Read back what `to_cookie` wrote; OidcRefused when it is not such a value."""
        try:
            fields = json.loads(value)
        except ValueError:
            raise OidcRefused("the pending login is not JSON") from None
        if not isinstance(fields, dict) or set(fields) != {"state", "nonce", "code_verifier", "issued_at"}:
            raise OidcRefused("the pending login does not have the expected fields")
        texts = [fields["state"], fields["nonce"], fields["code_verifier"]]
        issued_at = fields["issued_at"]
        if not all(isinstance(text, str) and text for text in texts):
            raise OidcRefused("the pending login's state, nonce or code verifier is not a text")
        if not isinstance(issued_at, int | float) or isinstance(issued_at, bool) or not math.isfinite(issued_at):
            raise OidcRefused("the pending login's time is not a number")
        return cls(state=texts[0], nonce=texts[1], code_verifier=texts[2], issued_at=float(issued_at))


class OidcLogin:
    """Signs staff in at one OpenID Connect provider, as one registered confidential client.

    `http` is the client used for every request to the provider (one is made, and closed by `aclose`, when
    none is given); `clock` gives the time in seconds since the epoch.
    """

    def __init__(
        self,
        issuer: str,
        client_id: str,
        client_secret: str,
        scopes: str = "openid email profile",
        http: httpx.AsyncClient | None = None,
        *,
        timeout: float = HTTP_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.time,
    ):
        self.issuer = issuer
        self.client_id = client_id
        self._client_secret = client_secret
        self.scopes = " ".join(scopes.split())
        self._timeout = httpx.Timeout(timeout)
        self._http = http if http is not None else httpx.AsyncClient(timeout=self._timeout)
        self._owns_http = http is None
        self._clock = clock
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    async def aclose(self) -> None:
        """Close the HTTP client, if this instance made it."""
        if self._owns_http:
            await self._http.aclose()

    async def begin(self, redirect_uri: str) -> tuple[str, PendingLogin]:
        """The provider's authorization URL to send the browser to (with state, nonce and an S256 PKCE
        challenge), and the pending login to keep until the browser comes back to `redirect_uri`."""
        metadata = await self._discovery()
        pending = PendingLogin(
            state=generate_token(32),
            nonce=generate_token(32),
            code_verifier=generate_token(64),
            issued_at=self._clock(),
        )
        url = prepare_grant_uri(
            metadata["authorization_endpoint"],
            client_id=self.client_id,
            response_type="code",
            redirect_uri=redirect_uri,
            scope=self.scopes,
            state=pending.state,
            nonce=pending.nonce,
            code_challenge=create_s256_code_challenge(pending.code_verifier),
            code_challenge_method="S256",
        )
        return str(url), pending

    async def finish(self, redirect_uri: str, query: Mapping[str, str], pending: PendingLogin) -> VerifiedIdentity:
        """Check the provider's answer (the query of the request to `redirect_uri`) against the pending login,
        redeem its code and verify the ID token; the identity it vouches for, or OidcRefused."""
        age = self._clock() - pending.issued_at
        if age > PENDING_LOGIN_SECONDS:
            raise OidcRefused(f"the sign-in began {age:.0f} seconds ago, more than the 10 minutes allowed")
        if age < -CLOCK_LEEWAY_SECONDS:
            raise OidcRefused("the pending login was issued in the future")
        # The state ties the answer to the browser that began the sign-in: anything else may be forged.
        if not hmac.compare_digest(query.get("state", "").encode(), pending.state.encode()):
            raise OidcRefused("the state in the provider's answer does not match the pending login")
        if "error" in query:
            description = query.get("error_description", "")
            raise OidcRefused(f"the provider answered {query['error']!r}" + (f": {description}" if description else ""))
        metadata = await self._discovery()
        self._check_answer_issuer(query, metadata)
        code = query.get("code")
        if not code:
            raise OidcRefused("the provider's answer has no authorization code")
        tokens = await self._redeem(metadata, code, redirect_uri, pending.code_verifier)
        claims = await self._verified_id_token(tokens, pending.nonce)
        if "email" not in claims and isinstance(metadata.get("userinfo_endpoint"), str):
            # Some providers (oidc-provider by default) put profile claims only in the userinfo response.
            claims = {**await self._userinfo(metadata["userinfo_endpoint"], tokens, claims["sub"]), **claims}
        return _identity(claims, metadata["issuer"])

    def _check_answer_issuer(self, query: Mapping[str, str], metadata: Mapping[str, Any]) -> None:
        # RFC 9207: the answer names its issuer, so an answer from another provider cannot be passed off as
        # this one's (a mix-up attack).
        if "iss" in query:
            if query["iss"] != metadata["issuer"]:
                raise OidcRefused(f"the answer comes from issuer {query['iss']!r}, not {metadata['issuer']!r}")
        elif metadata.get("authorization_response_iss_parameter_supported") is True:
            raise OidcRefused("the provider promises to name itself in its answer, and this answer does not")

    async def _discovery(self) -> dict[str, Any]:
        if self._metadata is None:
            url = self.issuer.rstrip("/") + _DISCOVERY_PATH
            metadata = await self._get_json(url, "the discovery document")
            # OpenID Connect Discovery 1.0, 4.3: the document must name the issuer it was read from.
            if not isinstance(metadata.get("issuer"), str) or metadata["issuer"].rstrip("/") != self.issuer.rstrip("/"):
                raise OidcRefused(f"the discovery document at {url} names issuer {metadata.get('issuer')!r}")
            for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(metadata.get(endpoint), str):
                    raise OidcRefused(f"the discovery document at {url} has no {endpoint}")
            self._metadata = metadata
        return self._metadata

    async def _key_set(self, *, again: bool = False) -> KeySet:
        if self._keys is None or again:
            metadata = await self._discovery()
            document = await self._get_json(metadata["jwks_uri"], "the provider's signing keys")
            try:
                self._keys = KeySet.import_key_set(document)  # type: ignore[arg-type]  # checked by joserfc
            except (JoseError, ValueError, KeyError, TypeError) as error:
                raise OidcRefused(f"the provider's signing keys cannot be read: {error!r}") from None
        return self._keys

    async def _redeem(self, metadata: Mapping[str, Any], code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        methods = metadata.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
        auth: httpx.Auth | None = None
        if isinstance(methods, list) and "client_secret_basic" not in methods and "client_secret_post" in methods:
            form |= {"client_id": self.client_id, "client_secret": self._client_secret}
        else:
            # RFC 6749, 2.3.1: the id and secret are form-encoded before they go into the Basic header.
            auth = httpx.BasicAuth(quote_plus(self.client_id), quote_plus(self._client_secret))
        response = await self._request("POST", metadata["token_endpoint"], "the token endpoint", data=form, auth=auth)
        body = _json_object(response)
        if response.status_code != 200:
            error = (body or {}).get("error", f"HTTP {response.status_code}")
            description = (body or {}).get("error_description")
            explained = f"{error} ({description})" if description else str(error)
            raise OidcRefused(f"the token endpoint refused the code: {explained}")
        if body is None or not isinstance(body.get("id_token"), str):
            raise OidcRefused("the token endpoint's answer has no ID token")
        return body

    async def _verified_id_token(self, tokens: Mapping[str, Any], nonce: str) -> dict[str, Any]:
        id_token: str = tokens["id_token"]
        try:
            try:
                token = jwt.decode(id_token, await self._key_set(), algorithms=SIGNING_ALGORITHMS)
            except InvalidKeyIdError:  # signed with a key the cached set lacks: the provider rotated its keys
                token = jwt.decode(id_token, await self._key_set(again=True), algorithms=SIGNING_ALGORITHMS)
        except (JoseError, ValueError) as error:
            raise OidcRefused(f"the ID token's signature cannot be verified: {error!r}") from None
        issuer = (await self._discovery())["issuer"]
        access_token = tokens.get("access_token")
        claims = CodeIDToken(
            token.claims,
            token.header,
            options={
                "iss": {"essential": True, "value": issuer},
                "aud": {"essential": True, "value": self.client_id},
                "sub": {"essential": True},
            },
            params={
                "nonce": nonce,
                "client_id": self.client_id,
                "access_token": access_token if isinstance(access_token, str) else None,
            },
        )
        try:
            claims.validate(now=int(self._clock()), leeway=CLOCK_LEEWAY_SECONDS)
        except (JoseError, ValueError) as error:
            raise OidcRefused(f"the ID token is not valid: {error!r}") from None
        return dict(token.claims)

    async def _userinfo(self, url: str, tokens: Mapping[str, Any], subject: str) -> dict[str, Any]:
        access_token = tokens.get("access_token")
        if not isinstance(access_token, str):
            raise OidcRefused("the ID token has no email and the token endpoint gave no access token to ask for it")
        headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        response = await self._request("GET", url, "the userinfo endpoint", headers=headers)
        body = _json_object(response)
        if response.status_code != 200 or body is None:
            raise OidcRefused(f"the userinfo endpoint answered HTTP {response.status_code} without a JSON object")
        # OpenID Connect Core 5.3.2: claims about another subject must not be used.
        if body.get("sub") != subject:
            raise OidcRefused("the userinfo endpoint speaks of another subject than the ID token")
        return body

    async def _get_json(self, url: str, what: str) -> dict[str, Any]:
        response = await self._request("GET", url, what, headers={"Accept": "application/json"})
        body = _json_object(response)
        if response.status_code != 200 or body is None:
            raise OidcRefused(f"{what} at {url} answered HTTP {response.status_code} without a JSON object")
        return body

    async def _request(self, method: str, url: str, what: str, **arguments: Any) -> httpx.Response:
        try:
            return await self._http.request(method, url, timeout=self._timeout, **arguments)
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise OidcRefused(f"{what} at {url} cannot be reached: {error!r}") from None


def oidc_login_from(settings: Settings) -> OidcLogin | None:
    """The sign-in at the provider the settings name (SPR_OIDC_*), or None when single sign-on is not set up."""
    if settings.oidc_issuer is None or settings.oidc_client_id is None or settings.oidc_client_secret is None:
        return None
    return OidcLogin(
        settings.oidc_issuer,
        settings.oidc_client_id,
        settings.oidc_client_secret.get_secret_value(),
        settings.oidc_scopes,
    )


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _identity(claims: Mapping[str, Any], issuer: str) -> VerifiedIdentity:
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise OidcRefused("the provider gave no email address (is the email scope granted?)")
    # Staff are matched by email, so only an address the provider has verified may identify anyone.
    if claims.get("email_verified") is not True:
        raise OidcRefused(f"the provider has not verified the email address {email!r}")
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [claims.get("given_name"), claims.get("family_name")]
        name = " ".join(part for part in parts if isinstance(part, str) and part.strip()) or None
    return VerifiedIdentity(email=email.strip().lower(), name=name, subject=str(claims["sub"]), issuer=issuer)
