"""The report in each of its formats, as bytes with a media type: what `spr report`, publication and the
portal hand out."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import Session

from reports.contents import assemble_report
from reports.exports import scores_csv, scores_json
from reports.rendering import render_html, render_pdf

ReportFormat = Literal["html", "pdf", "csv", "json"]
FORMATS: tuple[ReportFormat, ...] = ("html", "pdf", "csv", "json")
MEDIA_TYPES: dict[str, str] = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}
FILE_NAMES = {"html": "report.html", "pdf": "report.pdf", "csv": "scores.csv", "json": "scores.json"}


@dataclass(frozen=True)
class ReportDocument:
    format: str
    language: str
    content: bytes

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    def file_name(self, slug: str) -> str:
        stem, suffix = FILE_NAMES[self.format].split(".")
        return f"{slug}-{stem}-{self.language}.{suffix}"


def render_report(
    session: Session, round_id: int, format: ReportFormat, language: str, *, published_at: datetime | None = None
) -> ReportDocument:
    """The round's report (or score export) in one format and language.

    `published_at` marks it as the published edition; without it, the HTML and PDF say "draft".
    """
    if format == "csv":
        return ReportDocument(format, language, scores_csv(session, round_id, language).encode("utf-8"))
    if format == "json":
        return ReportDocument(format, language, scores_json(session, round_id, language).encode("utf-8"))
    html = render_html(assemble_report(session, round_id, language, published_at=published_at))
    if format == "html":
        return ReportDocument(format, language, html.encode("utf-8"))
    return ReportDocument(format, language, render_pdf(html))
