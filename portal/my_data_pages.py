"""“My data” behind every personal link (/a/, /r/, /c/<token>/my-data): what the store holds about the link's
holder (review_model.personal_data), shown readably in their language, and as JSON and CSV to download.

These pages only read: they do not even note that the link was opened. They open while the link opens its form
or reply page; a link that expired (after its round's stage ended) says so and names the coordinator, who can
export the same data for the person (`spr people export`). An expired link is not kept working for this page:
links travel by mail, and their expiry is what limits who can read behind them.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, col, select

from config.translations import gettext_for
from portal.accessibility_pages import statement_link
from portal.form_pages import link_holder
from portal.rendering import invalid_link_page, message_page, render_page
from review_model import clock
from review_model.answers import FormMode, form_fields, shown_answer
from review_model.co_reviewers import cell_labels
from review_model.moments import format_moment
from review_model.personal_data import PersonalData, UnknownPerson, personal_data_of
from review_model.personal_data_files import file_name, personal_data_csv, personal_data_json
from review_model.questionnaire import Questionnaire
from review_model.store import reading_session
from review_model.tables import Participant, Round
from review_model.tokens import LinkRefused
from review_model.vocabulary import FederalState, FollowUpStatus, OrganisationKind, TokenPurpose

if TYPE_CHECKING:
    from portal.app import Portal

FORMATS = {"json": "application/json", "csv": "text/csv; charset=utf-8"}


def show_my_data(portal: "Portal", purpose: TokenPurpose, token: str, language: str | None) -> Response:
    """The page: everything stored about the link's holder, in their language (or `language`)."""
    now = clock.now()
    with reading_session(portal.engine) as session:
        try:
            _access, _enrolment, participant, _organisation, round_ = link_holder(session, token, purpose, now)
        except LinkRefused as refused:
            return _refused(session, refused, language)
        data = _data_of(session, participant, now)
        if data is None:
            return invalid_link_page(language or "de")
        language = language or participant.language.value
        questionnaires = _questionnaires(session, data)
        form_href = f"../{token}?lang={language}"
        statement = statement_link(language, portal.secret, round_.id)
        return _page(data, round_, language, questionnaires, form_href, statement)


def download_my_data(portal: "Portal", purpose: TokenPurpose, token: str, extension: str) -> Response:
    """The holder's data as a file (JSON or CSV), to keep: an attachment, never cached."""
    now = clock.now()
    with reading_session(portal.engine) as session:
        try:
            _access, _enrolment, participant, _organisation, _round = link_holder(session, token, purpose, now)
        except LinkRefused as refused:
            return _refused(session, refused, None)
        data = _data_of(session, participant, now)
    if data is None:
        return invalid_link_page("de")
    content = personal_data_json(data) if extension == "json" else personal_data_csv(data)
    return Response(
        content.encode("utf-8"),
        media_type=FORMATS[extension],
        headers={
            "content-disposition": f'attachment; filename="{file_name(data, extension)}"',
            "cache-control": "no-store",
        },
    )


def _data_of(session: Session, participant: Participant, now: datetime) -> PersonalData | None:
    """The person's data; None for a person erased (whose links should open nothing already)."""
    assert participant.id is not None
    try:
        return personal_data_of(session, participant.id, now)
    except UnknownPerson:
        return None


def _refused(session: Session, refused: LinkRefused, language: str | None) -> HTMLResponse:
    """An expired link names the coordinator, who can hand the person their data; any other says it is invalid."""
    language = language or "de"
    _ = gettext_for(language, "portal")
    if refused.reason == "expired" and refused.access is not None:
        round_ = session.get(Round, refused.access.round_id)
        if round_ is not None:
            text = _(
                "This link no longer opens anything. For a copy of the data stored about you, please write to "
                "{name}: {email}."
            ).format(name=round_.coordinator_name, email=round_.coordinator_email)
            return message_page(language, _("This link has expired"), text, 410)
    return invalid_link_page(language)


def _questionnaires(session: Session, data: PersonalData) -> dict[str, Questionnaire]:
    """The questionnaire of each round the person answered or reviewed in, by slug."""
    slugs = {record.round for records in (data.self_assessments, data.reviews, data.replies) for record in records}
    return {
        slug: Questionnaire.model_validate(snapshot)
        for slug, snapshot in session.exec(
            select(Round.slug, Round.questionnaire_snapshot).where(col(Round.slug).in_(slugs))
        ).all()
    }


