"""The consensus page behind a reviewer's review link (/r/<token>/consensus): the co-reviewers' ratings and
comments on the party (review_model.co_reviewers), the reviewer's comments on each point to discuss, and the
joint assessment, written by the lead and endorsed or commented on by the others.

As with the forms, GET shows and never changes anything; POST checks origin and CSRF, saves through
review_model.consensus and redirects (Post/Redirect/Get), or shows the page again with what was typed and a
message beside each problem. When the lead submits the joint assessment for the first time, the co-reviewers
are told (the portal enqueues; it never sends).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from config.translations import gettext_for
from notifications.addressing import recipient_for, round_context, sender_from_settings
from notifications.compose import compose_message
from notifications.message_kinds import JointAssessmentSubmitted
from notifications.outbox import enqueue_messages
from portal.accessibility_pages import statement_link
from portal.form_pages import _first, _questionnaire, guarded_post, link_holder, link_refused_page, my_data_path
from portal.rendering import refused_request_page, render_page
from portal.security import csrf_ok, csrf_token
from review_model import clock
from review_model.audit_trail import record_event
from review_model.co_reviewers import CoReviewersView, co_reviewers_view, reviewer_names
from review_model.consensus import (
    AssessmentText,
    ConsensusClosed,
    ConsensusRefused,
    assessment_problems,
    consensus_open,
    endorsements_of,
    joint_assessment_of,
    may_take_part,
    save_endorsement,
    save_item_comment,
    save_joint_assessment,
)
from review_model.moments import format_moment
from review_model.refusals import reason_in
from review_model.reminder_opt_out import person_actor
from review_model.stage_rules import STAGE_ORDER
from review_model.store import reading_session, session_scope
from review_model.tables import (
    AccessToken,
    AssessmentEndorsement,
    DisputedItemComment,
    Enrolment,
    JointAssessment,
    Organisation,
    Participant,
    ReviewAssignment,
    Round,
    Submission,
)
from review_model.tables.consensus import (
    ASSESSMENT_LENGTH,
    COMMENT_LENGTH,
    MAX_RECOMMENDATIONS,
    RECOMMENDATION_LENGTH,
)
from review_model.tokens import LinkRefused, derive_token, link_url
from review_model.vocabulary import Stage, TokenPurpose

if TYPE_CHECKING:
    from portal.app import Portal

COMMENT_PREFIX = "comment-"
Values = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class ConsensusRequest:
    token: str
    language: str | None  # None: the reviewer's own
    done: str | None = None


@dataclass
class _Opened:
    """What the link opens: the reviewer's assignment of one party, in its round."""

    access: AccessToken
    round: Round
    participant: Participant
    organisation: Organisation
    assignment: ReviewAssignment
    reviewed: str


def shows_consensus(round_: Round) -> bool:
    """Whether a review link leads to the consensus page: in the round's consensus stage, and afterwards to
    read what was agreed."""
    entered = STAGE_ORDER.index(round_.stage) >= STAGE_ORDER.index(Stage.consensus)
    return round_.consensus_deadline is not None and entered


def show_consensus(portal: "Portal", request: ConsensusRequest) -> Response:
    now = clock.now()
    with reading_session(portal.engine) as session:
        try:
            opened = _open(session, request.token, now)
        except LinkRefused as refused:
            return link_refused_page(session, refused, request.language)
        language = request.language or opened.participant.language.value
        notices = _notices(opened, language, request.done, now)
        return _render(portal, session, opened, request.token, language, {}, {}, notices, now)


def handle_consensus_post(
    portal: "Portal", request: ConsensusRequest, values: Values, headers: Mapping[str, str]
) -> Response:
    def unsaved() -> Response:
        with reading_session(portal.engine) as session:
            opened = _open(session, request.token, clock.now())
            language = request.language or opened.participant.language.value
            _ = gettext_for(language, "portal")
            notice = [{"kind": "error", "text": _("Your entry could not be saved just now; please send it again.")}]
            return _render(portal, session, opened, request.token, language, values, {}, notice, clock.now(), 503)

    return guarded_post(headers, request.language, lambda: _save(portal, request, values), unsaved)


