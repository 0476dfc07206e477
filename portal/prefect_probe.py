"""Asking a Prefect API whether it answers (GET {api}/health), with the user name and password a URL may
carry sent as a header, never shown. /health uses it, and so do the commands that look for a Prefect server.
No web framework here: the command line imports it too."""

import urllib.error
import urllib.request
from base64 import b64encode
from urllib.parse import unquote, urlsplit, urlunsplit


def split_credentials(url: str) -> tuple[str, str | None]:
    """The URL without user name, password and query, and the Basic authorisation header they make, if any.

    A URL that cannot be taken apart is kept (minus anything before an @) for /health to report as failing.
    """
    try:
        parts = urlsplit(url)
        user, password = parts.username, parts.password
    except ValueError:
        return url.rpartition("@")[2], None
    bare = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2], query=""))
    if user is None and password is None:
        return bare, None
    credentials = f"{unquote(user or '')}:{unquote(password or '')}"
    return bare, "Basic " + b64encode(credentials.encode()).decode()


def prefect_problem(api_url: str, authorization: str | None, timeout: float) -> str | None:
    """Why the Prefect API at `api_url` (without credentials) does not answer its health check; None if it does."""
    try:
        request = urllib.request.Request(f"{api_url}/health")
        if authorization:
            request.add_header("Authorization", authorization)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(1024)
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except Exception as error:  # refused, timed out, no such host, not a URL: all say Prefect cannot be asked
        return str(getattr(error, "reason", None) or error)
    return None
