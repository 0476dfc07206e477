"""The reviewed party's page of its reviewers' questions, behind its questions link (/q/<token>): it reads them
and answers, until the questions close; an answer may be changed until then, never taken back.

As with the forms, GET shows and never changes anything; POST checks origin and CSRF, keeps the answers and
redirects (Post/Redirect/Get). The rules are review_model.questions'; how the party learns of questions is
said in portal.review_questions.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from config.translations import gettext_for
from portal.accessibility_pages import statement_link
from portal.failures import form_kept, unsaved_notice
from portal.form_pages import (
    _first,
    _questionnaire,
    closed_meanwhile,
    for_organisation,
    guarded_post,
    link_holder,
    link_refused_page,
    my_data_path,
)
from portal.rendering import invalid_link_page, refused_request_page, render_page
from portal.review_questions import ANSWER_FIELD, item_labels, question_views, tell_askers_of_answers
from portal.security import csrf_ok, csrf_token
from review_model import clock
from review_model.answers import form_fields, shown_answer
from review_model.moments import format_moment
from review_model.questionnaire import Questionnaire
from review_model.questions import (
    MAX_ANSWER_LENGTH,
    QuestionRefused,
    answer_question,
    clean_text,
    questions_close_at,
    questions_to,
    takes_questions,
)
from review_model.store import reading_session, session_scope
from review_model.submissions import find_submission, latest_version
from review_model.tables import AccessToken, Enrolment, Organisation, Participant, Round, Submission
from review_model.tokens import LinkRefused
from review_model.vocabulary import TokenPurpose

if TYPE_CHECKING:
    from portal.app import Portal


@dataclass(frozen=True)
class QuestionsRequest:
    token: str
    language: str | None  # None: the participant's own
    done: str | None = None


@dataclass
class LinkedQuestions:
    """Everything one questions link opens, loaded once per request."""

    access: AccessToken
    round: Round
    enrolment: Enrolment
    participant: Participant
    organisation: Organisation
    submission: Submission
    questionnaire: Questionnaire


def show_questions_page(portal: "Portal", request: QuestionsRequest) -> Response:
    """The reviewers' questions to the party and its answers, which it may give and change until the deadline."""
    now = clock.now()
    with reading_session(portal.engine) as session:
        try:
            linked = _load(session, request.token, now)
        except LinkRefused as refused:
            return link_refused_page(session, refused, request.language)
        language = request.language or linked.participant.language.value
        readonly = not takes_questions(linked.round, now)
        return _render(portal, session, linked, language, _notices(language, request.done, readonly), readonly)


def handle_questions_post(
    portal: "Portal", request: QuestionsRequest, values: Mapping[str, Sequence[str]], headers: Mapping[str, str]
) -> Response:
    """Keep the party's answers."""
    return guarded_post(
        headers, request.language, lambda: _save(portal, request, values), lambda: _unsaved(portal, request, values)
    )


def _save(portal: "Portal", request: QuestionsRequest, values: Mapping[str, Sequence[str]]) -> Response:
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
        assert linked.submission.id is not None
        questions = {question.id: question for question in questions_to(session, linked.submission.id)}
        typed = _typed_answers(values)
        if typed is None or set(typed) - set(questions):  # a box for another party's question: a forged form
            return invalid_link_page(language)
        if not takes_questions(linked.round, now):
            notice = [{"kind": "error", "text": closed_meanwhile(language, early=False)}]
            return _render(portal, session, linked, language, notice, True, typed, status_code=409)
        errors = _answer_problems(typed, language)
        if errors:
            return _render(portal, session, linked, language, [], False, typed, errors, status_code=422)
        answered = []
        for question_id, text in typed.items():
            question = questions[question_id]
            if not clean_text(text):
                continue  # an empty box: no answer yet (a given answer is changed, never taken back)
            try:
                if answer_question(session, linked.round, linked.submission, linked.enrolment, question, text, now):
                    answered.append(question.assignment_id)
            except QuestionRefused:
                session.rollback()
                notice = [{"kind": "error", "text": closed_meanwhile(language, early=False)}]
                return _render(portal, session, linked, language, notice, True, typed, status_code=409)
        tell_askers_of_answers(session, portal, linked.round, linked.organisation.name, answered, now)
        linked.access.last_used_at = now
    return RedirectResponse(f"?lang={language}&done=saved", status_code=303)


