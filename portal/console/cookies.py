"""The console's cookies: signed with the store's secret key, HttpOnly, SameSite=Lax, and Secure (with the
`__Host-` prefix, which browsers bind to this host and path /) whenever the portal is reached over TLS."""

import base64
import hashlib
import hmac
from dataclasses import dataclass

from fastapi import Request, Response


@dataclass(frozen=True)
class ConsoleCookies:
    """Names and flags of the console's cookies for one installation."""

    secret: bytes
    secure: bool  # the public base URL is https: the browser sends the cookies over TLS only

    def name(self, purpose: str) -> str:
        return f"__Host-spr-{purpose}" if self.secure else f"spr-{purpose}"

    def read(self, request: Request, purpose: str) -> str | None:
        """The value of a cookie this console set, or None if it is missing or its signature does not match."""
        raw = request.cookies.get(self.name(purpose))
        if raw is None or "." not in raw:
            return None
        encoded, signature = raw.rsplit(".", 1)
        if not same_token(signature, self._signature(purpose, encoded)):
            return None
        try:
            return base64.urlsafe_b64decode(encoded.encode() + b"=" * (-len(encoded) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            return None

    def write(self, response: Response, purpose: str, value: str, max_age: int | None = None) -> None:
        """Set a signed cookie; without `max_age` it lasts as long as the browser runs."""
        encoded = base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")
        response.set_cookie(
            self.name(purpose),
            f"{encoded}.{self._signature(purpose, encoded)}",
            max_age=max_age,
            path="/",
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )

    def clear(self, response: Response, purpose: str) -> None:
        response.delete_cookie(self.name(purpose), path="/", secure=self.secure, httponly=True, samesite="lax")

    def _signature(self, purpose: str, encoded: str) -> str:
        # The purpose is signed too: a value signed for one cookie is worthless in another.
        mac = hmac.new(self.secret, f"console-cookie:{purpose}:{encoded}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def derived_token(secret: bytes, purpose: str, value: str) -> str:
    """A value bound to another one by the secret key: the CSRF token of a session, say."""
    return hmac.new(secret, f"console:{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def same_token(sent: str | None, expected: str) -> bool:
    """Whether a token sent by the browser is the expected one, in constant time; anything that is not even
    text of the right kind (a cookie of non-ASCII characters, say) is not."""
    if sent is None:
        return False
    try:
        return hmac.compare_digest(sent.encode(), expected.encode())
    except UnicodeEncodeError:
        return False
