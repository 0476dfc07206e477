"""The self-assessment and review forms behind personal links: show, save a draft, submit.

GET never changes answers (mail scanners open links before people do); it only notes the first view.
POST checks origin and CSRF, reads and checks the answers, and either shows the form again with a message
beside each problem (everything typed kept) or saves and redirects (Post/Redirect/Get).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, object_session
from sqlmodel import Session, col, select

from config.translations import gettext_for
from notifications.addressing import answer_summary, recipient_for, round_context, sender_from_settings
from notifications.compose import compose_message
from notifications.message_kinds import ReviewReceipt, SubmissionReceipt
from notifications.outbox import enqueue_messages
from portal.accessibility_pages import statement_link
from portal.failures import STORE_UNAVAILABLE, form_kept, unsaved_notice
from portal.follow_up_view import follow_up_receipt, follow_up_section
from portal.form_view import build_sections, stored_values
from portal.rendering import invalid_link_page, message_page, refused_request_page, render_page
from portal.review_questions import (
    ReviewFormQuestions,
    question_problems,
    review_form_questions,
    tell_party_of_questions,
    typed_questions,
)
from portal.security import csrf_ok, csrf_token, same_origin
from review_model import clock
from review_model.answers import FormField, FormMode, form_fields, read_answers
from review_model.co_reviewers import CoReviewersView, co_reviewers_view
from review_model.early_close import closed_early_at
from review_model.follow_up import (
    FollowUpCheck,
    FollowUpEntry,
    FollowUpQuestions,
    follow_up_questions,
    follow_ups_to_show,
    form_values,
    has_unsubmitted_follow_ups,
    read_follow_ups,
    save_follow_ups,
)
from review_model.handover import form_holder, handed_over_link
from review_model.moments import format_moment
from review_model.questionnaire import Questionnaire
from review_model.questions import QuestionRefused, ask_question, clean_text
from review_model.reviews import ReviewClosed, accepts_reviews, find_review, save_review
from review_model.stage_rules import STAGE_ORDER, accepts_submissions, stage_deadline
from review_model.store import reading_session, session_scope
from review_model.submissions import (
    SubmissionClosed,
    find_submission,
    has_unsubmitted_changes,
    latest_version,
    record_first_view,
    save_draft,
    submit_answers,
)
from review_model.tables import (
    AccessToken,
    Enrolment,
    Organisation,
    Participant,
    Review,
    ReviewAssignment,
    Round,
    Submission,
)
from review_model.tokens import LINK_PATHS, LinkRefused, derive_token, link_url, resolve_link
from review_model.vocabulary import Stage, TokenPurpose

if TYPE_CHECKING:
    from portal.app import Portal


@dataclass(frozen=True)
class FormRequest:
    purpose: TokenPurpose
    token: str
    language: str | None  # None: the participant's own
    done: str | None = None


class LinkOpened(Protocol):
    """What every personal link opens (a form's, a reply's): the link, the round, and whose it is."""

    @property
    def access(self) -> AccessToken: ...
    @property
    def round(self) -> Round: ...
    @property
    def participant(self) -> Participant: ...
    @property
    def organisation(self) -> Organisation: ...


@dataclass
class LinkedForm:
    """Everything one link opens, loaded once per request."""

    access: AccessToken
    round: Round
    enrolment: Enrolment
    participant: Participant
    organisation: Organisation
    questionnaire: Questionnaire
    mode: FormMode
    fields: list[FormField]
    work: Submission | Review | None
    assignment: ReviewAssignment | None = None
    reviewed_organisation: str | None = None
    reviewed_answers: dict[str, Any] = field(default_factory=dict)
    token: str = ""  # the link's token, for the addresses of the link's own pages
    # What the self-assessment asks about the previous round's recommendations (review_model.follow_up).
    follow_up: FollowUpQuestions | None = None

    @property
    def own_link(self) -> bool:
        """Whether the link is the one of the person whose form it is (not of someone who handed it over)."""
        return self.access.enrolment_id == self.enrolment.id

    @property
    def in_consensus(self) -> bool:
        """A submitted review in the round's consensus stage: the reviewer may revise it until its deadline."""
        return (self.mode == "review" and self.round.stage is Stage.consensus and isinstance(self.work, Review)
                and self.work.is_submitted)  # fmt: skip

    @property
    def deadline(self) -> datetime:
        if self.mode == "self_assessment":
            return self.round.submission_deadline
        if self.in_consensus and self.round.consensus_deadline is not None:
            return self.round.consensus_deadline
        return self.round.review_deadline

    def open_for_answers(self, now: datetime) -> bool:
        if self.mode == "self_assessment":
            return accepts_submissions(self.round, now)
        return accepts_reviews(self.round, now, self.work if isinstance(self.work, Review) else None)