def _save(portal: "Portal", request: ConsensusRequest, values: Values) -> Response:
    now = clock.now()
    with session_scope(portal.engine) as session:
        try:
            opened = _open(session, request.token, now)
        except LinkRefused as refused:
            return link_refused_page(session, refused, request.language)
        language = request.language or opened.participant.language.value
        if not csrf_ok(portal.secret, opened.access.token_hash, _first(values, "csrf")):
            return refused_request_page(language)
        _ = gettext_for(language, "portal")
        action = _first(values, "action") or ""
        errors: dict[str, str] = {}
        try:
            if action == "comments":
                errors = _save_comments(session, opened, values, now, language)
            elif action in ("assessment-save", "assessment-submit"):
                errors = _save_assessment(session, portal, opened, values, now, language, action.endswith("submit"))
            elif action == "endorse":
                endorses = _first(values, "endorses") != "no"
                comment = _first(values, "endorsement") or ""
                save_endorsement(session, opened.round, opened.assignment, endorses, comment, now)
                record_event(session, opened.round.id, _actor(opened), "joint assessment answered",
                             submission=opened.assignment.submission_id, endorses=endorses)  # fmt: skip
            else:
                return refused_request_page(language)
        except ConsensusClosed:
            session.rollback()
            notice = [{"kind": "error", "text": _("The consensus stage has closed in the meantime; your last entry "
                                                  "could not be saved.")}]  # fmt: skip
            return _render(portal, session, opened, request.token, language, values, {}, notice, now, 409)
        except ConsensusRefused as refused:
            session.rollback()
            notices = [{"kind": "error", "text": reason_in(language, reason)} for reason in refused.reasons]
            return _render(portal, session, opened, request.token, language, values, {}, notices, now, 422)
        if errors:
            session.rollback()
            notice = [{"kind": "error", "text": _("Please correct the entries marked below; nothing was saved.")}]
            return _render(portal, session, opened, request.token, language, values, errors, notice, now, 422)
        opened.access.last_used_at = now
    return RedirectResponse(f"consensus?lang={language}&done={action}", status_code=303)


def _save_comments(session: Session, opened: _Opened, values: Values, now: datetime, language: str) -> dict[str, str]:
    """Keep the reviewer's comment on each point to discuss the page showed (an emptied one is taken back)."""
    _ = gettext_for(language, "portal")
    questionnaire = _questionnaire(opened.round)
    errors: dict[str, str] = {}
    for name, texts in values.items():
        if not name.startswith(COMMENT_PREFIX):
            continue
        text = texts[0] if texts else ""
        if len(text.strip()) > COMMENT_LENGTH:
            errors[name] = _("At most %(limit)s characters.") % {"limit": COMMENT_LENGTH}
            continue
        save_item_comment(session, opened.round, questionnaire, opened.assignment, name[len(COMMENT_PREFIX):], text,
                          now)  # fmt: skip
    if not errors:
        record_event(session, opened.round.id, _actor(opened), "disputed items commented",
                     submission=opened.assignment.submission_id)  # fmt: skip
    return errors


def _assessment_text(values: Values) -> AssessmentText:
    recommendations = tuple(_first(values, f"recommendation-{n}") or "" for n in range(1, MAX_RECOMMENDATIONS + 1))
    return AssessmentText(_first(values, "strengths") or "", _first(values, "weaknesses") or "", recommendations)


def _save_assessment(
    session: Session, portal: "Portal", opened: _Opened, values: Values, now: datetime, language: str, submit: bool
) -> dict[str, str]:
    text = _assessment_text(values)
    problems = assessment_problems(text.cleaned(), final=submit)
    if problems:
        return {name: reason_in(language, reason) for name, reason in problems.items()}
    saved = save_joint_assessment(session, opened.round, opened.assignment, text, now, submit=submit)
    if submit:
        record_event(session, opened.round.id, _actor(opened), "joint assessment submitted",
                     submission=opened.assignment.submission_id, first=saved.first_submission)  # fmt: skip
    if saved.first_submission:
        _tell_co_reviewers(session, portal, opened, now)
    return {}


