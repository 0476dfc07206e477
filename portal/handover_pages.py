"""Handing the self-assessment to a colleague, from the form's own link: /a/<token>/hand-over.

GET shows what happens and asks for the colleague's name, address and language; it changes nothing. POST
checks origin and CSRF, and hands the form over (review_model.handover) with both messages queued in the same
transaction (notifications.handover_messages); a refusal shows the page again with every reason and
everything typed.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from fastapi.responses import HTMLResponse, Response

from config.translations import gettext_for
from notifications.addressing import sender_from_settings
from notifications.handover_messages import handover_messages
from notifications.outbox import enqueue_messages
from portal.failures import form_kept, unsaved_notice
from portal.form_pages import for_organisation, guarded_post, link_holder, link_refused_page
from portal.rendering import AUTONYMS, refused_request_page, render_page
from portal.security import csrf_ok, csrf_token
from review_model import clock
from review_model.handover import (
    Colleague,
    HandoverRefused,
    colleague_problems,
    hand_over,
    holder_refusals,
    participant_actor,
)
from review_model.moments import format_moment
from review_model.refusals import reason_in, reasons_in
from review_model.round_lock import lock_round
from review_model.store import reading_session, session_scope
from review_model.tables import AccessToken, Enrolment, Organisation, Participant, Round
from review_model.tokens import LinkRefused, derive_token, link_url, resolve_link
from review_model.vocabulary import Language, TokenPurpose

if TYPE_CHECKING:
    from portal.app import Portal

PURPOSE = TokenPurpose.self_assessment


@dataclass(frozen=True)
class HandoverRequest:
    token: str
    language: str | None  # None: the participant's own


@dataclass(frozen=True)
class Typed:
    """What the colleague's fields hold, as sent."""

    name: str = ""
    email: str = ""
    language: str | None = None

    @classmethod
    def of(cls, values: Mapping[str, Sequence[str]]) -> "Typed":
        def first(key: str) -> str:
            found = values.get(key)
            return found[0][:1000] if found else ""

        return cls(first("name"), first("email"), first("language") or None)

    def colleague(self, fallback: Language) -> Colleague:
        chosen = self.language if self.language in ("de", "en") else None
        return Colleague(self.name, self.email, Language(chosen) if chosen else fallback)


@dataclass(frozen=True)
class Problem:
    text: str
    target: str | None  # the field it is about


def show_handover(portal: "Portal", request: HandoverRequest) -> Response:
    now = clock.now()
    with reading_session(portal.engine) as session:  # a GET changes nothing, not even the first view
        try:
            access, enrolment, person, organisation, round_ = link_holder(session, request.token, PURPOSE, now)
        except LinkRefused as refused:
            return link_refused_page(session, refused, request.language)
        language = request.language or person.language.value
        return _page(portal, request, access, enrolment, person, organisation, round_, language, now, Typed())


def handle_handover_post(
    portal: "Portal", request: HandoverRequest, values: Mapping[str, Sequence[str]], headers: Mapping[str, str]
) -> Response:
    typed = Typed.of(values)
    return guarded_post(
        headers, request.language, lambda: _hand_over(portal, request, values, typed),
        lambda: _unsaved(portal, request, typed),
    )  # fmt: skip