def show_form(portal: "Portal", request: FormRequest) -> Response:
    now = clock.now()
    with session_scope(portal.engine) as session:
        try:
            linked = _load(session, request, now)
        except LinkRefused as refused:
            return link_refused_page(session, refused, request.language)
        if linked.mode == "self_assessment" and linked.own_link:  # "opened their link" in `spr status`: the
            record_first_view(linked.enrolment, now)  # invitation's
        language = request.language or linked.participant.language.value
        if request.done == "submitted" and linked.work is not None and linked.work.is_submitted:
            return _confirmation(portal, linked, language)
        readonly = not linked.open_for_answers(now)
        answers = _answers_to_show(session, linked, readonly)
        notices = _notices(session, linked, language, request.done, readonly)
        if readonly:
            notices = _why_closed(session, linked, language, now) + notices
        values = stored_values(answers, language)
        if linked.follow_up is not None and isinstance(linked.work, Submission):
            values.update(form_values(follow_ups_to_show(session, linked.work, readonly)))
        qa = _questions(session, linked, language, now)
        return _render(portal, linked, language, values, {}, answers, notices, readonly, qa=qa)


def handle_form_post(
    portal: "Portal", request: FormRequest, values: Mapping[str, Sequence[str]], headers: Mapping[str, str]
) -> Response:
    return guarded_post(
        headers, request.language, lambda: _save(portal, request, values), lambda: _unsaved(portal, request, values)
    )


def guarded_post(
    headers: Mapping[str, str], language: str | None, save: Callable[[], Response], unsaved: Callable[[], Response]
) -> Response:
    """Refuse a POST from another site; run `save` again once if a concurrent first save won the race; if the
    store fails (down, read-only, full), `unsaved` shows the form again with everything typed."""
    fallback_language = language or "de"
    if not same_origin(headers):
        return refused_request_page(fallback_language)
    for attempt in range(2):
        try:
            return save()
        except IntegrityError:  # two saves of a new row at once: the second finds the first's row
            if attempt:
                raise
        except STORE_UNAVAILABLE:
            return unsaved()  # raises in turn if the store cannot even be read: the portal's 503 page
    raise AssertionError("unreachable")


def _save(portal: "Portal", request: FormRequest, values: Mapping[str, Sequence[str]]) -> Response:
    now = clock.now()
    with session_scope(portal.engine) as session:
        try:
            linked = _load(session, request, now)
        except LinkRefused as refused:
            return link_refused_page(session, refused, request.language)
        language = request.language or linked.participant.language.value
        if not csrf_ok(portal.secret, linked.access.token_hash, _first(values, "csrf")):
            return refused_request_page(language)
        submitting = _first(values, "action") == "submit"
        check = read_answers(linked.fields, values, language=language, final=submitting)
        follow_up = _read_follow_up(linked, values, language, submitting)
        # Questions typed on a review form are asked whichever button sent it, so that nothing typed is lost.
        asking = _typed_questions(linked, values)
        problems = question_problems(asking, language)
        if not check.ok or follow_up.errors or problems:
            errors = {**check.errors, **follow_up.errors}
            qa = _questions(session, linked, language, now, asking, problems)
            return _render(portal, linked, language, values, errors, check.answers, [], False, qa=qa,
                           status_code=422)  # fmt: skip
        try:
            if linked.mode == "self_assessment":
                _save_self_assessment(session, portal, linked, check.answers, follow_up.entries, now, submitting)
            else:
                _save_review(session, portal, linked, check.answers, now, submitting)
                _ask(session, portal, linked, asking, now)
        except (SubmissionClosed, ReviewClosed, QuestionRefused):
            session.rollback()
            notice = [{"kind": "error", "text": closed_meanwhile(language, early=now < linked.deadline)}]
            qa = _questions(session, linked, language, now, asking)
            return _render(portal, linked, language, values, {}, check.answers, notice, True, qa=qa, status_code=409)
        linked.access.last_used_at = now
        round_id = linked.round.id
    if submitting and portal.on_submission is not None and round_id is not None:
        portal.on_submission(round_id)
    done = "submitted" if submitting else "asked" if asking else "saved"
    return RedirectResponse(f"?lang={language}&done={done}", status_code=303)


