"""The report in each of its formats, as bytes with a media type: what `spr report`, publication and the
portal hand out."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import Session

from reports.contents import assemble_report
from reports.exports import scores_csv, scores_json
from reports.rendering import render_html, render_pdf
from review_model.questionnaire import Questionnaire
from review_model.round_ratings import RoundRatings, load_round_ratings
from review_model.rounds import get_round

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


class ReportRenderer:
    """One round's report in any format and language, each ingredient made once: the round's ratings, which
    every score export reads, and each language's HTML, which its PDF is made from."""

    def __init__(self, session: Session, round_id: int, *, published_at: datetime | None = None):
        self.session, self.round_id, self.published_at = session, round_id, published_at
        self._html: dict[str, str] = {}
        self._ratings: RoundRatings | None = None

    def document(self, format: ReportFormat, language: str) -> ReportDocument:
        """The report (or score export) in `format` and `language`."""
        if format in ("csv", "json"):
            export = scores_csv if format == "csv" else scores_json
            return ReportDocument(format, language, export(self.session, self.round_id, language, self._loaded())
                                  .encode("utf-8"))  # fmt: skip
        html = self._html.get(language)
        if html is None:
            report = assemble_report(self.session, self.round_id, language, published_at=self.published_at)
            html = self._html[language] = render_html(report)
        if format == "html":
            return ReportDocument(format, language, html.encode("utf-8"))
        return ReportDocument(format, language, render_pdf(html))

    def _loaded(self) -> RoundRatings:
        if self._ratings is None:
            round_ = get_round(self.session, self.round_id)
            questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
            self._ratings = load_round_ratings(self.session, self.round_id, questionnaire)
        return self._ratings


def render_report(
    session: Session, round_id: int, format: ReportFormat, language: str, *, published_at: datetime | None = None
) -> ReportDocument:
    """The round's report (or score export) in one format and language.

    `published_at` marks it as the published edition; without it, the HTML and PDF say "draft".
    """
    return ReportRenderer(session, round_id, published_at=published_at).document(format, language)
