"""What every response carries, and what every request must respect: headers, size limits, CSRF."""

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    """Adds the security headers to every response (a plain ASGI middleware: cheap on every request)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    header for header in SECURITY_HEADERS if header[0] not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RefuseNul:
    """Answers an address with a NUL byte (%00) with `on_refused`: no page has one, PostgreSQL refuses it in a
    query, and SQLite would look it up as it came."""

    def __init__(self, app: ASGIApp, on_refused: Any):
        self.app, self.on_refused = app, on_refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")):
            await self.on_refused(scope, receive, send)
            return
        await self.app(scope, receive, send)


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Refuses request bodies over `max_bytes` with 413, whether or not the client declared their length;
    `larger_for` raises the limit for a few paths named exactly (an upload of files), and for no other."""

    def __init__(self, app: ASGIApp, max_bytes: int, on_too_large: Any, larger_for: Mapping[str, int] | None = None):
        self.app, self.max_bytes, self.on_too_large = app, max_bytes, on_too_large
        self.larger_for = dict(larger_for or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.larger_for.get(scope["path"], self.max_bytes)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await self.on_too_large(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self.on_too_large(scope, receive, send)


def csrf_token(secret: bytes, token_hash: str) -> str:
    """The value a form must send back: bound to the link, unguessable without the server's secret."""
    return hmac.new(secret, f"csrf:{token_hash}".encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, token_hash: str, sent: str | None) -> bool:
    return sent is not None and hmac.compare_digest(csrf_token(secret, token_hash), sent)


def same_origin(headers: Mapping[str, str]) -> bool:
    """Whether a POST comes from this site's own pages; the CSRF token is checked as well.

    Browsers say where a form came from in Sec-Fetch-Site, and in Origin; with `Referrer-Policy: no-referrer`
    a same-site form sends `Origin: null`, so Sec-Fetch-Site decides where it is present.
    """
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = headers.get("origin")
    if origin is None or origin == "null":
        return True
    return origin.split("://", 1)[-1] == headers.get("host", "")