def _read_follow_up(
    linked: LinkedForm, values: Mapping[str, Sequence[str]], language: str, submitting: bool
) -> FollowUpCheck:
    if linked.follow_up is None:
        return FollowUpCheck()
    return read_follow_ups(linked.follow_up.recommendations, values, language=language, final=submitting)


def _unsaved(portal: "Portal", request: FormRequest, values: Mapping[str, Sequence[str]]) -> Response:
    with reading_session(portal.engine) as session:
        linked = _load(session, request, clock.now())
        language = request.language or linked.participant.language.value
        answers = read_answers(linked.fields, values, language=language, final=False).answers
        notices = unsaved_notice(language)
        qa = _questions(session, linked, language, clock.now(), _typed_questions(linked, values))
        return form_kept(_render(portal, linked, language, values, {}, answers, notices, False, qa=qa,
                                 status_code=503))  # fmt: skip


def _save_self_assessment(
    session: Session,
    portal: "Portal",
    linked: LinkedForm,
    answers: dict[str, Any],
    follow_ups: dict[int, FollowUpEntry],
    now: datetime,
    submitting: bool,
) -> None:
    if not submitting:
        submission = save_draft(session, linked.round, linked.enrolment, answers, now)
        _save_follow_ups(session, linked, submission, follow_ups, now, submitting)
        return
    submission = submit_answers(session, linked.round, linked.enrolment, answers, now)
    _save_follow_ups(session, linked, submission, follow_ups, now, submitting)
    language = linked.participant.language.value
    closes = stage_deadline(linked.round, Stage.submission) or linked.round.submission_deadline
    summary = answer_summary(linked.questionnaire, linked.fields, answers, language)
    if linked.follow_up is not None:
        summary += (follow_up_receipt(linked.follow_up, follow_ups, language),)
    receipt = SubmissionReceipt(
        link=_link(portal, linked),
        version=submission.version,
        submitted_at=now,
        editable_until=closes,
        summary=summary,
    )
    _enqueue(session, portal, linked, receipt, "submission", submission.version, now)


def _save_follow_ups(
    session: Session,
    linked: LinkedForm,
    submission: Submission,
    entries: dict[int, FollowUpEntry],
    now: datetime,
    submitting: bool,
) -> None:
    if linked.follow_up is not None:
        recommendations = linked.follow_up.recommendations
        save_follow_ups(session, linked.round, submission, recommendations, entries, now, submit=submitting)


def _save_review(
    session: Session, portal: "Portal", linked: LinkedForm, answers: dict[str, Any], now: datetime, submitting: bool
) -> None:
    assert linked.assignment is not None and linked.reviewed_organisation is not None
    review = save_review(session, linked.round, linked.assignment, answers, now, submit=submitting)
    if submitting:
        receipt = ReviewReceipt(linked.reviewed_organisation, now, _link(portal, linked), linked.deadline)
        _enqueue(session, portal, linked, receipt, f"review-{linked.assignment.id}", review.version, now)


