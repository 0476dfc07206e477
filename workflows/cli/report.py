"""`spr report`: the report for decision-makers, or the per-item scores, written to a file."""

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from workflows.cli.output import fail, messages, reported_errors, stage_name, success


class Format(StrEnum):
    html = "html"
    pdf = "pdf"
    csv = "csv"
    json = "json"


class ReportLanguage(StrEnum):
    de = "de"
    en = "en"


def report(
    round_ref: Annotated[str, typer.Argument(metavar="ROUND", help="The round's slug or id.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="html, pdf, or the scores as csv or json.")] = (
        Format.html
    ),
    lang: Annotated[ReportLanguage, typer.Option("--lang", help="The report's language.")] = ReportLanguage.de,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File or folder to write to ('-' for standard output); default: here."),
    ] = None,
) -> None:
    """Write the round's report (HTML or PDF) or its per-item scores (CSV or JSON).

    A published round gives the edition that was published; before that, the report is drawn from the
    findings as they stand and marked as a draft (only approved recommendations appear in it).
    """
    with reported_errors():
        from sqlmodel import select

        from reports.documents import ReportDocument, render_report
        from reports.rendering import PdfUnavailable
        from review_model.rounds import find_round
        from review_model.store import reading_session
        from review_model.tables import Finding, PublishedReport
        from review_model.vocabulary import Stage
        from workflows.cli.store_access import open_store

        _ = messages()
        with reading_session(open_store()) as session:
            round_ = find_round(session, round_ref)
            assert round_.id is not None
            if session.exec(select(Finding.id).where(Finding.round_id == round_.id)).first() is None:
                fail(
                    _("round {slug} has no findings yet: the report follows the {review} stage").format(
                        slug=round_.slug, review=stage_name(Stage.review)
                    )
                )
            stored = session.exec(
                select(PublishedReport).where(
                    PublishedReport.round_id == round_.id,
                    PublishedReport.format == format.value,
                    PublishedReport.language == lang.value,
                )
            ).first()
            try:
                document = (
                    ReportDocument(format.value, lang.value, stored.content)
                    if stored is not None
                    else render_report(session, round_.id, format.value, lang.value)
                )
            except PdfUnavailable as unavailable:
                fail(str(unavailable))
            slug = round_.slug
        if output is not None and str(output) == "-":
            sys.stdout.buffer.write(document.content)
            return
        target = output or Path(document.file_name(slug))
        if target.is_dir():
            target = target / document.file_name(slug)
        target.write_bytes(document.content)
        if stored is not None:
            written = _("{format} ({language}, published edition) written to {file} ({size} bytes).")
        else:
            written = _("{format} ({language}, draft) written to {file} ({size} bytes).")
        success(
            written.format(
                format=format.value.upper(), language=lang.value, file=target, size=f"{len(document.content):,}"
            )
        )
