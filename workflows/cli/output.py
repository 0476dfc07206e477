"""How commands talk to people: tables on stdout, problems on stderr, exit codes that mean something."""

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn
from zoneinfo import ZoneInfo

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from review_model.questionnaire import Questionnaire
    from review_model.refusals import Refused
    from review_model.vocabulary import Stage

EXIT_PROBLEM = 1
# How the audit trail names what a coordinator did from the command line.
COORDINATOR = "coordinator (command line)"


def coordinator_language() -> str:
    """The language the commands print in: SPR_LANGUAGE, English when unset (see workflows.command_language)."""
    from workflows.command_language import coordinator_language

    return coordinator_language()


def messages() -> Callable[..., str]:
    """`_` for what a command prints, in the coordinator's language: `_ = messages()`, then
    `_("Round {slug} launched.").format(…)` (the catalog finds messages by the name `_`, not `messages()(…)`)."""
    from workflows.command_language import coordinator_messages

    return coordinator_messages()


def plural_messages() -> Callable[[str, str, int], str]:
    """`ngettext` for what a command prints, in the coordinator's language: `ngettext = plural_messages()`."""
    from workflows.command_language import coordinator_plurals

    return coordinator_plurals()


def stage_name(stage: "Stage | str") -> str:
    """A stage as the commands name it: `submission` in English, „Selbsteinschätzung“ in German."""
    from workflows.command_language import stage_name

    return stage_name(stage, coordinator_language())


def translated(message: str, **values: object) -> str:
    """A message marked with N_ where it is defined, in the coordinator's language, placeholders filled."""
    from config.translations import translate

    return translate(coordinator_language(), "workflows", message, **values)


def reasons_text(reasons: Sequence[str], separator: str = "; ") -> str:
    """The domain's reasons for a refusal, each in the coordinator's language, joined by `separator`."""
    from review_model.refusals import reasons_in

    return separator.join(reasons_in(coordinator_language(), reasons))


def refusal_text(refused: "Refused") -> str:
    """A refusal of the domain as a whole, in the coordinator's language."""
    return refused.in_language(coordinator_language())


def console(stderr: bool = False) -> "Console":
    """A console for people; when the output goes to a file or a pipe, lines are not wrapped at 80.

    Strings are printed as they are: titles, names and addresses may hold square brackets or colons, which
    Rich would otherwise read as markup or emoji codes (and fail on, or drop). Style comes from `styled`.
    """
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or os.environ.get("COLUMNS") else 200
    return Console(stderr=stderr, markup=False, emoji=False, highlight=False, soft_wrap=True, width=width)


def styled(*parts: "str | tuple[str, str]") -> "Text":
    """A line of plain strings and (text, style) pairs; nothing in it is read as markup."""
    from rich.text import Text

    return Text.assemble(*parts)


def fail(message: str) -> NoReturn:
    """Print a problem on stderr and stop with a non-zero exit code."""
    _ = messages()
    console(stderr=True).print(styled((_("Error:"), "bold red"), " ", message))
    raise typer.Exit(EXIT_PROBLEM)


def success(message: str) -> None:
    console().print(styled(("✓", "green"), " ", message))


def print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from rich.table import Table
    from rich.text import Text

    show_header = any(columns)
    table = Table(
        title=Text(title) if title else None, title_justify="left", header_style="bold", show_header=show_header
    )
    for column in columns:  # the caller translates the headings
        table.add_column(Text(column))
    for row in rows:
        table.add_row(*(Text("" if value is None else str(value)) for value in row))
    console().print(table)


def N_(message: str) -> str:
    """Mark a message for the catalog where it is defined (as config.translations.N_ does, without loading the
    catalogs' machinery before a command runs: `spr --help` stays instant)."""
    return message


# What a coordinator does next with a round in each stage: every command that shows a round ends with it.
_NEXT_STEPS = {
    "draft": N_("Next: launch it with `spr round launch {slug}` (it checks everything first)."),
    "invitation": N_("Next: keep `spr serve` running; watch the round with `spr status {slug}`."),
    "submission": N_("Next: keep `spr serve` running; watch the round with `spr status {slug}`."),
    "assignment": N_(
        "Next: check the reviewers with `spr assignment show {slug}`, then `spr assignment confirm {slug}`."
    ),
    "review": N_("Next: keep `spr serve` running; watch the round with `spr status {slug}`."),
    "consolidation": N_(
        "Next: keep `spr serve` running; the recommendations follow (`spr recommendations list {slug}`)."
    ),
    "drafting": N_("Next: decide on the drafts with `spr recommendations list {slug}`, then approve or reject each."),
    "comment": N_("Next: keep `spr serve` running; publication follows the comment deadline (`spr status {slug}`)."),
    "published": N_("Next: the report is on the portal; write a copy with `spr report {slug}`."),
    "archived": N_("Next: write the report with `spr report {slug}`."),
}


def next_step(slug: str, stage: str) -> str:
    """The line that ends a command about a round: what comes next in its stage."""
    return translated(_NEXT_STEPS[str(stage)], slug=slug)


def next_pass(slug: str, sentence: str) -> str:
    """The line that ends a command whose effect the round driver carries on: `sentence` (marked with N_, with
    a {slug} placeholder) says what follows once the round has advanced."""
    return translated(sentence, slug=slug)


def local_time(moment: datetime | None, zone: str) -> str:
    """A moment as people in the round's time zone read it."""
    if moment is None:
        return "—"
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def describe_questionnaire(questionnaire: "Questionnaire") -> str:
    """A questionnaire in one line: id, version, and how much there is to answer."""
    items = sum(1 for _ in questionnaire.items())
    ratings = sum(1 for _ in questionnaire.rating_cells())
    _ = messages()
    return _("{id} v{version}, {sections} sections, {items} items, {ratings} ratings").format(
        id=questionnaire.id,
        version=questionnaire.version,
        sections=len(questionnaire.sections),
        items=items,
        ratings=ratings,
    )


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn the errors people can fix (bad files, settings, unknown rounds) into messages and exit code 1."""
    try:
        yield
    except typer.Exit:
        raise
    except Exception as error:
        if _is_known(error):
            fail(_known_message(error).rstrip())
        if _prefect_went_away(error):
            _ = messages()
            fail(
                _("the Prefect server stopped answering ({error}); try again once it runs").format(
                    error=error or type(error).__name__
                )
            )
        raise


def _known_message(error: Exception) -> str:
    from review_model.refusals import Refused

    return refusal_text(error) if isinstance(error, Refused) else str(error)


def _is_known(error: Exception) -> bool:
    from config.settings import SettingsError
    from review_model.participant_import import ParticipantImportError
    from review_model.refusals import Refused
    from review_model.rounds import RoundExists, RoundNotFound
    from review_model.yaml_documents import DocumentError
    from workflows.cli.store_access import StoreNotReady
    from workflows.prefect_server import LocalServerFailed, PrefectUnreachable
    from workflows.stages.submission import ExtensionRefused

    known = (SettingsError, DocumentError, ParticipantImportError, RoundExists, RoundNotFound, StoreNotReady,
             PrefectUnreachable, LocalServerFailed, Refused, ExtensionRefused)  # fmt: skip
    return isinstance(error, known)


def _prefect_went_away(error: Exception) -> bool:
    """A connection to the Prefect server failed mid-command (it was reachable when the command began)."""
    import httpx

    return isinstance(error, httpx.TransportError)