def _typed_questions(linked: "LinkedForm", values: Mapping[str, Sequence[str]]) -> dict[str | None, str]:
    """The questions a review form brought (boxes left empty are none)."""
    if linked.mode != "review":
        return {}
    return {key: text for key, text in typed_questions(values, linked.questionnaire).items() if clean_text(text)}


def _ask(
    session: Session, portal: "Portal", linked: "LinkedForm", asking: Mapping[str | None, str], now: datetime
) -> None:
    """Ask the reviewed party the questions typed, and tell it (review_model.questions has the rules)."""
    if not asking:
        return
    assert linked.assignment is not None
    for item_id, text in asking.items():
        ask_question(session, linked.round, linked.assignment, linked.enrolment, item_id, text, now)
    tell_party_of_questions(session, portal, linked.round, linked.assignment.submission_id, now)


def _questions(
    session: Session,
    linked: "LinkedForm",
    language: str,
    now: datetime,
    typed: Mapping[str | None, str] | None = None,
    errors: Mapping[str | None, str] | None = None,
) -> ReviewFormQuestions | None:
    """The questions a review form shows beside its items; None on a self-assessment."""
    if linked.assignment is None or linked.assignment.id is None:
        return None
    return review_form_questions(session, linked.round, linked.assignment.submission_id, linked.assignment.id,
                                 linked.questionnaire, language, now, typed, errors)  # fmt: skip


def _enqueue(
    session: Session, portal: "Portal", linked: LinkOpened, content: Any, stage: str, sequence: int, now: datetime
) -> None:
    message = compose_message(
        content,
        recipient_for(linked.participant, linked.organisation),
        round_context(linked.round),
        sender_from_settings(portal.settings),
        stage=stage,
        now=now,
        sequence=sequence,
    )
    enqueue_messages(session, [message], now)


def _link(portal: "Portal", linked: LinkOpened) -> str:
    return link_url(
        str(portal.settings.public_base_url), linked.access.purpose, derive_token(portal.secret, linked.access.nonce)
    )


def my_data_path(portal: "Portal", access: AccessToken, language: str) -> str:
    """The path of the "my data" page behind a personal link (see portal.my_data_pages)."""
    token = derive_token(portal.secret, access.nonce)
    return f"/{LINK_PATHS[access.purpose]}/{token}/my-data?lang={language}"


def link_holder(
    session: Session, token: str, purpose: TokenPurpose, now: datetime
) -> tuple[AccessToken, Enrolment, Participant, Organisation, Round]:
    """Who a personal link belongs to, in which round; LinkRefused for a link that opens nothing."""
    access = resolve_link(session, token, purpose, now)
    enrolment, participant, organisation, round_ = session.exec(
        select(Enrolment, Participant, Organisation, Round)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .join(Round, col(Round.id) == Enrolment.round_id)
        .where(Enrolment.id == access.enrolment_id)
        # The snapshot is parsed once per process (see _questionnaire). SQLModel types the column attribute as its
        # value, where defer() wants the InstrumentedAttribute it is at run time.
        .options(defer(Round.questionnaire_snapshot))  # type: ignore[arg-type]
    ).one()
    if enrolment.withdrawn_at is not None:  # their links were revoked on withdrawal; none opens anything since
        raise LinkRefused("unknown")
    return access, enrolment, participant, organisation, round_