def _hand_over(
    portal: "Portal", request: HandoverRequest, values: Mapping[str, Sequence[str]], typed: Typed
) -> Response:
    now = clock.now()
    with session_scope(portal.engine) as session:
        try:
            # The round is locked before anything the handover depends on is read (review_model.round_lock).
            lock_round(session, resolve_link(session, request.token, PURPOSE, now).round_id)
            access, enrolment, person, organisation, round_ = link_holder(session, request.token, PURPOSE, now)
        except LinkRefused as refused:
            return link_refused_page(session, refused, request.language)
        language = request.language or person.language.value
        sent = values.get("csrf")
        if not csrf_ok(portal.secret, access.token_hash, sent[0] if sent else None):
            return refused_request_page(language)
        assert enrolment.id is not None and person.id is not None

        def link(purpose: TokenPurpose, token: str) -> str:
            return link_url(str(portal.settings.public_base_url), purpose, token)

        try:
            handed = hand_over(
                session, round_, enrolment.id, typed.colleague(person.language), actor=participant_actor(person.id),
                secret=portal.secret, link_expires_at=access.expires_at, now=now,
            )  # fmt: skip
        except HandoverRefused as refused:
            session.rollback()
            return _page(portal, request, access, enrolment, person, organisation, round_, language, now, typed,
                         refused.reasons, status_code=422)  # fmt: skip
        messages = handover_messages(
            handed, round_, sender=sender_from_settings(portal.settings), link=link,
            first_link=link(PURPOSE, derive_token(portal.secret, access.nonce)), now=now,
        )  # fmt: skip
        enqueue_messages(session, messages, now)
        round_id, colleague = handed.round_id, handed.colleague.name
        page = _done(language, organisation.name, colleague, handed.first_link_kept)
    if portal.on_submission is not None:  # the round's next advance sends both messages at once
        portal.on_submission(round_id)
    return page


def _unsaved(portal: "Portal", request: HandoverRequest, typed: Typed) -> Response:
    now = clock.now()
    with reading_session(portal.engine) as session:
        access, enrolment, person, organisation, round_ = link_holder(session, request.token, PURPOSE, now)
        language = request.language or person.language.value
        page = _page(portal, request, access, enrolment, person, organisation, round_, language, now, typed,
                     notices=unsaved_notice(language), status_code=503)  # fmt: skip
        return form_kept(page)


def _page(
    portal: "Portal",
    request: HandoverRequest,
    access: AccessToken,
    enrolment: Enrolment,
    person: Participant,
    organisation: Organisation,
    round_: Round,
    language: str,
    now: datetime,
    typed: Typed,
    reasons: Sequence[str] = (),
    *,
    notices: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    _ = gettext_for(language, "portal")
    standing = holder_refusals(round_, enrolment, person, now)
    colleague = typed.colleague(Language(language))
    by_field = colleague_problems(colleague) if reasons else {}
    errors: dict[str, str | None] = {"name": None, "email": None}
    errors.update({field: reason_in(language, found[0]) for field, found in by_field.items() if found})
    # Once the form cannot be handed over at all, the page says why instead of showing the fields.
    problems = [] if standing else [Problem(reason_in(language, r), _field_of(r, by_field)) for r in reasons]
    return render_page(
        "handover.html",
        language,
        status_code,
        heading=_("Hand the form over to a colleague"),
        subheading=for_organisation(organisation.name, language),
        round_title=round_.title_in(language),
        deadline=format_moment(round_.submission_deadline, round_.time_zone, language),
        notices=notices or [],
        refused=reasons_in(language, standing),
        problems=problems,
        errors=errors,
        organisation=organisation.name,
        keeps_link=round_.handover_keeps_first_link,
        reviewer=enrolment.is_reviewer,
        name=typed.name,
        email=typed.email,
        chosen_language=colleague.language.value,
        languages=list(AUTONYMS.items()),
        csrf=csrf_token(portal.secret, access.token_hash),
        form_href=f"/a/{request.token}?lang={language}",
        other_lang="en" if language == "de" else "de",
        coordinator_name=round_.coordinator_name,
        coordinator_email=round_.coordinator_email,
    )


def _field_of(reason: str, by_field: Mapping[str, list[str]]) -> str | None:
    return next((f"f-{field}" for field, found in by_field.items() if reason in found), None)


def _done(language: str, organisation: str, colleague: str, kept: bool) -> HTMLResponse:
    """What the page says once the form was handed over."""
    _ = gettext_for(language, "portal")
    text = _("{colleague} now answers the self-assessment for {organisation} and receives an email with a personal "
             "link of their own. You receive a confirmation by email.").format(colleague=colleague,
                                                                               organisation=organisation)  # fmt: skip
    link_note = _("Your link keeps opening the form.") if kept else _("Your link no longer opens the form.")
    return render_page("message.html", language, title=_("The form was handed over"), text=f"{text} {link_note}")
