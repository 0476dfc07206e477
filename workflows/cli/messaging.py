"""`spr round message`: the coordinator writes to a group of a round's people."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from workflows.cli.output import COORDINATOR, messages, plural_messages, reported_errors, success
from workflows.cli.people_options import KindOption, LandOption, RoleOption, SearchOption, StateOption

if TYPE_CHECKING:
    from notifications.group_messages import GroupMessagePreview


def message(
    round_ref: Annotated[str, typer.Argument(metavar="ROUND", help="The round's slug or id.")],
    subject: Annotated[str | None, typer.Option("--subject", help="The subject, in German.")] = None,
    body_file: Annotated[
        Path | None,
        typer.Option("--body-file", exists=True, dir_okay=False, readable=True, help="The text, in German (UTF-8)."),
    ] = None,
    subject_en: Annotated[str | None, typer.Option("--subject-en", help="The subject, in English.")] = None,
    body_en_file: Annotated[
        Path | None,
        typer.Option("--body-en-file", exists=True, dir_okay=False, readable=True, help="The text, in English."),
    ] = None,
    role: RoleOption = None,
    kind: KindOption = None,
    land: LandOption = None,
    state: StateOption = None,
    search: SearchOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Send without asking (for scripts).")] = False,
) -> None:
    """Write to the people of ROUND the options pick (everyone in the round without any): each gets the text in
    their language, or in the one you wrote, with their personal link of the current stage where they have one.

    Prints who it goes to in words, the exact number of recipients and the message as one person in each
    language reads it, then asks (without a terminal, only with --yes). Withdrawn people and those who opted
    out get nothing. Sending the same text to the same group again queues nothing new.
    """
    with reported_errors():
        from config.settings import get_settings
        from notifications.addressing import sender_from_settings
        from notifications.group_messages import preview_group_message
        from review_model.rounds import find_round
        from review_model.store import reading_session
        from workflows.cli.coordination import confirm_or_stop
        from workflows.cli.output import coordinator_language, next_step
        from workflows.cli.people_options import people_filter
        from workflows.cli.prefect_runs import advance_after, on_prefect
        from workflows.cli.store_access import open_store
        from workflows.flows import about_round, group_without_search, kept_private, message_group_flow

        chosen = people_filter(role, kind, land, state, search)
        body = _read(body_file, "--body-file")
        body_en = _read(body_en_file, "--body-en-file")
        settings = get_settings()
        # Checked and shown before anyone is asked, and checked again under the round's lock when it is sent.
        with reading_session(open_store()) as session:
            round_ = find_round(session, round_ref)
            assert round_.id is not None
            round_id, slug = round_.id, round_.slug
            preview = preview_group_message(
                session, round_id, chosen, subject, body, subject_en, body_en,
                sender=sender_from_settings(settings), public_base_url=str(settings.public_base_url),
                language=coordinator_language(),
            )  # fmt: skip
        _show_preview(preview)
        _, ngettext = messages(), plural_messages()
        question = ngettext("Send this message to {n} person in {slug}?", "Send this message to {n} people in {slug}?",
                            preview.recipients)  # fmt: skip
        confirm_or_stop(question.format(n=preview.recipients, slug=slug), yes, undone=_("not sent"))
        with on_prefect() as api:
            with about_round(slug):
                unsearched, searched = group_without_search(chosen)
                sent = message_group_flow(round_id, slug, unsearched, searched, kept_private(subject),
                                          kept_private(body), kept_private(subject_en), kept_private(body_en),
                                          COORDINATOR)  # fmt: skip
            said = ngettext("Message queued for {n} person in {slug}.", "Message queued for {n} people in {slug}.",
                            sent.queued).format(n=sent.queued, slug=slug)  # fmt: skip
            success(f"{said} {sent.repeats_in(coordinator_language())}".strip())
            followed = advance_after(api, round_id, slug, "a message to a group")
            typer.echo(followed.line)
        typer.echo(next_step(slug, followed.stage or round_.stage))


def _read(path: Path | None, option: str) -> str | None:
    """A text file's contents; a file that is not UTF-8 stops the command, saying which."""
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        _ = messages()
        raise typer.BadParameter(_("{file} is not UTF-8 text").format(file=path), param_hint=option) from None


def _show_preview(preview: "GroupMessagePreview") -> None:
    """Who the message goes to, how many, and the message as one person in each language reads it."""
    from workflows.cli.output import console, styled

    _, ngettext = messages(), plural_messages()
    out = console()
    recipients = ngettext("{n} recipient", "{n} recipients", preview.recipients).format(n=preview.recipients)
    out.print(styled((_("To:"), "bold"), " ", f"{preview.described} — {recipients}"))
    if preview.left_out:
        out.print(ngettext(
            "{n} more person matches but gets nothing: withdrawn from the round or opted out.",
            "{n} more people match but get nothing: withdrawn from the round or opted out.",
            preview.left_out,
        ).format(n=preview.left_out))  # fmt: skip
    languages = {"de": _("German"), "en": _("English")}
    for sample in preview.samples:
        out.print()
        heading = _("As {name} reads it ({language}):").format(
            name=sample.recipient, language=languages[sample.language]
        )
        out.print(styled((heading, "bold")))
        out.print(styled((_("Subject:"), "bold"), " ", sample.email.subject))
        out.print(sample.email.text.rstrip())
    out.print()
