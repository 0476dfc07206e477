"""A round's email in the console: every kind of message as the round would send it (before launch too), the
outbox with its failed messages and the server's reply, sending failed messages again, and the coordinator's
message to a group.

- /email: each kind rendered for a person of the round in German and English (subject and text; the HTML
  part opens on its own page, served with a policy of its own that runs no script and loads nothing).
- /email/outbox: the round's messages counted by state, the failed ones listed; /email/outbox/retry asks
  first (one message or all failed), then runs `ConsoleActions.retry_failed`.
- /email/message: the filter and the text; its preview (a POST: it carries the text, and changes nothing)
  names the group in words, counts its people exactly and shows the message as one person in each language
  reads it, with the button that sends it as `ConsoleActions.message_group`. A refusal, at either step,
  shows the form again with everything typed and every reason.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import func
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool

from config.translations import N_, gettext_for, ngettext_for, translate
from notifications.addressing import sender_from_settings
from notifications.compose import LANGUAGES
from notifications.group_messages import GroupMessagePreview, preview_group_message
from notifications.message_kinds import MESSAGE_KINDS
from notifications.outbox import outbox_counts
from notifications.previews import KindPreview, preview_messages
from portal.console.access import NotVisible, Staff, check_form, current_staff, round_run, round_seen
from portal.console.actions import ActionDone, ConsoleActions
from portal.console.pages import console_page, done_and_go
from portal.console.people_pages import people_filter_from
from portal.console.round_actions import Confirmation, FormValues, ask_first, first_value, run_action
from review_model import clock
from review_model.group_messages import BODY_MAX_LENGTH, SUBJECT_MAX_LENGTH
from review_model.moments import format_moment
from review_model.people_filter import SEARCH_MAX_LENGTH, PeopleFilter, PersonState, Role
from review_model.refusals import Refused, reasons_in
from review_model.store import reading_session
from review_model.tables import OutboxMessage, Round
from review_model.vocabulary import FederalState, OrganisationKind, OutboxState
from review_model.wide_select import select_columns

if TYPE_CHECKING:
    from portal.app import Portal

# The HTML part of a message on a page of its own: its inline styles, nothing else (no script, no image, no
# form, no frame), in a sandbox.
EMAIL_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
    "sandbox"
)
# What each kind of message is, as the previews name it.
KIND_NAMES = {
    "invitation": N_("Invitation to the self-assessment"),
    "handover_invitation": N_("Self-assessment handed over to a colleague"),
    "handover_confirmation": N_("Confirmation of a self-assessment handed over"),
    "reminder": N_("Reminder of the self-assessment"),
    "deadline_extended": N_("Submission deadline extended"),
    "submission_receipt": N_("Receipt for a self-assessment"),
    "stage_closed": N_("Stage closed"),
    "review_request": N_("Request for a peer review"),
    "review_reminder": N_("Reminder of the peer review"),
    "review_receipt": N_("Receipt for a peer review"),
    "consensus_invitation": N_("Invitation to the reviewers' consensus"),
    "consensus_reminder": N_("Reminder of the joint assessment"),
    "joint_assessment_submitted": N_("Joint assessment submitted: endorse or comment"),
    "comment_invitation": N_("Invitation to reply to the draft findings"),
    "reply_receipt": N_("Receipt for a reply"),
    "reply_reminder": N_("Reminder of the right of reply"),
    "questions_asked": N_("Reviewers' questions to a reviewed party"),
    "question_answered": N_("Answers of a reviewed party to a reviewer's questions"),
    "question_reminder": N_("Reminder of unanswered reviewers' questions"),
    "report_published": N_("Report published"),
    "status_digest": N_("Status digest for the coordinator"),
    "coordinator_message": N_("Message from the coordinator to a group"),
}
STATE_NAMES = {
    OutboxState.queued: N_("queued"),
    OutboxState.sending: N_("being sent"),
    OutboxState.sent: N_("sent"),
    OutboxState.failed: N_("failed"),
}
LANGUAGE_NAMES = {"de": N_("German"), "en": N_("English")}
# The outbox page lists the newest failed messages, as `spr outbox status` does.
FAILED_SHOWN = 200


@dataclass(frozen=True)
class MessageForm:
    """The message-to-a-group form as typed: the filter's choices, the texts, and every reason it was refused."""

    roles: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    lands: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    search: str = ""
    subject_de: str = ""
    body_de: str = ""
    subject_en: str = ""
    body_en: str = ""
    reasons: list[str] = field(default_factory=list)

    @property
    def hidden(self) -> list[tuple[str, str]]:
        """The form as hidden fields, for the preview page to send on."""
        pairs = [(name, value) for name in ("roles", "kinds", "lands", "states") for value in getattr(self, name)]
        texts = ("search", "subject_de", "body_de", "subject_en", "body_en")
        return pairs + [(name, getattr(self, name)) for name in texts if getattr(self, name)]

    def people(self) -> PeopleFilter:
        return PeopleFilter(
            roles=frozenset(Role(value) for value in self.roles),
            kinds=frozenset(OrganisationKind(value) for value in self.kinds),
            lands=frozenset(FederalState(value) for value in self.lands),
            states=frozenset(PersonState(value) for value in self.states),
            search=self.search or None,
        )


