"""Logging in to the console and out again, and setting a password through a one-time link.

The login form carries a CSRF token bound to a random cookie (there is no session yet to bind it to), so no
other site can log a browser in to an account of its choosing. Every login starts a new session with a new
token; logging out ends this session, "everywhere" ends all of the account's.
"""

import json
import logging
import secrets
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from config.translations import gettext_for
from portal.client_address import request_address
from portal.console.access import (
    SESSION_COOKIE,
    NotVisible,
    Staff,
    check_form,
    console_cookies,
    console_language,
    current_staff,
    safe_next,
)
from portal.console.cookies import derived_token, same_token
from portal.console.oidc import PENDING_LOGIN_SECONDS, OidcRefused, PendingLogin
from portal.console.pages import console_page, done_and_go
from portal.security import same_origin
from review_model import clock
from review_model.login_throttle import failures_from, login_throttled, record_login_attempt
from review_model.moments import format_moment
from review_model.refusals import reasons_in
from review_model.staff import (
    StaffRefused,
    account_for_password_link,
    normalised_email,
    password_matches,
    rehash_if_needed,
    set_password_with_link,
    staff_account,
)
from review_model.staff_sessions import close_every_session, close_staff_session, open_staff_session
from review_model.store import reading_session, session_scope

if TYPE_CHECKING:
    from portal.app import Portal

LOGIN_COOKIE = "console-login"
OIDC_COOKIE = "console-oidc"  # the pending single sign-on, for the 10 minutes it may take
log = logging.getLogger("spr.console")


def add_login_routes(app: FastAPI, portal: "Portal") -> None:
    """/console/login, /console/logout, /console/logout-everywhere and /console/password/<token>."""

    @app.get("/console/login")
    def login_page(request: Request, next: str | None = None) -> Response:
        return _login_form(portal, request, safe_next(next))

    @app.post("/console/login")
    async def login_post(request: Request) -> Response:
        values = await _form_values(request)
        return await run_in_threadpool(_log_in, portal, request, values)

    @app.post("/console/logout")
    async def logout(request: Request) -> Response:
        values = await _form_values(request)
        staff = current_staff(request, portal)
        check_form(portal, request, staff, values)
        everywhere = "everywhere" in values
        return await run_in_threadpool(_log_out, portal, request, staff, everywhere)

    @app.get("/console/login/oidc")
    async def single_sign_on(request: Request, next: str | None = None) -> Response:
        if portal.oidc is None:
            raise NotVisible
        try:
            url, pending = await portal.oidc.begin(_callback_uri(portal))
        except OidcRefused as refused:
            log.warning("console single sign-on could not start: %s", refused.reason)
            return _single_sign_on_failed(portal, request, safe_next(next))
        response = RedirectResponse(url, status_code=303)
        value = json.dumps({"pending": pending.to_cookie(), "next": safe_next(next)})
        console_cookies(portal).write(response, OIDC_COOKIE, value, max_age=PENDING_LOGIN_SECONDS)
        return response

    @app.get("/console/login/oidc/callback")
    async def single_sign_on_callback(request: Request) -> Response:
        if portal.oidc is None:
            raise NotVisible
        cookies = console_cookies(portal)
        kept = cookies.read(request, OIDC_COOKIE)
        next_path = "/console"
        try:
            if kept is None:
                raise OidcRefused("no sign-in was started in this browser, or it took longer than 10 minutes")
            stored = json.loads(kept)
            next_path = safe_next(stored.get("next"))
            pending = PendingLogin.from_cookie(str(stored.get("pending", "")))
            identity = await portal.oidc.finish(_callback_uri(portal), dict(request.query_params), pending)
        except (OidcRefused, ValueError, AttributeError) as refused:
            log.warning("console single sign-on refused from %s: %s", request_address(request), refused)
            response = _single_sign_on_failed(portal, request, next_path)
            cookies.clear(response, OIDC_COOKIE)
            return response
        response = await run_in_threadpool(_log_in_verified, portal, request, identity.email, next_path)
        cookies.clear(response, OIDC_COOKIE)
        return response

    @app.get("/console/password/{token}")
    def password_page(request: Request, token: str) -> Response:
        language = console_language(request, portal)
        with reading_session(portal.engine) as session:
            try:
                account = account_for_password_link(session, token, clock.now())
            except StaffRefused as refused:
                return _link_refused(portal, request, language, refused)
        return _password_form(portal, request, language, token, account.email, [])

    @app.post("/console/password/{token}")
    async def password_post(request: Request, token: str) -> Response:
        values = await _form_values(request)
        return await run_in_threadpool(_set_password, portal, request, token, values)


