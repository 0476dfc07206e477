"""Rendering the report: HTML from templates/reports (autoescaped, self-contained), PDF from that HTML."""

import logging
from datetime import date, datetime
from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from config.paths import TEMPLATES_DIR
from config.translations import LANGUAGES, translations
from reports.contents import Report
from reports.profiles import profile_cards
from reports.ranking_table import ranking_rows
from reports.rendering_numbers import number, signed
from reports.scale_names import scale_name
from review_model.cycle_collection import cycle_collection_paused
from review_model.moments import format_calendar_day, format_moment
from review_model.vocabulary import ActionLevel, Stage, action_levels_in_a_sentence


class PdfUnavailable(RuntimeError):
    """WeasyPrint (the optional `pdf` extra) or the system libraries it needs are not installed."""


@lru_cache(maxsize=len(LANGUAGES))
def report_environment(language: str) -> Environment:
    """The report's templates in one language: `_`, `gettext` and `ngettext` speak it, and each template is
    compiled once per language and kept."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR / "reports"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(translations(language, "reports"), newstyle=True)  # type: ignore[attr-defined]
    environment.globals.update(
        number=number,
        signed=signed,
        zip=zip,
        scale_name=scale_name,
        ActionLevel=ActionLevel,
        Stage=Stage,
        action_levels_in_a_sentence=action_levels_in_a_sentence,
    )
    environment.filters["capitalised"] = _capitalised
    return environment


def _capitalised(text: str) -> str:
    """The first letter upper case, the rest as it is (a stage's name as a row heading: "Peer review")."""
    return text[:1].upper() + text[1:]


def render_html(report: Report) -> str:
    """The report as one self-contained HTML document (styles and charts inline, nothing fetched)."""
    language = report.language

    def when(moment: datetime) -> str:
        return format_moment(moment, report.time_zone, language)

    def day(value: date) -> str:
        return format_calendar_day(value, language)

    template = report_environment(language).get_template("report.html")
    with cycle_collection_paused():  # see reports.contents.assemble_report
        return template.render(
            r=report,
            lang=language,
            when=when,
            day=day,
            profiles=profile_cards(report),
            ranking_rows=ranking_rows(report),
        )


def render_pdf(html: str) -> bytes:
    """The HTML report as PDF, with WeasyPrint; PdfUnavailable when it cannot be loaded."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as missing:  # OSError: the Pango libraries are missing
        raise PdfUnavailable(
            "PDF needs WeasyPrint: pip install 'spr[pdf]' (and the Pango libraries, e.g. apt-get install "
            f"libpango-1.0-0 libpangoft2-1.0-0) ({missing})"
        ) from None
    # WeasyPrint warns about fonts and subsetting libraries of the machine; that is not the reader's concern.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    pdf: bytes = HTML(string=html, url_fetcher=_fetch_nothing).write_pdf()
    return pdf


def _fetch_nothing(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    """The report is self-contained: whatever a URL in it names is not fetched."""
    raise ValueError(f"the report loads nothing from elsewhere ({url[:60]})")