def add_email_routes(app: FastAPI, portal: "Portal") -> None:
    """/console/rounds/<slug>/email: previews, the outbox, sending again, a message to a group."""

    @app.get("/console/rounds/{slug}/email")
    def previews_page(request: Request, slug: str) -> Response:
        staff = current_staff(request, portal)
        with reading_session(portal.engine) as session:
            round_ = round_seen(session, staff, slug)
            previews = _previews(portal, session, round_)
        return console_page(portal, request, "email_previews.html", staff.language, staff=staff, round=round_,
                            previews=previews, **_names(staff.language))  # fmt: skip

    @app.get("/console/rounds/{slug}/email/preview/{kind}/{language}")
    def html_part(request: Request, slug: str, kind: str, language: str) -> Response:
        staff = current_staff(request, portal)
        if kind not in MESSAGE_KINDS or language not in LANGUAGE_NAMES:
            raise NotVisible
        with reading_session(portal.engine) as session:
            round_ = round_seen(session, staff, slug)
            (preview,) = _previews(portal, session, round_, kinds=[kind], languages=[language])
        headers = {"content-security-policy": EMAIL_POLICY, "x-robots-tag": "noindex"}
        return Response(preview.emails[language].html, media_type="text/html; charset=utf-8", headers=headers)

    @app.get("/console/rounds/{slug}/email/outbox")
    def outbox_page(request: Request, slug: str) -> Response:
        staff = current_staff(request, portal)
        with reading_session(portal.engine) as session:
            round_ = round_seen(session, staff, slug)
            counts = outbox_counts(session, round_.id)
            rows = _failed_rows(session, round_, staff.language)
        return console_page(portal, request, "email_outbox.html", staff.language, staff=staff, round=round_,
                            counts=counts, failed=rows, more_failed=counts[OutboxState.failed] - len(rows),
                            **_names(staff.language), **_runs(portal, staff, round_))  # fmt: skip

    @app.get("/console/rounds/{slug}/email/outbox/retry")
    def retry_page(request: Request, slug: str) -> Response:
        message_id = _message_id(request.query_params.get("message", ""))

        def explain(round_: Round, language: str) -> Confirmation:
            return _explain_retry(portal, round_, message_id, language)

        hidden = {"message": str(message_id)} if message_id is not None else {}
        return ask_first(portal, request, slug, explain, hidden)

    @app.post("/console/rounds/{slug}/email/outbox/retry")
    async def retry(request: Request, slug: str) -> Response:
        def retrying(actions: ConsoleActions, round_: Round, staff: Staff, values: FormValues) -> ActionDone:
            assert round_.id is not None
            given = first_value(values, "message")
            message_id = _message_id(given)
            if given and message_id is None:  # never all of them for one asked for
                _ = gettext_for(staff.language, "portal")
                raise Refused([_("Message {id} is not a failed message of this round that can be sent again.")
                               .format(id=given[:20])])  # fmt: skip
            return actions.retry_failed(round_.id, round_.slug, message_id, staff.actor, staff.language)

        return await run_action(portal, request, slug, retrying, back_to=f"/console/rounds/{slug}/email/outbox")

    @app.get("/console/rounds/{slug}/email/message")
    def message_page(request: Request, slug: str) -> Response:
        staff = current_staff(request, portal)
        with reading_session(portal.engine) as session:
            round_ = round_seen(session, staff, slug)
        # Coming from the people page ("Write to them"), the form starts with its filter.
        people = people_filter_from(request)
        started = MessageForm(
            roles=[value.value for value in sorted(people.roles)],
            kinds=[value.value for value in sorted(people.kinds)],
            lands=[value.value for value in sorted(people.lands)],
            states=[value.value for value in sorted(people.states)],
            search=people.search or "",
        )
        return _message_form(portal, request, staff, round_, started)

    @app.post("/console/rounds/{slug}/email/message/edit")
    async def message_again(request: Request, slug: str) -> Response:
        return await _posted(portal, request, slug, _message_form)

    @app.post("/console/rounds/{slug}/email/message/preview")
    async def message_preview(request: Request, slug: str) -> Response:
        return await _posted(portal, request, slug, _preview_page)

    @app.post("/console/rounds/{slug}/email/message/send")
    async def message_send(request: Request, slug: str) -> Response:
        return await _posted(portal, request, slug, _send)


