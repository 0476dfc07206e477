"""The page behind the link every reminder carries: stop the round's reminders, or start them again.

GET shows where the person stands, what stopping means and one button, and changes nothing (mail scanners
open links before people do). POST from that button stops or restarts, and the page says so and offers the
way back. The link is of its own purpose (`TokenPurpose.reminders`): it opens this page and nothing else.

A mail client's one-click unsubscribe (RFC 8058, named by the List-Unsubscribe headers of every reminder) is
a POST of the body `List-Unsubscribe=One-Click` and nothing else, sent by the mail provider's server or by a
web mail page of another site, with no session, no page of ours before it and no CSRF token. The portal's
protections of a POST (`guarded_post`: same origin from Sec-Fetch-Site or Origin; the CSRF token bound to the
link, `portal.security`) are therefore relaxed for exactly that body: it is taken without either check, and
it can only stop reminders, never start them again nor change anything else, and stopping twice is stopping
once. What it rests on instead is the link itself: a 256-bit secret only the person's reminders carry, of a
purpose that opens nothing but this page, so a site that does not know the link cannot post to it, and one
that knows it can do no more than the holder could with one click. Every other POST (the page's own buttons,
restarting above all) keeps both checks.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from config.translations import gettext_for
from portal.failures import unavailable_page
from portal.form_pages import for_organisation, guarded_post, link_holder
from portal.rendering import invalid_link_page, message_page, refused_request_page, render_page
from portal.security import csrf_ok, csrf_token
from review_model import clock
from review_model.moments import format_moment
from review_model.reminder_opt_out import restart_reminders, stop_reminders
from review_model.store import reading_session, session_scope
from review_model.tables import AccessToken, Enrolment, Organisation, Participant, Round
from review_model.tokens import LinkRefused
from review_model.vocabulary import TokenPurpose

if TYPE_CHECKING:
    from portal.app import Portal

# The whole body of a one-click unsubscribe (RFC 8058 §3.2), as the form parser reads it.
ONE_CLICK = {"List-Unsubscribe": ["One-Click"]}
# What the page's buttons send as `action`, and what the page says after each (`done`).
STOP, START = "stop", "start"
DONE = {STOP: "stopped", START: "started"}


@dataclass(frozen=True)
class RemindersRequest:
    token: str
    language: str | None  # None: the person's own
    done: str | None = None


@dataclass(frozen=True)
class _Holder:
    access: AccessToken
    enrolment: Enrolment
    participant: Participant
    organisation: Organisation
    round: Round


def show_reminders_page(portal: "Portal", request: RemindersRequest) -> Response:
    """Whether the person gets reminders in the round, what stopping means, and the button that changes it."""
    with reading_session(portal.engine) as session:
        try:
            holder = _holder(session, request.token)
        except LinkRefused as refused:
            return _refused(session, refused, request.language)
        language = request.language or holder.participant.language.value
        return _render(portal, holder, language, request.done)


def is_one_click(values: Mapping[str, Sequence[str]]) -> bool:
    """Whether a POST is a mail client's one-click unsubscribe: `List-Unsubscribe=One-Click` and no other field."""
    return {key: list(value) for key, value in values.items()} == ONE_CLICK


def handle_reminders_post(
    portal: "Portal", request: RemindersRequest, values: Mapping[str, Sequence[str]], headers: Mapping[str, str]
) -> Response:
    """Stop or restart the person's reminders: the page's buttons (same origin and CSRF checked), or a mail
    client's one-click unsubscribe (neither checked, see the module's docstring)."""
    if is_one_click(values):
        return _one_click(portal, request)
    language = request.language or "de"
    return guarded_post(headers, request.language, lambda: _change(portal, request, values),
                        lambda: unavailable_page(language))  # fmt: skip


def _change(portal: "Portal", request: RemindersRequest, values: Mapping[str, Sequence[str]]) -> Response:
    now = clock.now()
    with session_scope(portal.engine) as session:
        try:
            holder = _holder(session, request.token)
        except LinkRefused as refused:
            return _refused(session, refused, request.language)
        language = request.language or holder.participant.language.value
        action = _first(values, "action")
        if not csrf_ok(portal.secret, holder.access.token_hash, _first(values, "csrf")) or action not in DONE:
            return refused_request_page(language)
        if action == STOP:
            stop_reminders(session, holder.enrolment, now)
        else:
            restart_reminders(session, holder.enrolment)
        holder.access.last_used_at = now
    return RedirectResponse(f"?lang={language}&done={DONE[action]}", status_code=303)


def _one_click(portal: "Portal", request: RemindersRequest) -> Response:
    now = clock.now()
    with session_scope(portal.engine) as session:
        try:
            holder = _holder(session, request.token)
        except LinkRefused as refused:
            return _refused(session, refused, request.language)
        stop_reminders(session, holder.enrolment, now, one_click=True)
        holder.access.last_used_at = now
        return _render(portal, holder, holder.participant.language.value, DONE[STOP])


def _holder(session: Session, token: str) -> _Holder:
    """Whose link it is, in which round; LinkRefused for one that opens nothing (also a withdrawn person's)."""
    return _Holder(*link_holder(session, token, TokenPurpose.reminders, clock.now()))


def _render(portal: "Portal", holder: _Holder, language: str, done: str | None) -> Response:
    _ = gettext_for(language, "portal")
    stopped_at = holder.enrolment.opted_out_at
    notices = []
    if done == DONE[STOP] and stopped_at is not None:
        notices.append({"kind": "ok", "text": _("Done: you will get no more reminders in this round.")})
    elif done == DONE[START] and stopped_at is None:
        notices.append({"kind": "ok", "text": _("Done: you will get reminders again in this round.")})
    if stopped_at is not None:
        when = format_moment(stopped_at, holder.round.time_zone, language)
        notices.append({"kind": "info", "text": _("You stopped the reminders of this round on {when}.").format(
            when=when)})  # fmt: skip
    return render_page(
        "reminders.html",
        language,
        heading=_("Reminders by email"),
        subheading=for_organisation(holder.organisation.name, language),
        round_title=holder.round.title_in(language),
        deadline=None,
        notices=notices,
        stopped=stopped_at is not None,
        stop=STOP,
        start=START,
        csrf=csrf_token(portal.secret, holder.access.token_hash),
        other_lang="en" if language == "de" else "de",
        coordinator_name=holder.round.coordinator_name,
        coordinator_email=holder.round.coordinator_email,
    )


def _refused(session: Session, refused: LinkRefused, language: str | None) -> Response:
    """A link that opens nothing gets the portal's answer to any such link; an expired one says that the
    round's reminders are over."""
    language = language or "de"
    round_ = session.get(Round, refused.access.round_id) if refused.access is not None else None
    if refused.reason != "expired" or round_ is None:
        return invalid_link_page(language)
    _ = gettext_for(language, "portal")
    text = _("The round sends no more reminders, so there is nothing left to stop. Questions? Write to {name}: "
             "{email}.").format(name=round_.coordinator_name, email=round_.coordinator_email)  # fmt: skip
    return message_page(language, _("This link has expired"), text, 410)


def _first(values: Mapping[str, Sequence[str]], key: str) -> str | None:
    found = values.get(key)
    return found[0] if found else None