def _tell_co_reviewers(session: Session, portal: "Portal", opened: _Opened, now: datetime) -> None:
    """Queue, for each co-reviewer who takes part, the news that the joint assessment waits for their answer,
    with the link to their own consensus page."""
    round_ = opened.round
    assert round_.consensus_deadline is not None
    base = str(portal.settings.public_base_url)
    rows = session.exec(
        select(ReviewAssignment, AccessToken, Participant, Organisation)
        .join(AccessToken, col(AccessToken.assignment_id) == ReviewAssignment.id)
        .join(Enrolment, col(Enrolment.id) == ReviewAssignment.reviewer_enrolment_id)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(
            ReviewAssignment.submission_id == opened.assignment.submission_id,
            ReviewAssignment.id != opened.assignment.id,
        )
        .where(col(ReviewAssignment.confirmed_at).is_not(None), col(AccessToken.revoked_at).is_(None))
        .where(col(Enrolment.withdrawn_at).is_(None), col(AccessToken.purpose) == TokenPurpose.review)
    ).all()
    messages = []
    for assignment, access, person, organisation in rows:
        if not may_take_part(session, assignment):
            continue
        link = link_url(base, TokenPurpose.review, derive_token(portal.secret, access.nonce)) + "/consensus"
        content = JointAssessmentSubmitted(opened.reviewed, link, round_.consensus_deadline)
        messages.append(compose_message(content, recipient_for(person, organisation), round_context(round_),
                                        sender_from_settings(portal.settings), stage=f"consensus-{assignment.id}",
                                        now=now))  # fmt: skip
    enqueue_messages(session, messages, now)


def _actor(opened: _Opened) -> str:
    """Who did it, for the audit trail: the reviewer by participant number, never by name."""
    return person_actor(opened.participant.id)


def _open(session: Session, token: str, now: datetime) -> _Opened:
    access, _enrolment, participant, organisation, round_ = link_holder(session, token, TokenPurpose.review, now)
    found = session.exec(
        select(ReviewAssignment, Organisation.name)
        .join(Submission, col(Submission.id) == ReviewAssignment.submission_id)
        .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(ReviewAssignment.id == access.assignment_id)
    ).first()
    if found is None or not shows_consensus(round_):
        raise LinkRefused("unknown")
    assignment, reviewed = found
    return _Opened(access, round_, participant, organisation, assignment, reviewed)


def _notices(opened: _Opened, language: str, done: str | None, now: datetime) -> list[dict[str, str]]:
    _ = gettext_for(language, "portal")
    notices = []
    if done in ("comments", "assessment-save", "endorse"):
        notices.append({"kind": "ok", "text": _("Saved. You can change it until the deadline.")})
    elif done == "assessment-submit":
        notices.append({"kind": "ok", "text": _("The joint assessment is submitted; your co-reviewers are told.")})
    if not consensus_open(opened.round, now):
        notices.append({"kind": "info", "text": _("The consensus stage has closed. You see what was agreed.")})
    return notices


@dataclass(frozen=True)
class _Endorsement:
    reviewer: str
    endorses: bool
    comment: str


