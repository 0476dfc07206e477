"""A round's right of reply and publication in the console: which reviewed party has replied and when, the
planned publication date, publishing now, the published report's files, and the round's raw data as a
workbook for staff (never published; reports.raw_data).

Publishing now is closing the comment stage with `publish_now` (`spr round close-stage`), through
`ConsoleActions.close_stage`: in the right of reply once every party has replied, or after it while the
report waits for its planned date. Its confirming page says what is published and how many people the link
goes to, counted as the publication stage selects them (review_model.publication).
"""

import io
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select

from config.translations import gettext_for, ngettext_for
from portal.console.access import Staff, current_staff, round_seen
from portal.console.actions import ActionDone, ConsoleActions
from portal.console.pages import console_page
from portal.console.round_actions import Confirmation, FormValues, ask_first, run_action
from reports.documents import FILE_NAMES, FORMATS
from reports.raw_data import MEDIA_TYPE as RAW_DATA_MEDIA_TYPE
from reports.raw_data import write_raw_data
from review_model import clock
from review_model.moments import format_moment
from review_model.publication import party_replies, report_readers
from review_model.refusals import Refused, reasons_in
from review_model.rounds import round_progress
from review_model.stage_rules import publication_waits_until, transition_blockers
from review_model.store import reading_session
from review_model.tables import PublishedReport, Round
from review_model.vocabulary import Stage

if TYPE_CHECKING:
    from portal.app import Portal

_BEFORE_REPLY = (Stage.draft, Stage.invitation, Stage.submission, Stage.assignment, Stage.review,
                 Stage.consensus, Stage.consolidation, Stage.drafting)  # fmt: skip


@dataclass(frozen=True)
class PublishedFile:
    name: str  # what it is, in the staff member's language: "Report (HTML)"
    language: str
    href: str


def add_publication_routes(app: FastAPI, portal: "Portal") -> None:
    """/console/rounds/<slug>/publication, publishing now (/console/rounds/<slug>/publish), and the raw data
    (/console/rounds/<slug>/raw-data.xlsx?lang=de)."""

    @app.get("/console/rounds/{slug}/publication")
    def publication_page(request: Request, slug: str) -> Response:
        staff = current_staff(request, portal)
        language = staff.language
        with reading_session(portal.engine) as session:
            round_ = round_seen(session, staff, slug)
            assert round_.id is not None
            progress = round_progress(session, round_.id)
            replies = party_replies(session, round_.id)
            files = _published_files(session, round_, language)
        zone, now = round_.time_zone, clock.now()
        return console_page(
            portal, request, "publication.html", language, staff=staff, round=round_, progress=progress,
            replies=replies, files=files, state=_where_it_stands(round_, now, language),
            comment_deadline=format_moment(round_.comment_deadline, zone, language),
            publication_at=format_moment(round_.publication_at, zone, language) if round_.publication_at else None,
            sent_at={r.submission_id: format_moment(r.sent_at, zone, language)
                                              for r in replies if r.sent_at is not None},
            can_publish=round_.stage is Stage.comment, report_address=_report_address(portal, round_),
        )  # fmt: skip

    @app.get("/console/rounds/{slug}/raw-data.xlsx")
    def raw_data(request: Request, slug: str, lang: str | None = None) -> Response:
        """The workbook `spr report ROUND --format xlsx` writes, for whoever sees the round in the console."""
        staff = current_staff(request, portal)
        language = lang if lang in ("de", "en") else staff.language
        out = io.BytesIO()
        with reading_session(portal.engine) as session:
            round_ = round_seen(session, staff, slug)
            assert round_.id is not None
            write_raw_data(session, round_.id, language, out)
        headers = {"content-disposition": f'attachment; filename="{round_.slug}-raw-data-{language}.xlsx"',
                   "cache-control": "no-store", "x-robots-tag": "noindex"}  # fmt: skip
        return Response(out.getvalue(), media_type=RAW_DATA_MEDIA_TYPE, headers=headers)

    @app.get("/console/rounds/{slug}/publish")
    def publish_page(request: Request, slug: str) -> Response:
        return ask_first(portal, request, slug, lambda round_, language: _explain_publish(portal, round_, language))

    @app.post("/console/rounds/{slug}/publish")
    async def publish(request: Request, slug: str) -> Response:
        def publishing(actions: ConsoleActions, round_: Round, staff: Staff, _values: FormValues) -> ActionDone:
            refusals = _publish_refusals(portal, round_, staff.language)
            if refusals:  # checked again: the round may have moved on since the page was shown
                raise Refused(refusals)
            assert round_.id is not None
            return actions.close_stage(round_.id, round_.slug, staff.actor, staff.language, publish_now=True)

        return await run_action(portal, request, slug, publishing, back_to=f"/console/rounds/{slug}/publication")


def _report_address(portal: "Portal", round_: Round) -> str:
    """Where anyone with the link reads the published report (the address the emails carry)."""
    return f"{str(portal.settings.public_base_url).rstrip('/')}/reports/{round_.slug}"


