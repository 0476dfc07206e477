"""Rendering the report: HTML from templates/reports (autoescaped, self-contained), PDF from that HTML."""

import logging
from datetime import datetime
from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from config.paths import TEMPLATES_DIR
from reports.contents import Report
from reports.profiles import profile_cards
from reports.rendering_numbers import number, signed
from reports.wording import WORDING, levels_named
from review_model.moments import format_moment


class PdfUnavailable(RuntimeError):
    """WeasyPrint (the optional `pdf` extra) or the system libraries it needs are not installed."""


@lru_cache(maxsize=1)
def report_environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR / "reports"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    environment.globals.update(number=number, signed=signed, zip=zip, levels_named=levels_named)
    return environment


def render_html(report: Report) -> str:
    """The report as one self-contained HTML document (styles and charts inline, nothing fetched)."""
    language = report.language

    def when(moment: datetime) -> str:
        return format_moment(moment, report.time_zone, language)

    words = WORDING[language]
    template = report_environment().get_template("report.html")
    return template.render(r=report, lang=language, t=words, when=when, profiles=profile_cards(report, words))


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