def _load(session: Session, request: FormRequest, now: datetime) -> LinkedForm:
    access, enrolment, participant, organisation, round_ = link_holder(session, request.token, request.purpose, now)
    assert enrolment.id is not None
    questionnaire = _questionnaire(round_)
    if request.purpose is TokenPurpose.self_assessment:
        # A form handed over to a colleague: the link opens it where it is now, if the round keeps such links
        # working (else it was revoked with the handover, and resolve_link refused it).
        holder = form_holder(session, enrolment) if round_.handover_keeps_first_link else None
        if enrolment.handed_over_at is not None and holder is None:
            raise LinkRefused("unknown", access)
        holder = holder or enrolment
        assert holder.id is not None
        return LinkedForm(
            access, round_, holder, participant, organisation, questionnaire, "self_assessment",
            _fields(round_, "self_assessment"), find_submission(session, holder.id), token=request.token,
            follow_up=follow_up_questions(session, round_, organisation.kind),
        )  # fmt: skip
    found = session.exec(
        select(ReviewAssignment, Submission, Organisation)
        .join(Submission, col(Submission.id) == ReviewAssignment.submission_id)
        .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(ReviewAssignment.id == access.assignment_id)
    ).first()
    if found is None:
        raise LinkRefused("unknown")
    assignment, reviewed, reviewed_organisation = found
    assert assignment.id is not None and reviewed.id is not None
    version = latest_version(session, reviewed.id)
    return LinkedForm(
        access, round_, enrolment, participant, organisation, questionnaire, "review", _fields(round_, "review"),
        find_review(session, assignment.id), assignment, reviewed_organisation.name,
        dict(version.answers) if version else {}, token=request.token,
    )  # fmt: skip


_QUESTIONNAIRES: dict[tuple[int, str], Questionnaire] = {}
_FIELDS: dict[tuple[int, str, str], list[FormField]] = {}


def _questionnaire(round_: Round) -> Questionnaire:
    # A round's snapshot never changes; parsing it once per process saves work on every request.
    key = (round_.id or 0, round_.spec_digest)
    questionnaire = _QUESTIONNAIRES.get(key)
    if questionnaire is None:
        questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
        if len(_QUESTIONNAIRES) > 64:
            _QUESTIONNAIRES.clear()
            _FIELDS.clear()
        _QUESTIONNAIRES[key] = questionnaire
    return questionnaire


def _fields(round_: Round, mode: FormMode) -> list[FormField]:
    key = (round_.id or 0, round_.spec_digest, mode)
    fields = _FIELDS.get(key)
    if fields is None:
        fields = _FIELDS[key] = form_fields(_questionnaire(round_), mode)
    return fields


def _answers_to_show(session: Session, linked: LinkedForm, readonly: bool) -> dict[str, Any]:
    work = linked.work
    if work is None:
        return {}
    if readonly and isinstance(work, Submission) and work.is_submitted:
        assert work.id is not None
        latest = latest_version(session, work.id)
        return dict(latest.answers) if latest else dict(work.answers)
    return dict(work.answers)


def _notices(
    session: Session, linked: LinkedForm, language: str, done: str | None, readonly: bool
) -> list[dict[str, str]]:
    _ = gettext_for(language, "portal")
    notices = []
    work = linked.work
    if linked.mode == "self_assessment" and not linked.own_link:  # the round keeps a handed-over form's links
        notices.append({"kind": "info", "text": _("You handed this form over to a colleague, who answers it now; "
                                                  "your link still opens it.")})  # fmt: skip
    if done == "saved":
        notices.append({"kind": "ok", "text": _("Your draft is saved. You can continue at any time with your link.")})
    elif done == "asked":
        notices.append({"kind": "ok", "text": _("Your question was passed on to the organisation, and your draft is "
                                                "saved. The answer will appear beside the question.")})  # fmt: skip
    elif done == "submitted" and work is not None:
        notices.append({"kind": "ok", "text": _received(linked.mode, work.version, language)})
    if readonly and linked.mode == "self_assessment":
        if work is not None and work.is_submitted:
            text = _("You see the answers you submitted; they can no longer be changed.")
        elif work is not None and work.answers:
            text = _(
                "You did not submit answers. Your saved draft is not part of the round and can no longer be changed."
            )
        else:
            text = _("You did not submit answers; answers can no longer be given.")
        notices.append({"kind": "info", "text": text})
    elif readonly:
        notices.append({"kind": "info", "text": _("Reviews cannot be given at the moment. You see what you saved.")})
    elif work is not None and work.is_submitted and done != "submitted":
        when = format_moment(work.submitted_at, linked.round.time_zone, language) if work.submitted_at else "—"
        text = _("Submitted on {when} (version {version}). You can change your answers until the deadline.")
        notices.append({"kind": "info", "text": text.format(when=when, version=work.version)})
        if isinstance(work, Submission) and (
            has_unsubmitted_changes(session, work)
            or (linked.follow_up is not None and has_unsubmitted_follow_ups(session, work))
        ):
            notices.append({"kind": "info", "text": _("You have saved changes that are not submitted yet.")})
    elif work is not None and work.updated_at is not None and done != "saved":
        when = format_moment(work.updated_at, linked.round.time_zone, language)
        notices.append({"kind": "info", "text": _("Draft saved on {when}.").format(when=when)})
    return notices


