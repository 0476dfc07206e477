"""A real OpenID Connect provider for the tests, and a browser that signs in at it.

`oidc_provider` (session-scoped) runs the npm package oidc-provider (a certified implementation) under node on
a free loopback port, with one confidential client; `running_provider` starts one for a single test.
`.ci/run` installs the package into .oidc-provider/ (OIDC_PROVIDER_MODULES points elsewhere). Without node or
the package the fixture fails, saying how to install them: sign-in is not something to skip silently.

`sign_in_at_provider` plays the browser: it follows the authorization URL, signs in on the provider's
development login form as the given account (an email address, verified; "unverified-<email>" for an address
the provider has not verified), consents, and returns the query the provider sends back to the redirect URI.
"""

import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_SCRIPT = Path(__file__).resolve().parent / "oidc_provider" / "provider.mjs"
# .ci/run: npm install --prefix .oidc-provider oidc-provider@9.13.3
PROVIDER_MODULES = Path(os.environ.get("OIDC_PROVIDER_MODULES", ROOT / ".oidc-provider" / "node_modules"))
INSTALL = (
    "npm install --prefix .oidc-provider --no-save --no-package-lock --no-audit --no-fund --silent oidc-provider@9.13.3"
)
REDIRECT_URI = "http://127.0.0.1:8000/console/login/oidc/callback"
UNVERIFIED = "unverified-"
_START_SECONDS = 30.0


@dataclass(frozen=True)
class OidcProvider:
    """The running provider and the client registered at it."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str


def free_port() -> int:
    """A loopback port nothing listens on just now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _discovery_answers(issuer: str) -> bool:
    try:
        return httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=2.0).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def running_provider(
    folder: Path,
    *,
    port: int | None = None,
    signing_key_id: str | None = None,
    claims_in_id_token: bool = False,
    redirect_uri: str = REDIRECT_URI,
) -> Iterator[OidcProvider]:
    """oidc-provider on loopback (on `port`, or a free one) until the block ends; `signing_key_id` gives it a
    new signing key of that id, `claims_in_id_token` puts email and name into the ID token as Keycloak does;
    `redirect_uri` is the console's callback registered for the client (a portal on another port, say)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (apt-get install nodejs npm); the sign-in tests need it")
    if not (PROVIDER_MODULES / "oidc-provider" / "package.json").is_file():
        pytest.fail(f"oidc-provider is not installed in {PROVIDER_MODULES} ({INSTALL})")
    port = port or free_port()
    provider = OidcProvider(
        issuer=f"http://127.0.0.1:{port}",
        client_id="spr-console",
        client_secret="a-client-secret-for-the-tests-only",
        redirect_uri=redirect_uri,
    )
    environment = {
        **os.environ,
        "OIDC_PROVIDER_PORT": str(port),
        "OIDC_PROVIDER_MODULES": str(PROVIDER_MODULES),
        "OIDC_CLIENT_ID": provider.client_id,
        "OIDC_CLIENT_SECRET": provider.client_secret,
        "OIDC_REDIRECT_URIS": provider.redirect_uri,
        "OIDC_SIGNING_KEY_ID": signing_key_id or "",
        "OIDC_CLAIMS_IN_ID_TOKEN": "1" if claims_in_id_token else "",
    }
    log = folder / f"oidc-provider-{port}-{time.monotonic_ns()}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [node, str(PROVIDER_SCRIPT)], env=environment, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT
        )
    try:
        deadline = time.monotonic() + _START_SECONDS
        while not _discovery_answers(provider.issuer):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"oidc-provider did not start:\n{log.read_text(encoding='utf-8', errors='replace')}")
            time.sleep(0.1)
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    """oidc-provider running on loopback with one confidential client, for the whole test run."""
    with running_provider(tmp_path_factory.mktemp("oidc-provider")) as provider:
        yield provider


# The development interactions' forms: where they post to, and which prompt (login or consent) they answer.
_FORM = re.compile(
    r'<form[^>]*action="(?P<action>[^"]+)"[^>]*method="post".*?name="prompt" value="(?P<prompt>\w+)"',
    re.S,
)


def sign_in_at_provider(authorization_url: str, account: str, redirect_uri: str = REDIRECT_URI) -> dict[str, str]:
    """Follow the authorization URL as a browser would, sign in as `account` and consent; the query of the
    provider's redirect to `redirect_uri` (which is not followed: no server listens there)."""
    with httpx.Client(timeout=10.0) as browser:
        response = browser.get(authorization_url)
        for _ in range(12):
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["location"])
                if location.startswith(redirect_uri):
                    return dict(parse_qsl(urlsplit(location).query))
                response = browser.get(location)
                continue
            form = _FORM.search(response.text) if response.status_code == 200 else None
            if form is None:
                raise AssertionError(f"the provider showed no sign-in step ({response.status_code}):\n{response.text}")
            fields = {"prompt": form["prompt"]}
            if form["prompt"] == "login":
                fields |= {"login": account, "password": "any password: the development login checks none"}
            response = browser.post(urljoin(str(response.url), form["action"]), data=fields)
    raise AssertionError("the provider never sent the browser back to the redirect URI")