def _unsaved(portal: "Portal", request: QuestionsRequest, values: Mapping[str, Sequence[str]]) -> Response:
    with reading_session(portal.engine) as session:
        linked = _load(session, request.token, clock.now())
        language = request.language or linked.participant.language.value
        typed = _typed_answers(values) or {}
        return form_kept(
            _render(portal, session, linked, language, unsaved_notice(language), False, typed, status_code=503)
        )


def _load(session: Session, token: str, now: datetime) -> LinkedQuestions:
    access, enrolment, participant, organisation, round_ = link_holder(session, token, TokenPurpose.questions, now)
    assert enrolment.id is not None
    submission = find_submission(session, enrolment.id)
    if submission is None or submission.id is None:  # only a reviewed party is asked questions
        raise LinkRefused("unknown")
    return LinkedQuestions(access, round_, enrolment, participant, organisation, submission, _questionnaire(round_))


def _typed_answers(values: Mapping[str, Sequence[str]]) -> dict[int, str] | None:
    """The answer boxes as sent, by question id; None when a box's name is not a question id."""
    typed: dict[int, str] = {}
    for name, sent in values.items():
        if not name.startswith(ANSWER_FIELD):
            continue
        number = name[len(ANSWER_FIELD) :]
        if not number.isdecimal() or len(number) > 18:
            return None
        typed[int(number)] = sent[0] if sent else ""
    return typed


def _answer_problems(typed: Mapping[int, str], language: str) -> dict[int, str]:
    _ = gettext_for(language, "portal")
    problems: dict[int, str] = {}
    for question_id, raw in typed.items():
        text = clean_text(raw)
        if len(text) > MAX_ANSWER_LENGTH:
            problems[question_id] = _("Please shorten the text to at most {max} characters.").format(
                max=MAX_ANSWER_LENGTH
            )
        elif "\x00" in text:
            problems[question_id] = _(
                "The text contains a control character that is not allowed (shown as \ufffd). Please remove it."
            )
    return problems


def _notices(language: str, done: str | None, readonly: bool) -> list[dict[str, str]]:
    _ = gettext_for(language, "portal")
    notices = []
    if done == "saved":
        notices.append({"kind": "ok", "text": _("Thank you! Your answers are saved; the reviewers see them now.")})
    if readonly:
        notices.append({"kind": "info", "text": _("Questions can no longer be answered. You see what was asked "
                                                  "and answered.")})  # fmt: skip
    return notices


def _render(
    portal: "Portal",
    session: Session,
    linked: LinkedQuestions,
    language: str,
    notices: list[dict[str, str]],
    readonly: bool,
    typed: Mapping[int, str] | None = None,
    errors: Mapping[int, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    _ = gettext_for(language, "portal")
    assert linked.submission.id is not None
    questions = question_views(
        session, linked.round, questions_to(session, linked.submission.id),
        item_labels(linked.questionnaire, language), language, typed=typed, errors=errors,
    )  # fmt: skip
    closes = questions_close_at(linked.round) or linked.round.review_deadline
    own = _own_answers(session, linked, language)
    return render_page(
        "questions.html",
        language,
        status_code,
        heading=_("Questions from the reviewers"),
        subheading=for_organisation(linked.organisation.name, language),
        round_title=linked.round.title_in(language),
        deadline=format_moment(closes, linked.round.time_zone, language),
        notices=notices,
        questions=questions,
        own=own,
        open_review=linked.round.open_review,
        readonly=readonly,
        max_length=MAX_ANSWER_LENGTH,
        csrf=csrf_token(portal.secret, linked.access.token_hash),
        other_lang="en" if language == "de" else "de",
        coordinator_name=linked.round.coordinator_name,
        coordinator_email=linked.round.coordinator_email,
        my_data_href=my_data_path(portal, linked.access, language),
        accessibility_href=statement_link(language, portal.secret, linked.round.id),
    )


def _own_answers(session: Session, linked: LinkedQuestions, language: str) -> dict[str, str]:
    """What the party answered to each item, as last submitted and as the reviewers saw it, by item id: the
    question beside it is about that answer."""
    assert linked.submission.id is not None
    version = latest_version(session, linked.submission.id)
    answers = dict(version.answers) if version else {}
    shown: dict[str, list[str]] = {}
    for spec in form_fields(linked.questionnaire):
        if spec.kind == "comment" or answers.get(spec.key) in (None, "", []):
            continue
        shown.setdefault(spec.item.id, []).append(shown_answer(spec, answers[spec.key], language))
    return {item_id: "; ".join(parts) for item_id, parts in shown.items()}