def _received(mode: FormMode, version: int, language: str) -> str:
    """What the page says once answers or a review arrived."""
    _ = gettext_for(language, "portal")
    if mode == "self_assessment":
        text = _("Thank you! We received your answers (version {version}). A confirmation is on its way by email.")
        return text.format(version=version)
    return _("Thank you! We received your review. A confirmation is on its way by email.")


def closed_meanwhile(language: str, early: bool) -> str:
    """Why the last entry was not saved: the deadline passed, or the coordinator closed the stage `early`,
    while the page was open."""
    _ = gettext_for(language, "portal")
    if early:
        return _("The coordinator has closed this stage early in the meantime; your last entry could not be saved.")
    return _("The deadline has passed in the meantime; your last entry could not be saved.")


def _why_closed(session: Session, linked: LinkedForm, language: str, now: datetime) -> list[dict[str, str]]:
    """Why the form is read-only: the coordinator closed the stage before the deadline the page shows (and
    when), or, for a self-assessment, the deadline has passed."""
    _ = gettext_for(language, "portal")
    stage = (
        Stage.submission
        if linked.mode == "self_assessment"
        else Stage.consensus
        if linked.in_consensus
        else Stage.review
    )
    closed = closed_early_at(session, linked.round, stage, linked.deadline) if now < linked.deadline else None
    if closed is not None:
        when = format_moment(closed, linked.round.time_zone, language)
        text = _("The coordinator closed this stage early, on {when}, before the deadline shown.")
        return [{"kind": "info", "text": text.format(when=when)}]
    return [{"kind": "info", "text": _("The deadline has passed.")}] if linked.mode == "self_assessment" else []


def _render(
    portal: "Portal",
    linked: LinkedForm,
    language: str,
    values: Mapping[str, Sequence[str]],
    errors: Mapping[str, str],
    answers: Mapping[str, Any],
    notices: list[dict[str, str]],
    readonly: bool,
    status_code: int = 200,
    qa: ReviewFormQuestions | None = None,
) -> HTMLResponse:
    _ = gettext_for(language, "portal")
    sections = build_sections(
        linked.questionnaire, linked.fields, linked.mode, language, values, errors, answers, linked.reviewed_answers
    )
    if linked.follow_up is not None:
        sections.append(follow_up_section(linked.follow_up, language, values, errors))
    if linked.mode == "self_assessment":
        heading = _("Self-assessment")
        subheading = for_organisation(linked.organisation.name, language)
    else:
        heading = _("Review of {organisation}").format(organisation=linked.reviewed_organisation)
        subheading = _("Peer review")
    title = linked.round.title_in(language)
    return render_page(
        "form.html",
        language,
        status_code,
        mode=linked.mode,
        heading=heading,
        subheading=subheading,
        round_title=title,
        deadline=format_moment(linked.deadline, linked.round.time_zone, language),
        notices=notices,
        sections=sections,
        complete_count=sum(section.complete for section in sections),
        readonly=readonly,
        submitted_before=linked.work is not None and linked.work.is_submitted,
        csrf=csrf_token(portal.secret, linked.access.token_hash),
        other_lang="en" if language == "de" else "de",
        coordinator_name=linked.round.coordinator_name,
        coordinator_email=linked.round.coordinator_email,
        my_data_href=my_data_path(portal, linked.access, language),
        accessibility_href=statement_link(language, portal.secret, linked.round.id),
        handover_href=_handover_href(linked, language, readonly),
        co_reviewers=_co_reviewers(linked, language),
        consensus_href=_consensus_href(linked, language),
        qa=qa,
    )


