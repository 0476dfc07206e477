"""The right of reply behind a reviewed party's personal link (/c/<token>): its draft findings, and its replies.

As with the forms, GET shows and never changes anything; POST checks origin
and CSRF, then keeps the replies as a draft or sends them, and redirects (Post/Redirect/Get). The rules
(who may answer what, until when, what is stored) are review_model.replies'; this module only shows them.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import object_session
from sqlmodel import Session, func, select

from config.translations import gettext_for
from notifications.message_kinds import ReplyReceipt
from portal.accessibility_pages import statement_link
from portal.failures import form_kept, unsaved_notice
from portal.form_pages import (
    _enqueue,
    _first,
    _link,
    _questionnaire,
    closed_meanwhile,
    for_organisation,
    guarded_post,
    link_holder,
    link_refused_page,
    my_data_path,
)
from portal.form_view import shown_text
from portal.rendering import invalid_link_page, refused_request_page, render_page
from portal.scale_names import scale_name
from portal.security import csrf_ok, csrf_token
from reports.rendering_numbers import number, signed
from review_model import clock
from review_model.consensus import AgreedAssessment, agreed_assessments
from review_model.findings import read_group_details
from review_model.moments import format_moment
from review_model.questionnaire import Questionnaire
from review_model.replies import (
    MAX_REPLY_LENGTH,
    RepliesClosed,
    ReplyRefused,
    ReplyTarget,
    ReplyTooLong,
    accepts_replies,
    replies_by_finding,
    reply_targets,
    save_replies,
)
from review_model.store import reading_session, session_scope
from review_model.submissions import find_submission
from review_model.tables import (
    AccessToken,
    Enrolment,
    Finding,
    Organisation,
    OutboxMessage,
    Participant,
    Round,
    Submission,
)
from review_model.tokens import LinkRefused
from review_model.vocabulary import TokenPurpose

if TYPE_CHECKING:
    from portal.app import Portal

FIELD_PREFIX = "reply-"
Texts = Mapping[int | None, str]  # by finding id; None: the reply to the findings as a whole


@dataclass(frozen=True)
class ReplyRequest:
    token: str
    language: str | None  # None: the participant's own
    done: str | None = None


@dataclass
class LinkedReply:
    """Everything one reply link opens, loaded once per request."""

    access: AccessToken
    round: Round
    enrolment: Enrolment
    participant: Participant
    organisation: Organisation
    submission: Submission
    questionnaire: Questionnaire
    targets: list[ReplyTarget]


@dataclass(frozen=True)
class FindingView:
    scale: str
    own: str
    peers: str
    gap: str


@dataclass(frozen=True)
class TargetView:
    name: str  # the textarea's name
    label: str
    findings: list[FindingView]
    comments: list[str]
    text: str
    error: str | None

    @property
    def target(self) -> str:
        """The id of the textarea, which an error summary links to."""
        return f"f-{self.name}"


def field_name(finding_id: int | None) -> str:
    """The form field that carries the reply to a target."""
    return f"{FIELD_PREFIX}{'general' if finding_id is None else finding_id}"


def show_reply_page(portal: "Portal", request: ReplyRequest) -> Response:
    """The party's draft findings and its replies, editable until the comment deadline."""
    now = clock.now()
    with session_scope(portal.engine) as session:
        try:
            linked = _load(session, request.token, now)
        except LinkRefused as refused:
            return link_refused_page(session, refused, request.language)
        language = request.language or linked.participant.language.value
        readonly = not accepts_replies(linked.round, now)
        saved = _saved_texts(session, linked)
        notices = _notices(linked, language, request.done, readonly, has_drafts=bool(saved))
        return _render(portal, linked, language, saved, notices, readonly)


def handle_reply_post(
    portal: "Portal", request: ReplyRequest, values: Mapping[str, Sequence[str]], headers: Mapping[str, str]
) -> Response:
    """Keep the party's replies as a draft (action=save) or send them (action=send)."""
    return guarded_post(
        headers, request.language, lambda: _save(portal, request, values), lambda: _unsaved(portal, request, values)
    )


