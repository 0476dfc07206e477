"""`spr people`: a person's rights across every round: what is stored about them (for a request that comes by
letter), and erasing them."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from workflows.cli.output import (
    COORDINATOR,
    coordinator_language,
    fail,
    messages,
    plural_messages,
    reported_errors,
    success,
)

if TYPE_CHECKING:
    from review_model.erasure import PlannedErasure

app = typer.Typer(
    help="A person's data across every round: export it (GDPR Art. 15), erase it (Art. 17).",
    no_args_is_help=True,
)


@app.command("export")
def export(
    email: Annotated[str, typer.Argument(help="The person's email address.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="The file to write; without it, standard output.")
    ] = None,
    file_format: Annotated[
        str, typer.Option("--format", help="json (the whole record) or csv (one row per fact).")
    ] = "json",
) -> None:
    """Everything the store holds about a person (their rounds, every email to them, their links without the
    links themselves, answers with every submitted version, reviews, replies, conflicts, history), as JSON or
    CSV. It changes nothing."""
    with reported_errors():
        from review_model.personal_data import UnknownPerson, participant_by_email, personal_data_of
        from review_model.personal_data_files import personal_data_csv, personal_data_json
        from review_model.store import reading_session
        from workflows.cli.store_access import open_store

        _ = messages()
        if file_format not in ("json", "csv"):
            fail(_("--format must be json or csv, not {format!r}").format(format=file_format))
        with reading_session(open_store()) as session:
            try:
                person = participant_by_email(session, email)
            except UnknownPerson:
                fail(_("No participant has the address {email}.").format(email=email))
            assert person.id is not None
            data = personal_data_of(session, person.id)
        content = personal_data_json(data) if file_format == "json" else personal_data_csv(data)
        if output is None:
            typer.echo(content, nl=False)
            return
        output.write_text(content, encoding="utf-8", newline="")
        success(_("The data stored about {email} is in {file}.").format(email=data.person.email, file=output))


@app.command("erase")
def erase(
    email: Annotated[str, typer.Argument(help="The person's email address.")],
    yes: Annotated[bool, typer.Option("--yes", help="Erase without asking (for scripts).")] = False,
) -> None:
    """Erase a person's name, address and personal links everywhere, on their request (GDPR Art. 17).

    Says what it touches, then asks (without a terminal, only with --yes). What their organisation submitted,
    reviewed and replied stays, attributed to the organisation; in an open review's report they become
    "Reviewer N" of the party, and published reports that named them are rendered again. In a round still
    running they are withdrawn first. Messages to them lose address and text, messages not yet sent are
    dropped, and the history records that a person was erased, not whom. It cannot be undone.
    """
    with reported_errors():
        from review_model.erasure import plan_erasure
        from review_model.participant_import import participant_with_email
        from review_model.store import reading_session
        from workflows.cli.coordination import confirm_or_stop
        from workflows.cli.prefect_runs import on_prefect
        from workflows.cli.store_access import open_store
        from workflows.flows import erase_person_flow

        with reading_session(open_store()) as session:  # checked before asking, and again when it is done
            planned = plan_erasure(session, participant_with_email(session, email), who=email.strip().lower())
        _show_erasure(planned)
        _ = messages()
        confirm_or_stop(
            _("Erase {name} <{email}>? This cannot be undone.").format(name=planned.name, email=planned.email),
            yes,
            undone=_("not erased"),
        )
        with on_prefect():
            done = erase_person_flow(planned.participant_id, COORDINATOR)
        ngettext = plural_messages()
        rounds = ngettext("{n} round", "{n} rounds", len(done.erased.rounds)).format(n=len(done.erased.rounds))
        success(
            _("{email} erased in {rounds}: {links} links deleted, {emptied} messages emptied, {dropped} unsent "
              "messages dropped, {audit} history entries rewritten, {reports} published reports rendered again.")
            .format(email=planned.email, rounds=rounds, links=done.erased.links_deleted,
                    emptied=done.erased.messages_emptied, dropped=done.erased.messages_dropped,
                    audit=done.erased.audit_entries_rewritten, reports=len(done.reports_rendered_again))
        )  # fmt: skip


def _show_erasure(planned: "PlannedErasure") -> None:
    """Exactly what erasing the person does, before anyone is asked."""
    from workflows.cli.output import stage_name

    _ = messages()
    typer.echo(
        _("Erasing {name} <{email}> ({organisation}):").format(
            name=planned.name, email=planned.email, organisation=planned.organisation
        )
    )
    for part in planned.rounds:
        roles = ", ".join(part.roles) or _("no role")
        typer.echo("  - " + _("{slug} (stage {stage}): {roles}").format(
            slug=part.slug, stage=stage_name(part.stage), roles=roles))  # fmt: skip
    lines = planned.consequences(coordinator_language())
    for line in lines:
        typer.echo(f"  - {line}")
