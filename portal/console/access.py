"""Who is asking: the member of staff behind a console request, their language, and the checks every page and
every POST of the console makes (logged in, allowed to see or run the round, same origin, CSRF token).

Anonymous requests to any console page are sent to the login page; a round the person may not see answers
404, as one that does not exist (its name is not confirmed to someone outside it); a POST by someone who may
only read answers 403.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import Request
from sqlmodel import Session, select

from portal.console.cookies import ConsoleCookies, derived_token, same_token
from portal.security import same_origin
from review_model import clock
from review_model.staff_access import StaffAccess, staff_access
from review_model.staff_sessions import session_holder, session_needs_touch, touch_staff_session
from review_model.store import reading_session, session_scope
from review_model.tables import Round

if TYPE_CHECKING:
    from portal.app import Portal

SESSION_COOKIE = "console"
LANGUAGE_COOKIE = "console-lang"


class LoginRequired(Exception):
    """No valid session: the answer is a redirect to the login page, which comes back to `next_path`."""

    def __init__(self, next_path: str):
        super().__init__(next_path)
        self.next_path = next_path


class NotVisible(Exception):
    """The round does not exist, or the person may not see it: 404 either way."""


class ReadOnly(Exception):
    """The person may see the round but not change it (an observer): 403."""


class StaleForm(Exception):
    """A POST from another site, or without this session's CSRF token: 403."""


@dataclass(frozen=True)
class Staff:
    """The member of staff making this request."""

    account_id: int
    email: str
    name: str
    access: StaffAccess
    session_token_hash: str
    language: str
    csrf: str  # the value every form of theirs sends back

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def actor(self) -> str:
        """How the audit trail names them: the console, and who."""
        return f"{self.email} (console)"


def console_cookies(portal: "Portal") -> ConsoleCookies:
    """The console's cookies for this installation: Secure when people reach it over https."""
    return ConsoleCookies(portal.secret, str(portal.settings.public_base_url).startswith("https://"))


def console_language(request: Request, portal: "Portal", default: str | None = None) -> str:
    """`?lang=` if given, else the language chosen before (a cookie), else the account's, else German."""
    asked = request.query_params.get("lang")
    if asked in ("de", "en"):
        return asked
    chosen = console_cookies(portal).read(request, LANGUAGE_COOKIE)
    if chosen in ("de", "en"):
        return chosen
    return default if default in ("de", "en") else "de"


def current_staff(request: Request, portal: "Portal") -> Staff:
    """The member of staff behind this request; LoginRequired when there is none."""
    cookies = console_cookies(portal)
    token = cookies.read(request, SESSION_COOKIE)
    if token is None:
        raise LoginRequired(_path_of(request))
    now = clock.now()
    with reading_session(portal.engine) as session:
        holder = session_holder(session, token, now)
        if holder is None:
            raise LoginRequired(_path_of(request))
        access = staff_access(session, holder.account)
        stale = session_needs_touch(session, holder, now)
    if stale:
        with session_scope(portal.engine) as session:
            touch_staff_session(session, holder.session_id, now)
    account = holder.account
    assert account.id is not None
    return Staff(
        account_id=account.id,
        email=account.email,
        name=account.name,
        access=access,
        session_token_hash=holder.token_hash,
        language=console_language(request, portal, account.language),
        csrf=derived_token(portal.secret, "csrf", holder.token_hash),
    )


def check_form(portal: "Portal", request: Request, staff: Staff, values: Mapping[str, Sequence[str]]) -> None:
    """Every console POST: from the console's own pages, with this session's CSRF token; StaleForm if not."""
    sent = next(iter(values.get("csrf") or []), None)
    if not same_origin(request.headers) or not same_token(sent, staff.csrf):
        raise StaleForm


def round_seen(session: Session, staff: Staff, slug: str) -> Round:
    """The round with this slug, if the person may see it; NotVisible otherwise."""
    round_ = session.exec(select(Round).where(Round.slug == slug)).first()
    if round_ is None or round_.id is None or not staff.access.sees(round_.id):
        raise NotVisible
    return round_


def round_run(session: Session, staff: Staff, slug: str) -> Round:
    """The round with this slug, if the person may change it; NotVisible or ReadOnly otherwise."""
    round_ = round_seen(session, staff, slug)
    assert round_.id is not None
    if not staff.access.runs(round_.id):
        raise ReadOnly
    return round_


def login_location(next_path: str) -> str:
    """The login page, coming back to `next_path` afterwards."""
    return f"/console/login?next={quote(next_path, safe='/')}"


def safe_next(value: str | None) -> str:
    """Where to go after logging in: a console page of this site, never another site (`//host`, `/\\host`)."""
    if value and value.startswith("/console") and not value.startswith(("//", "/\\")) and "\\" not in value:
        return value
    return "/console"


def _path_of(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")