async def _form_values(request: Request) -> dict[str, list[str]]:
    form = await request.form(max_files=0, max_fields=50)
    return {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form}


def _first(values: Mapping[str, Sequence[str]], name: str) -> str:
    return next(iter(values.get(name) or []), "")


def _login_form(
    portal: "Portal", request: Request, next_path: str, *, email: str = "", error: str | None = None, status: int = 200
) -> Response:
    language = console_language(request, portal)
    cookies = console_cookies(portal)
    nonce = cookies.read(request, LOGIN_COOKIE) or secrets.token_urlsafe(24)
    response = console_page(
        portal,
        request,
        "login.html",
        language,
        status_code=status,
        next_path=next_path,
        email=email,
        error=error,
        csrf=derived_token(portal.secret, "login", nonce),
        single_sign_on=portal.settings.oidc_display_name if portal.oidc is not None else None,
    )
    cookies.write(response, LOGIN_COOKIE, nonce)
    return response


def _log_in(portal: "Portal", request: Request, values: Mapping[str, Sequence[str]]) -> Response:
    language = console_language(request, portal)
    _ = gettext_for(language, "portal")
    next_path = safe_next(_first(values, "next"))
    nonce = console_cookies(portal).read(request, LOGIN_COOKIE)
    sent = _first(values, "csrf")
    if (
        not same_origin(request.headers)
        or nonce is None
        or not same_token(sent, derived_token(portal.secret, "login", nonce))
    ):
        error = _("The login form was no longer valid. Please try again.")
        return _login_form(portal, request, next_path, error=error, status=403)
    email, password = normalised_email(_first(values, "email"))[:254], _first(values, "password")
    address, now = request_address(request), clock.now()
    # The limits and the account are read, and the password checked (Argon2id: ~0.15 s, by design), outside
    # any writing transaction: on SQLite that would hold every participant's save for as long.
    with reading_session(portal.engine) as session:
        throttled = login_throttled(session, email, address, now)
        account = staff_account(session, email) if throttled is None else None
    if throttled is not None:
        log.warning("console login held back for %s from %s (%s limit)", _logged(email, account), address,
                    throttled.why)  # fmt: skip
        until = format_moment(throttled.until, portal.settings.time_zone, language)
        error = _("Too many failed logins. Please try again after {time}, or ask an administrator for a link "
                  "to set a new password.").format(time=until)  # fmt: skip
        return _login_form(portal, request, next_path, email=email, error=error, status=429)
    matches = password_matches(account, password)
    with session_scope(portal.engine) as session:
        record_login_attempt(session, email, address, matches, now)
        if not matches or account is None:
            failures = failures_from(session, address, now)  # this one included
        else:
            account = session.merge(account)
            rehash_if_needed(account, password)
            token = open_staff_session(session, account, address, request.headers.get("user-agent", ""), now)
    if not matches or account is None:
        log.warning("console login failed for %s from %s (%d failures from it in the last hour)",
                    _logged(email, account), address, failures)  # fmt: skip
        error = _("The email address or the password is not right.")
        return _login_form(portal, request, next_path, email=email, error=error, status=401)
    log.info("console login of %s from %s", email, address)
    return _logged_in(portal, next_path, token)


def _logged(email: str, account: object) -> str:
    """The typed address as the log names it: an unknown one may be a password typed into the wrong field."""
    return email if account is not None else "an address without an account"


def _callback_uri(portal: "Portal") -> str:
    """Where the provider sends the browser back: registered with the provider as is (docs/console-login.md)."""
    return str(portal.settings.public_base_url).rstrip("/") + "/console/login/oidc/callback"