def _where_it_stands(round_: Round, now: datetime, language: str) -> str:
    """One sentence on the right of reply and publication as they stand."""
    _ = gettext_for(language, "portal")
    zone = round_.time_zone
    if round_.stage in _BEFORE_REPLY:
        return _("The right of reply opens once every drafted recommendation is approved or rejected; each reviewed "
                 "party is then emailed its draft findings and a link to reply.")  # fmt: skip
    if round_.stage is Stage.comment:
        if now < round_.comment_deadline:
            return _("The reviewed parties may reply until {deadline}.").format(
                deadline=format_moment(round_.comment_deadline, zone, language)
            )
        waits = publication_waits_until(round_, now)
        if waits is not None:
            return _("The right of reply has ended; the report waits for its planned publication on {date}.").format(
                date=format_moment(waits, zone, language)
            )
        return _("The right of reply has ended; the report is published with the round's next advance.")
    return _("The report was published on {date}.").format(date=format_moment(round_.stage_entered_at, zone, language))


def _published_files(session: Session, round_: Round, language: str) -> list[PublishedFile]:
    """The published report's documents (read without their content), in the order of FORMATS."""
    if round_.stage not in (Stage.published, Stage.archived):
        return []
    _ = gettext_for(language, "portal")
    names = {"html": _("Report (HTML)"), "pdf": _("Report (PDF)"), "csv": _("Scores (CSV)"),
             "json": _("Scores (JSON)")}  # fmt: skip
    stored = session.exec(
        select(PublishedReport.format, PublishedReport.language)
        .where(PublishedReport.round_id == round_.id)
        .order_by(col(PublishedReport.language))
    ).all()
    order: dict[str, int] = {format: n for n, format in enumerate(FORMATS)}
    return [
        PublishedFile(names.get(format, format), document_language,
                      f"/reports/{round_.slug}/{FILE_NAMES[format]}?lang={document_language}")
        for format, document_language in sorted(stored, key=lambda row: (row[1], order.get(row[0], 99)))
        if format in FILE_NAMES
    ]  # fmt: skip


def _publish_refusals(portal: "Portal", round_: Round, language: str) -> list[str]:
    """Every reason the report cannot be published now, in the staff member's language."""
    _ = gettext_for(language, "portal")
    if round_.stage in (Stage.published, Stage.archived):
        return [_("The report is published already.")]
    if round_.stage is not Stage.comment:
        return [_("The report is published after the right of reply; the round is in the {stage} stage.").format(
            stage=round_.stage.label(language))]  # fmt: skip
    assert round_.id is not None
    with reading_session(portal.engine) as session:
        progress = round_progress(session, round_.id)
    blockers = transition_blockers(round_, Stage.published, progress, clock.now(), forced=True)
    if not blockers:
        return []
    ngettext = ngettext_for(language, "portal")
    waiting = ngettext(
        "{n} reviewed party has not replied yet: the report can be published before the deadline once every "
        "party has replied.",
        "{n} reviewed parties have not replied yet: the report can be published before the deadline once every "
        "party has replied.",
        progress.replies_pending,
    ).format(n=progress.replies_pending)
    return reasons_in(language, blockers) + ([waiting] if progress.replies_pending else [])


def _explain_publish(portal: "Portal", round_: Round, language: str) -> Confirmation:
    """What publishing now does and whom it tells."""
    _, ngettext = gettext_for(language, "portal"), ngettext_for(language, "portal")
    title, button = _("Publish the report now"), _("Publish and send the report's link")
    refusals = _publish_refusals(portal, round_, language)
    if refusals:
        return Confirmation(title, [], button, refusals=refusals)
    assert round_.id is not None
    with reading_session(portal.engine) as session:
        readers = report_readers(session, round_.id)
        progress = round_progress(session, round_.id)
    now, zone = clock.now(), round_.time_zone
    lines = [
        _("The report is put together now from the findings, the approved recommendations and the replies, in "
          "German and English (HTML, PDF where it can be made, and the scores as CSV and JSON), and kept: it "
          "does not change afterwards."),
        ngettext("{n} approved recommendation is published with it.",
                 "{n} approved recommendations are published with it.",
                 progress.recommendations_approved).format(n=progress.recommendations_approved),
        ngettext("An email with the report's link goes to {n} person: every participant and decision-maker of the "
                 "round ({respondents} respondents, {reviewers} reviewers, {decision_makers} decision-makers; "
                 "someone with several roles gets one email).",
                 "An email with the report's link goes to {n} people: every participant and decision-maker of the "
                 "round ({respondents} respondents, {reviewers} reviewers, {decision_makers} decision-makers; "
                 "someone with several roles gets one email).",
                 readers.people).format(n=readers.people, respondents=readers.respondents,
                                        reviewers=readers.reviewers, decision_makers=readers.decision_makers),
    ]  # fmt: skip
    if readers.unreachable:
        lines.append(ngettext("{n} person of the round gets no email: their address bounced.",
                              "{n} people of the round get no email: their addresses bounced.",
                              readers.unreachable).format(n=readers.unreachable))  # fmt: skip
    lines.append(_("Anyone with the link can read the report at {address}.").format(
        address=_report_address(portal, round_)))  # fmt: skip
    if now < round_.comment_deadline:
        lines.append(_("Every reviewed party has replied, so the right of reply ends now instead of on {deadline}.")
                     .format(deadline=format_moment(round_.comment_deadline, zone, language)))  # fmt: skip
    waits = publication_waits_until(round_, now)
    if waits is not None:
        lines.append(_("The report is published now instead of on its planned date, {date}.").format(
            date=format_moment(waits, zone, language)))  # fmt: skip
    lines.append(_("This cannot be undone."))
    return Confirmation(title, lines, button)