def _save(portal: "Portal", request: ReplyRequest, values: Mapping[str, Sequence[str]]) -> Response:
    now = clock.now()
    with session_scope(portal.engine) as session:
        try:
            linked = _load(session, request.token, now)
        except LinkRefused as refused:
            return link_refused_page(session, refused, request.language)
        language = request.language or linked.participant.language.value
        _ = gettext_for(language, "portal")
        if not csrf_ok(portal.secret, linked.access.token_hash, _first(values, "csrf")):
            return refused_request_page(language)
        typed = _typed_texts(linked, values)
        if typed is None:  # a field for a finding that is not one of this party's targets: a forged form
            return invalid_link_page(language)
        sending = _first(values, "action") == "send"
        assert linked.enrolment.id is not None
        try:
            counts = save_replies(
                session, linked.round, linked.submission, linked.enrolment.id, typed, now, send=sending
            )
        except ReplyRefused as refused:
            session.rollback()
            shown = {**_saved_texts(session, linked), **typed}
            problem = (
                _("Please shorten the text to at most {max} characters.").format(max=MAX_REPLY_LENGTH)
                if isinstance(refused, ReplyTooLong)
                else _("The text contains a control character that is not allowed (shown as \ufffd). Please remove it.")
            )
            errors = {refused.finding_id: problem}
            return _render(portal, linked, language, shown, [], False, errors, status_code=422)
        except RepliesClosed:
            session.rollback()
            shown = {**_saved_texts(session, linked), **typed}  # shown, so nothing typed is lost
            notice = [{"kind": "error", "text": closed_meanwhile(language, early=False)}]
            return _render(portal, linked, language, shown, notice, True, status_code=409)
        if counts:  # a first send, or a change to a sent reply: confirm what arrived
            _send_receipt(session, portal, linked, now)
        linked.access.last_used_at = now
        round_id = linked.round.id
    if sending and portal.on_submission is not None and round_id is not None:
        portal.on_submission(round_id)
    return RedirectResponse(f"?lang={language}&done={'sent' if sending else 'saved'}", status_code=303)


def _unsaved(portal: "Portal", request: ReplyRequest, values: Mapping[str, Sequence[str]]) -> Response:
    with reading_session(portal.engine) as session:
        linked = _load(session, request.token, clock.now())
        language = request.language or linked.participant.language.value
        shown = {**_saved_texts(session, linked), **(_typed_texts(linked, values) or {})}
        return form_kept(_render(portal, linked, language, shown, unsaved_notice(language), False, status_code=503))


def _load(session: Session, token: str, now: datetime) -> LinkedReply:
    access, enrolment, participant, organisation, round_ = link_holder(session, token, TokenPurpose.reply, now)
    assert enrolment.id is not None
    submission = find_submission(session, enrolment.id)
    if submission is None or submission.id is None:  # only a reviewed party has findings to answer
        raise LinkRefused("unknown")
    questionnaire = _questionnaire(round_)
    targets = reply_targets(session, questionnaire, submission.id)
    return LinkedReply(access, round_, enrolment, participant, organisation, submission, questionnaire, targets)


def _send_receipt(session: Session, portal: "Portal", linked: LinkedReply, now: datetime) -> None:
    """A receipt for each time the reply is sent or changed, numbered so that none replaces another."""
    assert linked.submission.id is not None
    replies = sum(1 for reply in replies_by_finding(session, linked.submission.id).values() if reply.text.strip())
    earlier = session.exec(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.round_id == linked.round.id,
            OutboxMessage.recipient_participant_id == linked.participant.id,
            OutboxMessage.kind == ReplyReceipt.kind,
        )
    ).one()
    receipt = ReplyReceipt(_link(portal, linked), now, linked.round.comment_deadline, replies)
    _enqueue(session, portal, linked, receipt, "comment", earlier + 1, now)


def _saved_texts(session: Session, linked: LinkedReply) -> dict[int | None, str]:
    assert linked.submission.id is not None
    return {finding_id: reply.text for finding_id, reply in replies_by_finding(session, linked.submission.id).items()}


def _typed_texts(linked: LinkedReply, values: Mapping[str, Sequence[str]]) -> dict[int | None, str] | None:
    """The replies a form sent, by finding id; None when it names a finding the party may not answer."""
    targets = {field_name(target.finding_id): target.finding_id for target in linked.targets}
    typed: dict[int | None, str] = {}
    for name, sent in values.items():
        if not name.startswith(FIELD_PREFIX):
            continue  # csrf, action, lang, and whatever else a browser adds
        if name not in targets:
            return None
        typed[targets[name]] = sent[0] if sent else ""
    return typed