def _previews(
    portal: "Portal",
    session: Session,
    round_: Round,
    kinds: list[str] | None = None,
    languages: Sequence[str] = LANGUAGES,
) -> list[KindPreview]:
    """The round's kinds of message for a person of the round, as they would go out now."""
    return preview_messages(session, round_, sender=sender_from_settings(portal.settings), kinds=kinds,
                            public_base_url=str(portal.settings.public_base_url), now=clock.now(),
                            languages=languages)  # fmt: skip


def _names(language: str) -> dict[str, Any]:
    """The words the pages name kinds, states and languages with, in the staff member's language."""
    return {
        "kind_names": {kind: translate(language, "portal", name) for kind, name in KIND_NAMES.items()},
        "state_names": {state.value: translate(language, "portal", name) for state, name in STATE_NAMES.items()},
        "language_names": {code: translate(language, "portal", name) for code, name in LANGUAGE_NAMES.items()},
    }


def _runs(portal: "Portal", staff: Staff, round_: Round) -> dict[str, bool]:
    """Whether this person may change the round from here (an observer reads only), and whether they may but
    this portal was started without the coordinator operations."""
    assert round_.id is not None
    may = staff.access.runs(round_.id)
    return {"runs": may and portal.actions is not None, "no_operations": may and portal.actions is None}


@dataclass(frozen=True)
class FailedRow:
    id: int
    recipient: str
    kind: str
    subject: str
    attempts: int
    reply: str  # the server's reply, or why the message could not be built
    queued: str
    last_try: str | None
    sendable: bool  # False: the message could not be built, so there is nothing to send again


def _failed_rows(session: Session, round_: Round, language: str) -> list[FailedRow]:
    """The round's newest failed messages (FAILED_SHOWN), in one query that leaves their bytes unread."""
    zone = round_.time_zone
    rows = session.exec(
        select_columns(
            OutboxMessage.id, OutboxMessage.recipient_email, OutboxMessage.kind, OutboxMessage.subject,
            OutboxMessage.attempts, OutboxMessage.last_error, OutboxMessage.created_at, OutboxMessage.claimed_at,
            func.length(OutboxMessage.payload) > 0,
        )
        .where(OutboxMessage.round_id == round_.id, OutboxMessage.state == OutboxState.failed)
        .order_by(col(OutboxMessage.id).desc())
        .limit(FAILED_SHOWN)
    ).all()  # fmt: skip
    return [
        FailedRow(id=id_, recipient=recipient, kind=kind, subject=subject, attempts=attempts, reply=error or "",
                  queued=format_moment(created, zone, language),
                  last_try=format_moment(claimed, zone, language) if claimed else None, sendable=bool(sendable))
        for id_, recipient, kind, subject, attempts, error, created, claimed, sendable in rows
    ]  # fmt: skip