def _co_reviewers(linked: LinkedForm, language: str) -> CoReviewersView | None:
    """The co-reviewers' ratings, for a reviewer who submitted their review (review_model.co_reviewers)."""
    work = linked.work
    if linked.mode != "review" or not isinstance(work, Review) or not work.is_submitted or linked.assignment is None:
        return None
    session = object_session(work)
    assert isinstance(session, Session)  # loaded in the request's session, which is still open
    return co_reviewers_view(session, linked.round, linked.questionnaire, linked.assignment, language)


def _consensus_href(linked: LinkedForm, language: str) -> str | None:
    """The reviewer's consensus page (portal.consensus_pages), once the round has entered its consensus stage."""
    if linked.mode != "review" or linked.round.consensus_deadline is None:
        return None
    entered = STAGE_ORDER.index(linked.round.stage) >= STAGE_ORDER.index(Stage.consensus)
    return f"/r/{linked.token}/consensus?lang={language}" if entered else None


def _handover_href(linked: LinkedForm, language: str, readonly: bool) -> str | None:
    """Where the respondent hands the form to a colleague; None where they cannot (a review, a read-only form,
    a link of someone who handed it over)."""
    if linked.mode != "self_assessment" or readonly or not linked.own_link:
        return None
    return f"/a/{linked.token}/hand-over?lang={language}"


def _confirmation(portal: "Portal", linked: LinkedForm, language: str) -> Response:
    """A short page after submitting: what arrived, and how to change it."""
    _ = gettext_for(language, "portal")
    work = linked.work
    assert work is not None
    return render_page(
        "confirmation.html",
        language,
        title=_("Thank you!"),
        text=_received(linked.mode, work.version, language),
        edit_href=f"?lang={language}",
        edit_label=_("View or change your answers"),
        deadline=format_moment(linked.deadline, linked.round.time_zone, language),
        accessibility_href=statement_link(language, portal.secret, linked.round.id),
    )


def link_refused_page(session: Session, refused: LinkRefused, language: str | None) -> Response:
    """The page of a link that opens nothing: expired (and until when), a form handed over to a colleague,
    or else one page for every other kind (unknown, altered, revoked, of someone withdrawn)."""
    language = language or "de"
    _ = gettext_for(language, "portal")
    handed_over = handed_over_link(session, refused.access) if refused.access is not None else None
    if handed_over is not None and refused.access is not None:
        round_ = session.get(Round, refused.access.round_id)
        if round_ is not None:
            # The colleague is not named: a link may have travelled further than its holder.
            text = _(
                "On {when}, this self-assessment was handed over to a colleague, who received a personal link of "
                "their own; this link no longer opens it. Questions? Please contact {name}: {email}."
            ).format(when=format_moment(handed_over, round_.time_zone, language), name=round_.coordinator_name,
                     email=round_.coordinator_email)  # fmt: skip
            return message_page(language, _("This form was handed over"), text, 410)
    if refused.reason == "expired" and refused.access is not None:
        round_ = session.get(Round, refused.access.round_id)
        if round_ is not None:
            deadline = format_moment(refused.access.expires_at, round_.time_zone, language)
            text = _(
                "The deadline passed on {deadline}. If you would still like to contribute, please contact "
                "{name}: {email}."
            ).format(deadline=deadline, name=round_.coordinator_name, email=round_.coordinator_email)
            return message_page(language, _("This link has expired"), text, 410)
    return invalid_link_page(language)


def for_organisation(name: str, language: str) -> str:
    """The line under a page's heading that names whose answers or findings it shows."""
    _ = gettext_for(language, "portal")
    return _("for {organisation}").format(organisation=name)


def _first(values: Mapping[str, Sequence[str]], key: str) -> str | None:
    found = values.get(key)
    return found[0] if found else None