def readable_answers(
    questionnaire: Questionnaire | None, mode: FormMode, answers: dict[str, Any], language: str
) -> list[tuple[str, str]]:
    """Answers as the form asked them: each question named by its section and item (and a matrix cell by its
    row and column), a rating by its level, a choice by its option; in form order."""
    _ = gettext_for(language, "portal")
    shown: list[tuple[str, str]] = []
    fields = form_fields(questionnaire, mode) if questionnaire is not None else []
    titles = (
        {section.id: section.title.in_language(language) for section in questionnaire.sections} if questionnaire else {}
    )
    for spec in fields:
        if answers.get(spec.key) in (None, "", []):
            continue
        parts = [titles[spec.section_id], spec.item.label.in_language(language)]
        # a matrix cell (<matrix>/<row>/<column>) or a row's comment: name the row and the column too
        cell = [part for part in spec.key.split("/")[1:] if part != "comment"]
        headers = ({row.id: row.label for row in getattr(spec.item, "rows", [])},
                   {column.id: column.label for column in getattr(spec.item, "columns", [])})  # fmt: skip
        parts += [
            names[part].in_language(language) for part, names in zip(cell, headers, strict=False) if part in names
        ]
        if spec.kind == "comment":
            parts.append(_("comment"))
        shown.append((" · ".join(parts), shown_answer(spec, answers[spec.key], language)))
    # anything the questionnaire does not ask (any more) is shown by its key, so nothing stored is left out
    known = {spec.key for spec in fields}
    shown += [(key, str(value)) for key, value in answers.items() if key not in known]
    return shown


def _page(
    data: PersonalData,
    round_: Round,
    language: str,
    questionnaires: dict[str, Questionnaire],
    form_href: str,
    accessibility_href: str,
) -> HTMLResponse:
    _ = gettext_for(language, "portal")

    def when(moment: datetime | None, slug: str | None) -> str:
        if moment is None:
            return "—"
        return format_moment(moment, data.round_zone(slug) or round_.time_zone, language)

    def answers(slug: str, given: dict[str, Any], mode: FormMode) -> list[tuple[str, str]]:
        return readable_answers(questionnaires.get(slug), mode, given, language)

    def group(slug: str, key: str) -> str:
        """The group of findings a reply answers (an objective, a field of action), by its name in the form."""
        questionnaire = questionnaires.get(slug)
        labels = questionnaire.tag_labels() if questionnaire is not None else {}
        return next((label.in_language(language) for (_tag, value), label in labels.items() if value == key), key)

    item_labels = {slug: cell_labels(questionnaire, language) for slug, questionnaire in questionnaires.items()}

    def item(slug: str, key: str) -> str:
        """An item a reviewer commented on in the consensus stage, by its name in the form."""
        return item_labels.get(slug, {}).get(key, key)

    titles = {record.round: (record.title_en if language == "en" and record.title_en else record.title)
              for record in data.rounds}  # fmt: skip
    return render_page(
        "my_data.html",
        language,
        heading=_("Your data"),
        subheading=_("What this service stores about you"),
        round_title=round_.title_in(language),
        deadline=None,
        notices=[],
        other_lang="en" if language == "de" else "de",
        coordinator_name=round_.coordinator_name,
        coordinator_email=round_.coordinator_email,
        data=data,
        organisation_kind=OrganisationKind(data.organisation.kind).label(language),
        organisation_state=FederalState(data.organisation.state).label if data.organisation.state else None,
        titles=titles,
        when=when,
        answers=answers,
        group=group,
        item=item,
        form_href=form_href,
        accessibility_href=accessibility_href,
        roles={"respondent": _("Respondent"), "reviewer": _("Reviewer"), "decision_maker": _("Decision-maker")},
        purposes={
            "self_assessment": _("Self-assessment"),
            "review": _("Review"),
            "reply": _("Reply"),
            "questions": _("Questions from the reviewers"),
        },
        states={"queued": _("queued"), "sending": _("being sent"), "sent": _("sent"), "failed": _("failed")},
        statuses={"draft": _("draft"), "submitted": _("submitted")},
        follow_up_statuses={status.value: status.label(language) for status in FollowUpStatus},
        actions={
            "participant withdrawn": _("withdrawn from the round"),
            "links revoked": _("personal links revoked"),
            "link sent again": _("personal link sent again"),
            "reviewer swapped": _("review assignment changed"),
        },
    )