def _message_id(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 12 else None


def _explain_retry(portal: "Portal", round_: Round, message_id: int | None, language: str) -> Confirmation:
    _, ngettext = gettext_for(language, "portal"), ngettext_for(language, "portal")
    with reading_session(portal.engine) as session:
        sendable = session.exec(
            select_columns(OutboxMessage.id, OutboxMessage.subject, OutboxMessage.recipient_email).where(
                OutboxMessage.round_id == round_.id, OutboxMessage.state == OutboxState.failed,
                func.length(OutboxMessage.payload) > 0,
                *([OutboxMessage.id == message_id] if message_id is not None else []),
            )
        ).all()  # fmt: skip
    if message_id is not None:
        title, button = _("Send a failed message again"), _("Send it again")
        if not sendable:
            refusals = [_("Message {id} is not a failed message of this round that can be sent again.").format(
                id=message_id)]  # fmt: skip
            return Confirmation(title, [], button, refusals=refusals)
        lines = [_("The message “{subject}” to {recipient} is queued again and goes out with the next delivery, "
                   "to the person's current address.").format(subject=sendable[0][1],
                                                              recipient=sendable[0][2])]  # fmt: skip
    else:
        title, button = _("Send the failed messages again"), _("Send them again")
        if not sendable:
            return Confirmation(title, [], button, refusals=[_("The round has no failed message to send again.")])
        lines = [ngettext("{n} failed message is queued again and goes out with the next delivery.",
                          "{n} failed messages are queued again and go out with the next delivery.",
                          len(sendable)).format(n=len(sendable))]  # fmt: skip
    lines.append(_("Each goes to the person's current address (correct an address first if the server refused it) "
                   "and keeps its identity, so nobody gets a message twice."))  # fmt: skip
    return Confirmation(title, lines, button)


async def _posted(
    portal: "Portal",
    request: Request,
    slug: str,
    answer: Callable[["Portal", Request, Staff, Round, MessageForm], Response],
) -> Response:
    """A POST of the message form: checked (CSRF, origin, may run the round; an observer 403), read, and
    answered by `answer` (in a worker thread: it reads the store, and sending runs a flow)."""
    posted = await request.form(max_files=0, max_fields=200)
    values = {key: [v for v in posted.getlist(key) if isinstance(v, str)] for key in posted}
    staff = current_staff(request, portal)
    check_form(portal, request, staff, values)

    def answered() -> Response:
        with reading_session(portal.engine) as session:
            round_ = round_run(session, staff, slug)
        return answer(portal, request, staff, round_, _read_form(values, staff.language))

    return await run_in_threadpool(answered)


def _read_form(values: FormValues, language: str) -> MessageForm:
    """The form as sent; a choice the form does not offer is dropped, and said."""
    _ = gettext_for(language, "portal")
    offered = {"roles": {r.value for r in Role}, "kinds": {k.value for k in OrganisationKind},
               "lands": {s.value for s in FederalState}, "states": {s.value for s in PersonState}}  # fmt: skip
    chosen = {name: [v for v in values.get(name) or [] if v in allowed] for name, allowed in offered.items()}
    reasons = []
    if any(v not in allowed for name, allowed in offered.items() for v in values.get(name) or []):
        reasons.append(_("The form sent a choice it does not offer; it was left out. Please check the filter."))

    def text(name: str) -> str:  # as typed: GroupMessageText says what is too long
        return next(iter(values.get(name) or []), "")

    return MessageForm(
        roles=chosen["roles"], kinds=chosen["kinds"], lands=chosen["lands"], states=chosen["states"],
        search=first_value(values, "search")[:SEARCH_MAX_LENGTH], subject_de=text("subject_de"),
        body_de=text("body_de"), subject_en=text("subject_en"), body_en=text("body_en"), reasons=reasons,
    )  # fmt: skip


def _message_form(
    portal: "Portal", request: Request, staff: Staff, round_: Round, form: MessageForm, status_code: int = 200
) -> Response:
    language = staff.language
    choices = {
        "roles": [(role.value, role.group(language)) for role in Role],
        "kinds": [(kind.value, kind.label(language)) for kind in OrganisationKind],
        "lands": [(land.value, land.label) for land in FederalState],
        "states": [(state.value, state.label(language)) for state in PersonState],
    }
    return console_page(portal, request, "email_message.html", language, status_code=status_code, staff=staff,
                        round=round_, form=form, choices=choices, subject_max=SUBJECT_MAX_LENGTH,
                        body_max=BODY_MAX_LENGTH, search_max=SEARCH_MAX_LENGTH, **_names(language),
                        **_runs(portal, staff, round_))  # fmt: skip


def _preview_page(portal: "Portal", request: Request, staff: Staff, round_: Round, form: MessageForm) -> Response:
    """The message as it would go out now, with the button that sends it; refused, the form again."""
    if form.reasons:
        return _message_form(portal, request, staff, round_, form, status_code=422)
    assert round_.id is not None
    try:
        with reading_session(portal.engine) as session:
            preview: GroupMessagePreview = preview_group_message(
                session, round_.id, form.people(), form.subject_de, form.body_de, form.subject_en, form.body_en,
                sender=sender_from_settings(portal.settings), public_base_url=str(portal.settings.public_base_url),
                language=staff.language,
            )  # fmt: skip
    except Refused as refused:
        kept = MessageForm(**{**form.__dict__, "reasons": reasons_in(staff.language, refused.reasons)})
        return _message_form(portal, request, staff, round_, kept, status_code=422)
    return console_page(portal, request, "email_message_preview.html", staff.language, staff=staff, round=round_,
                        form=form, preview=preview, **_names(staff.language),
                        **_runs(portal, staff, round_))  # fmt: skip


def _send(portal: "Portal", request: Request, staff: Staff, round_: Round, form: MessageForm) -> Response:
    """The confirmed message, sent as the coordinator operation; refused, the form again with every reason."""
    _ = gettext_for(staff.language, "portal")
    reasons = list(form.reasons)
    if portal.actions is None:
        reasons.append(_("This portal runs no coordinator operations (it was started without them); use spr serve."))
    if reasons:
        return _message_form(portal, request, staff, round_, MessageForm(**{**form.__dict__, "reasons": reasons}),
                             status_code=422)  # fmt: skip
    assert portal.actions is not None and round_.id is not None
    try:
        done = portal.actions.message_group(
            round_.id, round_.slug, form.people(), form.subject_de, form.body_de, form.subject_en, form.body_en,
            staff.actor, staff.language,
        )  # fmt: skip
    except Refused as refused:
        kept = MessageForm(**{**form.__dict__, "reasons": reasons_in(staff.language, refused.reasons)})
        return _message_form(portal, request, staff, round_, kept, status_code=422)
    return done_and_go(portal, f"/console/rounds/{round_.slug}/email/outbox", done.notice)