def _single_sign_on_failed(portal: "Portal", request: Request, next_path: str) -> Response:
    _ = gettext_for(console_language(request, portal), "portal")
    error = _("Single sign-on did not succeed. Please try again; if it fails again, log in with your password or "
              "ask an administrator.")  # fmt: skip
    return _login_form(portal, request, next_path, error=error, status=401)


def _log_in_verified(portal: "Portal", request: Request, email: str, next_path: str) -> Response:
    """A login the provider vouched for: the staff account with that verified address, if there is one."""
    address, now = request_address(request), clock.now()
    with session_scope(portal.engine) as session:
        account = staff_account(session, email)
        if account is None:
            log.warning("console single sign-on of %s from %s: no staff account has that address", email, address)
            _ = gettext_for(console_language(request, portal), "portal")
            error = _("You signed in as {email}, but no console account has that address. An administrator can "
                      "add you.").format(email=email)  # fmt: skip
            return _login_form(portal, request, next_path, error=error, status=403)
        record_login_attempt(session, email, address, True, now)  # the address is known from now on
        token = open_staff_session(session, account, address, request.headers.get("user-agent", ""), now)
    log.info("console login of %s from %s by single sign-on", email, address)
    return _logged_in(portal, next_path, token)


def _logged_in(portal: "Portal", next_path: str, token: str) -> Response:
    response = RedirectResponse(next_path, status_code=303)
    cookies = console_cookies(portal)
    cookies.write(response, SESSION_COOKIE, token)
    cookies.clear(response, LOGIN_COOKIE)
    return response


def _log_out(portal: "Portal", request: Request, staff: Staff, everywhere: bool) -> Response:
    _ = gettext_for(staff.language, "portal")
    token = console_cookies(portal).read(request, SESSION_COOKIE)
    with session_scope(portal.engine) as session:
        if everywhere:
            ended = close_every_session(session, staff.account_id)
            notice = _("You are logged out everywhere ({n} sessions ended).").format(n=ended)
        else:
            if token is not None:
                close_staff_session(session, token)
            notice = _("You are logged out.")
    response = done_and_go(portal, "/console/login", notice)
    console_cookies(portal).clear(response, SESSION_COOKIE)
    return response


def _password_form(
    portal: "Portal", request: Request, language: str, token: str, email: str, errors: list[str], status: int = 200
) -> Response:
    return console_page(
        portal,
        request,
        "password.html",
        language,
        status_code=status,
        email=email,
        errors=errors,
        csrf=derived_token(portal.secret, "password", token),
    )


def _set_password(portal: "Portal", request: Request, token: str, values: Mapping[str, Sequence[str]]) -> Response:
    language = console_language(request, portal)
    _ = gettext_for(language, "portal")
    if not same_origin(request.headers) or not same_token(
        _first(values, "csrf"), derived_token(portal.secret, "password", token)
    ):
        text = _("Please reload the page and try again.")
        return console_page(
            portal, request, "message.html", language, status_code=403, title=_("The request was refused"), text=text
        )
    now = clock.now()
    try:
        with session_scope(portal.engine) as session:
            account = set_password_with_link(
                session, token, _first(values, "password"), _first(values, "confirmation"), now
            )
            email = account.email
    except StaffRefused as refused:
        with reading_session(portal.engine) as session:
            try:
                account = account_for_password_link(session, token, now)
            except StaffRefused:
                return _link_refused(portal, request, language, refused)
        return _password_form(
            portal, request, language, token, account.email, reasons_in(language, refused.reasons), 400
        )
    log.info("console password set for %s", email)
    return done_and_go(portal, "/console/login", _("Your password is set. Log in with it now."))


def _link_refused(portal: "Portal", request: Request, language: str, refused: StaffRefused) -> Response:
    _ = gettext_for(language, "portal")
    text = refused.in_language(language) + ". " + _("Ask an administrator for a new link.")
    return console_page(portal, request, "message.html", language, status_code=404,
                        title=_("This link does not work"), text=text)  # fmt: skip