def _render(
    portal: "Portal",
    session: Session,
    opened: _Opened,
    token: str,
    language: str,
    values: Values,
    errors: Mapping[str, str],
    notices: list[dict[str, str]],
    now: datetime,
    status_code: int = 200,
) -> HTMLResponse:
    _ = gettext_for(language, "portal")
    round_ = opened.round
    questionnaire = _questionnaire(round_)
    taking_part = may_take_part(session, opened.assignment)
    view: CoReviewersView | None = None
    if taking_part:
        view = co_reviewers_view(session, round_, questionnaire, opened.assignment, language)
    editable = taking_part and consensus_open(round_, now)
    assessment = joint_assessment_of(session, opened.assignment.submission_id)
    names = reviewer_names(session, round_, language)
    own_comments = _own_comments(session, opened.assignment)
    endorsements: list[_Endorsement] = []
    own_endorsement: AssessmentEndorsement | None = None
    if assessment is not None and assessment.id is not None:
        for endorsement in endorsements_of(session, assessment.id):
            endorsements.append(_Endorsement(names.get(endorsement.assignment_id, "—"), endorsement.endorses,
                                             endorsement.comment))  # fmt: skip
            if endorsement.assignment_id == opened.assignment.id:
                own_endorsement = endorsement
    assert round_.consensus_deadline is not None
    return render_page(
        "consensus.html",
        language,
        status_code,
        heading=_("Consensus on %(organisation)s") % {"organisation": opened.reviewed},
        subheading=_("Peer review"),
        round_title=round_.title_in(language),
        deadline=format_moment(round_.consensus_deadline, round_.time_zone, language),
        notices=notices,
        taking_part=taking_part,
        view=view,
        editable=editable,
        lead=opened.assignment.is_lead,
        lead_name=next((names.get(a) for a in _lead_ids(session, opened.assignment.submission_id)), None),
        assessment=_shown_assessment(assessment, values),
        assessment_submitted=assessment is not None and assessment.submitted_at is not None,
        endorsements=endorsements,
        own_endorsement=_shown_endorsement(own_endorsement, values),
        own_comments={key: _value(values, COMMENT_PREFIX + key, text) for key, text in own_comments.items()},
        values=values,
        errors=errors,
        comment_prefix=COMMENT_PREFIX,
        limits={"comment": COMMENT_LENGTH, "assessment": ASSESSMENT_LENGTH, "recommendation": RECOMMENDATION_LENGTH},
        max_recommendations=MAX_RECOMMENDATIONS,
        review_href=f"/r/{token}?lang={language}",
        csrf=csrf_token(portal.secret, opened.access.token_hash),
        other_lang="en" if language == "de" else "de",
        coordinator_name=round_.coordinator_name,
        coordinator_email=round_.coordinator_email,
        my_data_href=my_data_path(portal, opened.access, language),
        accessibility_href=statement_link(language, portal.secret, round_.id),
    )


def _lead_ids(session: Session, submission_id: int) -> list[int]:
    return [
        assignment_id
        for assignment_id in session.exec(
            select(ReviewAssignment.id).where(
                ReviewAssignment.submission_id == submission_id, col(ReviewAssignment.is_lead)
            )
        ).all()
        if assignment_id is not None
    ]


def _own_comments(session: Session, assignment: ReviewAssignment) -> dict[str, str]:
    return {
        item_id: text
        for item_id, text in session.exec(
            select(DisputedItemComment.item_id, DisputedItemComment.text).where(
                DisputedItemComment.assignment_id == assignment.id
            )
        ).all()
    }


def _value(values: Values, name: str, stored: str) -> str:
    """What a field shows: what was typed (after a refused POST), else what is stored."""
    typed = values.get(name)
    return typed[0] if typed else stored


def _shown_assessment(assessment: JointAssessment | None, values: Values) -> dict[str, Any]:
    recommendations = list(assessment.recommendations) if assessment is not None else []
    recommendations += [""] * (MAX_RECOMMENDATIONS - len(recommendations))
    return {
        "strengths": _value(values, "strengths", assessment.strengths if assessment else ""),
        "weaknesses": _value(values, "weaknesses", assessment.weaknesses if assessment else ""),
        "recommendations": [
            _value(values, f"recommendation-{n}", text)
            for n, text in enumerate(recommendations[:MAX_RECOMMENDATIONS], 1)
        ],
    }


def _shown_endorsement(endorsement: AssessmentEndorsement | None, values: Values) -> dict[str, Any]:
    endorses = endorsement.endorses if endorsement is not None else None
    typed = _first(values, "endorses")
    if typed is not None:
        endorses = typed != "no"
    return {"endorses": endorses, "comment": _value(values, "endorsement", endorsement.comment if endorsement else "")}
