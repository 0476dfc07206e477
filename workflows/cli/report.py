"""`spr report`: the report for decision-makers, the per-item scores, or the round's raw data for the coordinator,
written to a file."""

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, cast

import typer

from workflows.cli.output import fail, messages, reported_errors, stage_name, success


class Format(StrEnum):
    html = "html"
    pdf = "pdf"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


class ReportLanguage(StrEnum):
    de = "de"
    en = "en"


def report(
    round_ref: Annotated[str, typer.Argument(metavar="ROUND", help="The round's slug or id.")],
    format: Annotated[
        Format, typer.Option("--format", "-f", help="html, pdf, the scores as csv or json, or the raw data as xlsx.")
    ] = (Format.html),
    lang: Annotated[ReportLanguage, typer.Option("--lang", help="The report's language.")] = ReportLanguage.de,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File or folder to write to ('-' for standard output); default: here."),
    ] = None,
) -> None:
    """Write the round's report (HTML or PDF), its per-item scores (CSV or JSON) or its raw data (XLSX).

    A published round gives the edition that was published; before that, the report is drawn from the
    findings as they stand and marked as a draft (only approved recommendations appear in it). The raw data,
    for the coordinator only and never published, is one workbook of every submitted self-assessment, comment
    and review as the store holds them now; reviewers are numbered per party unless the round is open review.
    """
    if format is Format.xlsx:
        _write_raw_data(round_ref, lang.value, output)
        return
    with reported_errors():
        from sqlmodel import select

        from reports.documents import ReportDocument, ReportFormat, render_report
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
                    else render_report(session, round_.id, cast(ReportFormat, format.value), lang.value)
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


def _write_raw_data(round_ref: str, language: str, output: Path | None) -> None:
    """The raw data workbook, written straight to its file (a large round's has millions of cells)."""
    with reported_errors():
        import io

        from reports.raw_data import write_raw_data
        from review_model.rounds import find_round
        from review_model.store import reading_session
        from workflows.cli.store_access import open_store

        _ = messages()
        with reading_session(open_store()) as session:
            round_ = find_round(session, round_ref)
            assert round_.id is not None
            name = f"{round_.slug}-raw-data-{language}.xlsx"
            if output is not None and str(output) == "-":
                buffer = io.BytesIO()
                write_raw_data(session, round_.id, language, buffer)
                sys.stdout.buffer.write(buffer.getvalue())
                return
            target = output or Path(name)
            if target.is_dir():
                target = target / name
            if not target.parent.is_dir():  # known before the round is read, not after
                fail(_("there is no folder {folder} to write {file} in").format(folder=target.parent, file=target.name))
            write_raw_data(session, round_.id, language, target)
        success(
            _("Raw data (XLSX, {language}) written to {file} ({size} bytes).").format(
                language=language, file=target, size=f"{target.stat().st_size:,}"
            )
        )
