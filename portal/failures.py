"""What the portal says when the store fails (down, read-only, disk full) or anything else goes wrong.

A participant then reads a page in their language, with the security headers, that says their typed answers
were not saved; where the store can still be read, the form pages show the form again with what was typed
(portal.form_pages.guarded_post).
"""

import errno
import shutil
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, InternalError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from config.translations import gettext_for
from portal.rendering import message_page, page_language
from portal.security import SECURITY_HEADERS

# What a store that is down, read-only, full or overloaded raises; a retry a few minutes later may succeed.
# (PostgreSQL's "read-only transaction" is an InternalError; "disk full" and "connection refused" are
# OperationalErrors, as are SQLite's "readonly database" and "database or disk is full".)
STORE_UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError, InternalError, PoolTimeout)
RETRY_AFTER_SECONDS = 120
MIN_FREE_BYTES = 10 * 1024 * 1024  # a save takes kilobytes; with less than this left, saves soon fail


def request_language(request: Request) -> str:
    """The language of the page that failed: the form's (kept by the route), the link's, or German."""
    language = getattr(request.state, "language", None) or request.query_params.get("lang")
    return language if language in ("de", "en") else "de"


def unavailable_page(language: str) -> HTMLResponse:
    """503: the store cannot take the request now; nothing typed was saved."""
    _ = gettext_for(page_language(language), "portal")
    return form_kept(message_page(language, _("Temporarily unavailable"), _not_saved(language, back=True), 503))


def form_kept(response: HTMLResponse) -> HTMLResponse:
    """A form shown again because the store failed to save it: 503, try again later."""
    response.headers["retry-after"] = str(RETRY_AFTER_SECONDS)
    return response


def unsaved_notice(language: str) -> list[dict[str, str]]:
    """The notice above a form shown again after the store failed to save it."""
    return [{"kind": "error", "text": _not_saved(language, back=False)}]


def _not_saved(language: str, back: bool) -> str:
    """That nothing typed was saved, and what to do; with `back`, how to get to what was typed (on a page that
    no longer shows the form)."""
    _ = gettext_for(page_language(language), "portal")
    if back:
        return _(
            "Your typed answers were not saved. Please try again in a few minutes. Your browser's back button takes "
            "you back to what you typed."
        )
    return _("Your typed answers were not saved. Please try again in a few minutes.")


def server_error_page(language: str) -> HTMLResponse:
    """500 for an unexpected error. Starlette answers it outside every middleware, so the headers go on here."""
    _ = gettext_for(page_language(language), "portal")
    response = message_page(language, _("Something went wrong"), _not_saved(language, back=True), 500)
    for name, value in SECURITY_HEADERS:
        response.headers[name.decode()] = value.decode()
    return response


def check_store_writable(engine: Engine) -> None:
    """Raise unless the store can be read and written: a row is rewritten unchanged and rolled back, and a
    SQLite file has room left beside it.

    A read-only file or database fails the write; SELECT 1 alone passes on it. A full disk does not fail a
    write that is rolled back (SQLite keeps it in memory until the commit), hence the free space.
    """
    with engine.connect() as connection, connection.begin() as transaction:
        connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
        transaction.rollback()
    path = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if path and path != ":memory:" and not path.startswith("file:"):
        free = shutil.disk_usage(Path(path).resolve().parent).free
        if free < MIN_FREE_BYTES:
            raise OSError(errno.ENOSPC, f"{free} bytes free beside the store")