def _notices(
    linked: LinkedReply, language: str, done: str | None, readonly: bool, has_drafts: bool
) -> list[dict[str, str]]:
    _ = gettext_for(language, "portal")
    sent_at = linked.submission.reply_submitted_at
    notices = []
    if done == "saved":
        notices.append({"kind": "ok", "text": _("Your draft is saved. It counts only once you send it.")})
    elif done == "sent" and sent_at is not None:
        text = _("Thank you! We received your reply. Until the deadline you can change it and send it again.")
        notices.append({"kind": "ok", "text": text})
    if sent_at is not None and done != "sent":
        when = format_moment(sent_at, linked.round.time_zone, language)
        if readonly:
            text = _("You sent your reply on {when}.")
        else:
            text = _("You sent your reply on {when}. Until the deadline you can change it and send it again.")
        notices.append({"kind": "info", "text": text.format(when=when)})
    if readonly:
        notices.append({"kind": "info", "text": _("Replies are no longer possible. You see what you saved.")})
        if sent_at is None and has_drafts:
            text = _("Your draft was not sent and does not appear in the report.")
            notices.append({"kind": "info", "text": text})
    elif sent_at is None and has_drafts and done != "saved":
        notices.append({"kind": "info", "text": _("You have saved a draft that is not sent yet.")})
    return notices


def _joint_assessment(linked: LinkedReply, language: str) -> AgreedAssessment | None:
    """The reviewers' joint assessment of the party (review_model.consensus), where the round had a consensus
    stage and the lead submitted it."""
    session = object_session(linked.submission)
    assert isinstance(session, Session) and linked.submission.id is not None  # loaded in the request's session
    found = agreed_assessments(session, linked.round, language, linked.submission.id)
    return found.get(linked.submission.id)


def _render(
    portal: "Portal",
    linked: LinkedReply,
    language: str,
    texts: Texts,
    notices: list[dict[str, str]],
    readonly: bool,
    errors: Mapping[int | None, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    _ = gettext_for(language, "portal")
    general_label = _("The findings as a whole")
    errors = errors or {}
    labels = linked.questionnaire.tag_labels()
    groups, general = [], None
    for target in linked.targets:
        if target.finding_id is None:
            general = TargetView(
                field_name(None), general_label, [], [], shown_text(texts.get(None, "")), errors.get(None)
            )
            continue
        # A group's key is the value of the tag its scope is named after (an objective's id, say).
        label = labels.get((target.findings[0].scope.value, target.key or ""))
        groups.append(
            TargetView(
                field_name(target.finding_id),
                label.in_language(language) if label else target.key or "",
                [_finding_view(linked.questionnaire, finding, language) for finding in target.findings],
                _comments(target.findings),
                shown_text(texts.get(target.finding_id, "")),
                errors.get(target.finding_id),
            )
        )
    title = linked.round.title_in(language)
    return render_page(
        "reply.html",
        language,
        status_code,
        heading=_("Your reply to the findings"),
        subheading=for_organisation(linked.organisation.name, language),
        round_title=title,
        deadline=format_moment(linked.round.comment_deadline, linked.round.time_zone, language),
        notices=notices,
        groups=groups,
        general=general,
        readonly=readonly,
        sent_before=linked.submission.reply_submitted_at is not None,
        max_length=MAX_REPLY_LENGTH,
        joint_assessment=_joint_assessment(linked, language),
        csrf=csrf_token(portal.secret, linked.access.token_hash),
        other_lang="en" if language == "de" else "de",
        coordinator_name=linked.round.coordinator_name,
        coordinator_email=linked.round.coordinator_email,
        my_data_href=my_data_path(portal, linked.access, language),
        accessibility_href=statement_link(language, portal.secret, linked.round.id),
    )


def _finding_view(questionnaire: Questionnaire, finding: Finding, language: str) -> FindingView:
    scale = questionnaire.scales.get(finding.scale or "")

    def rating(mean: float | None) -> str:
        if mean is None:
            return "—"
        shown = number(mean, language)
        return f"{shown} – {scale.level_of(mean).label.in_language(language)}" if scale else shown

    gap = read_group_details(finding.details).gap
    return FindingView(
        scale_name(finding.scale or "", language),  # questionnaires name scales but give them no label
        rating(finding.self_score),
        rating(finding.peer_mean),
        "—" if gap is None else signed(gap, language, minus="−"),
    )


def _comments(findings: Sequence[Finding]) -> list[str]:
    """The reviewers' comments on a group, each once: a group on two scales lists the same comments twice."""
    seen: set[str] = set()
    comments: list[str] = []
    for finding in findings:
        evidence = read_group_details(finding.details).evidence
        fresh = [comment for comment in evidence.comments if comment.item not in seen]
        comments += [comment.text for comment in fresh]
        seen |= {comment.item for comment in fresh}
    return comments
