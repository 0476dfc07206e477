"""Rendering the report: HTML from templates/reports (autoescaped, self-contained), PDF from that HTML."""

from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from config.paths import TEMPLATES_DIR
from notifications.templating import format_moment
from reports.contents import Report
from reports.wording import WORDING


class PdfUnavailable(RuntimeError):
    """WeasyPrint (the optional `pdf` extra) or the system libraries it needs are not installed."""


def number(value: float | None, language: str, digits: int = 1) -> str:
    """A figure as its readers write it: 2,5 in German, 2.5 in English; a dash when there is none."""
    if value is None:
        return "–"
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if language == "de" else text


def signed(value: float | None, language: str) -> str:
    if value is None:
        return "–"
    return ("+" if value > 0 else "") + number(value, language)


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
    environment.globals.update(number=number, signed=signed, zip=zip)
    return environment


def render_html(report: Report) -> str:
    """The report as one self-contained HTML document (styles and charts inline, nothing fetched)."""
    language = report.language

    def when(moment) -> str:  # type: ignore[no-untyped-def]
        return format_moment(moment, report.time_zone, language)

    return (
        report_environment().get_template("report.html").render(r=report, lang=language, t=WORDING[language], when=when)
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
    return HTML(string=html).write_pdf()
