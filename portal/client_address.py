"""Which address a request comes from: one rule for the console's login throttle and the portal's limits on
guessing links.

uvicorn decides it (`spr serve` runs it with proxy_headers on): a request from an address in
FORWARDED_ALLOW_IPS (uvicorn's setting, 127.0.0.1 unless set) is a trusted reverse proxy's, and the client is
the address that proxy names in X-Forwarded-For; any other request's client is the address it came from, and
whatever X-Forwarded-For it sends is ignored.
"""

from starlette.requests import HTTPConnection


def request_address(request: HTTPConnection) -> str:
    """The client's address (uvicorn puts a trusted proxy's X-Forwarded-For here)."""
    return request.client.host if request.client else "unknown"
