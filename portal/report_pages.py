"""Published reports: anyone with the address may read them, in each language and format."""

from fastapi.responses import Response
from markupsafe import escape
from sqlmodel import Session, col, select

from config.translations import gettext_for
from portal.accessibility_pages import statement_link
from portal.rendering import message_page
from reports.documents import FILE_NAMES
from review_model.tables import PublishedReport, Round

# The report carries its styles and charts inline; nothing else may load.
REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; frame-ancestors 'none'"


def published_report(session: Session, slug: str, file_name: str, language: str, secret: bytes) -> Response:
    """The published document `file_name` (report.html, report.pdf, scores.csv, scores.json) of round `slug`;
    the HTML edition as the portal serves it, with a footer that links to the round's accessibility statement."""
    formats = {name: format for format, name in FILE_NAMES.items()}
    format = formats.get(file_name)
    found = None
    if format is not None:
        found = session.exec(
            select(PublishedReport)
            .join(Round, col(Round.id) == PublishedReport.round_id)
            .where(Round.slug == slug, PublishedReport.format == format, PublishedReport.language == language)
        ).first()
    if found is None:
        _ = gettext_for(language, "portal")
        text = _("There is no published report at this address. Reports appear here once the round is published.")
        return message_page(language, _("This link is not valid"), text, 404)
    headers = {"content-security-policy": REPORT_POLICY, "cache-control": "public, max-age=300"}
    content = found.content
    if format == "html":
        content = with_statement_link(content, statement_link(language, secret, found.round_id), language)
    else:
        headers["content-disposition"] = f'attachment; filename="{slug}-{file_name}"'
    return Response(content, media_type=found.media_type, headers=headers)


def with_statement_link(html: bytes, href: str, language: str) -> bytes:
    """The report's HTML with a footer linking to the accessibility statement, added as it is served: the
    stored edition (also what `spr report` writes and people download) stays free of the portal's addresses."""
    _ = gettext_for(language, "portal")
    footer = f'<footer><p><a href="{escape(href)}">{escape(_("Accessibility statement"))}</a></p></footer>\n'
    head, body_end, tail = html.rpartition(b"</body>")
    if not body_end:
        return html + footer.encode()
    return head + footer.encode() + body_end + tail
