"""Publication: the report is rendered once, kept in the store, and everyone in the round gets the link."""

from datetime import datetime
from typing import cast

from sqlmodel import Session, col, func, select

from notifications.addressing import recipient_for, round_context
from notifications.compose import Recipient, compose_message
from notifications.message_kinds import ReportPublished
from notifications.outbox import enqueue_messages
from reports.documents import FORMATS, ReportDocument, ReportFormat, ReportRenderer
from reports.rendering import PdfUnavailable
from review_model import clock
from review_model.audit_trail import record_event
from review_model.publication import report_reader
from review_model.round_lock import read_then_write
from review_model.tables import (
    Enrolment,
    Organisation,
    Participant,
    PublishedReport,
    Recommendation,
    Round,
    Submission,
)
from review_model.transitions import StageChange, transition
from review_model.vocabulary import ActionLevel, Language, RecommendationStatus, Stage
from workflows.stages.context import StageContext

# WeasyPrint needs about 0.13 s and 2.6 MB per party (1,000 parties: 130 s and 2.6 GB per language, see
# benchmarks/README.md). Beyond this many parties the PDF is left out and the printable HTML stands in.
PDF_MAX_PARTIES = 200


def report_link(context: StageContext, slug: str) -> str:
    """Where the published report can be read."""
    return f"{context.public_base_url.rstrip('/')}/reports/{slug}"


def publish_round(context: StageContext, round_id: int, actor: str, *, forced: bool = False) -> int:
    """Close the comment stage: render and keep the report, publish the approved recommendations, and tell
    every participant and decision-maker where to read it. Returns the messages queued.

    Rendering happens before the write transaction, so a long PDF never holds the store's write lock.
    """
    now = clock.now()

    def due(_session: Session, round_: Round) -> bool:
        return round_.stage is Stage.comment

    def read(session: Session, _round: Round) -> tuple[list[ReportDocument], list[str]]:
        documents, missing = [], []
        parties = session.exec(
            select(func.count()).select_from(Submission).where(Submission.round_id == round_id, Submission.is_submitted)
        ).one()
        renderer = ReportRenderer(session, round_id, published_at=now)
        for language in Language:
            for format in FORMATS:
                if format == "pdf" and parties > PDF_MAX_PARTIES:
                    missing.append(f"{parties} parties: a PDF of more than {PDF_MAX_PARTIES} is left out")
                    continue
                try:
                    documents.append(renderer.document(format, language.value))
                except PdfUnavailable as unavailable:
                    missing.append(str(unavailable))
                except Exception as failed:  # a PDF that cannot be made must not hold up publication
                    if format != "pdf":
                        raise
                    missing.append(f"the PDF could not be rendered: {type(failed).__name__}: {failed}")
        return documents, missing

    def write(session: Session, _round: Round, rendered: tuple[list[ReportDocument], list[str]]) -> int:
        with transition(session, round_id, Stage.published, actor, forced=forced, now=now) as change:
            if change is None:
                return 0
            return _publish(session, context, change, *rendered, actor, now)

    return read_then_write(context.engine, round_id, due=due, read=read, write=write) or 0


def _publish(session: Session, context: StageContext, change: StageChange, documents: list[ReportDocument],
             missing: list[str], actor: str, now: datetime) -> int:  # fmt: skip
    """Keep the rendered report, publish the approved recommendations, and tell every reader; returns how many
    messages were queued."""
    round_ = change.round
    assert round_.id is not None
    round_id = round_.id
    session.add_all(_stored(round_id, document, now) for document in documents)
    published = session.exec(
        select(Recommendation).where(
            Recommendation.round_id == round_id, Recommendation.status == RecommendationStatus.approved
        )
    ).all()
    for recommendation in published:
        recommendation.status = RecommendationStatus.published
    addressed = {r.action_level for r in published}
    levels = tuple(level.value for level in ActionLevel if level in addressed)
    content = ReportPublished(report_link(context, round_.slug), now, len(published), levels)
    messages = [
        compose_message(content, recipient, round_context(round_), context.sender, stage="published", now=now)
        for recipient in _readers(session, round_id)
    ]
    queued = enqueue_messages(session, messages, now)
    if missing:
        record_event(session, round_id, actor, "report published without PDF", reason=missing[0])
    change.details.update(recommendations=len(published), formats=sorted({d.format for d in documents}),
                          messages=queued)  # fmt: skip
    return queued


def render_published_report_again(session: Session, round_id: int) -> int:
    """Render every kept edition of a published report again, with the date it was published, in the caller's
    transaction: after an erasure, so that it no longer names the person. Returns the editions rendered."""
    editions = session.exec(select(PublishedReport).where(PublishedReport.round_id == round_id)).all()
    if not editions:
        return 0
    renderer = ReportRenderer(session, round_id, published_at=editions[0].published_at)
    for edition in editions:
        edition.content = renderer.document(cast(ReportFormat, edition.format), edition.language).content
    return len(editions)


def _stored(round_id: int, document: ReportDocument, now: datetime) -> PublishedReport:
    return PublishedReport(round_id=round_id, format=document.format, language=document.language,
                           media_type=document.media_type, content=document.content, published_at=now)  # fmt: skip


def _readers(session: Session, round_id: int) -> list[Recipient]:
    """Everyone the link goes to (review_model.publication.report_reader, which the console counts)."""
    return [
        recipient_for(person, organisation)
        for person, organisation in session.exec(
            select(Participant, Organisation)
            .join(Enrolment, col(Enrolment.participant_id) == Participant.id)
            .join(Organisation, col(Organisation.id) == Participant.organisation_id)
            .where(report_reader(round_id))
            .order_by(col(Enrolment.id))
        ).all()
    ]
