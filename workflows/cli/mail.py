"""`spr mail-server` and `spr outbox`: the development SMTP server, and the state of outgoing email."""

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from workflows.cli.output import (
    COORDINATOR,
    fail,
    local_time,
    messages,
    plural_messages,
    print_table,
    reported_errors,
    success,
)

if TYPE_CHECKING:
    from review_model.vocabulary import OutboxState

outbox_app = typer.Typer(help="See and steer outgoing email.", no_args_is_help=True)

RoundOption = Annotated[
    str | None, typer.Argument(metavar="[ROUND]", help="A round's slug or id; all rounds if left out.")
]


def mail_server(
    host: Annotated[str, typer.Option(help="Address to listen on (keep it on loopback).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on; SPR_SMTP_PORT points spr at it.")] = 8025,
    maildir: Annotated[
        Path | None,
        typer.Option(
            help="Keep every message in this Maildir folder (made if missing or empty); --no-maildir keeps none."
        ),
    ] = Path("maildir"),
    no_maildir: Annotated[bool, typer.Option("--no-maildir", help="Keep no copies, only print a line each.")] = False,
    fail: Annotated[
        list[str] | None,
        typer.Option(help="ADDRESS=CODE: answer CODE (e.g. 451 or 550) to that recipient, to try out failures."),
    ] = None,
) -> None:
    """Run a development SMTP server that keeps every message it receives and prints a line for each.

    For trying spr out and for tests: nothing is sent on. Stop it with Ctrl-C.
    """
    from notifications.dev_mail_server import DevMailServer

    folder = None if no_maildir else maildir
    # Worded before the server starts: from then on, Ctrl-C must find the loop below that stops it.
    _ = messages()
    if folder:
        started = _("Development SMTP server on {address}, keeping messages in {folder}. Ctrl-C stops it.")
    else:
        started = _("Development SMTP server on {address}. Ctrl-C stops it.")
    try:
        server = DevMailServer(
            host, port, maildir=folder, keep_in_memory=False, on_message=lambda m: print(m.summary(), flush=True)
        )
    except OSError as error:  # a file in the way, a folder of other things, no permission to make it
        raise typer.BadParameter(str(error), param_hint="--maildir") from error
    for rule in fail or []:
        address, _equals, code = rule.partition("=")
        if not code.isdigit() or not 400 <= int(code) < 600:
            raise typer.BadParameter(f"{rule!r}: expected ADDRESS=CODE with a 4xx or 5xx code", param_hint="--fail")
        server.catcher.fail(address, int(code))
    try:
        server.start()
    except OSError as error:  # the port is taken (often by another mail server still running)
        problem = f"{host}:{port} cannot be listened on: {error.strerror or error}"
        raise typer.BadParameter(problem, param_hint="--port") from None
    typer.echo(started.format(address=f"{host}:{port}", folder=folder), err=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@outbox_app.command("status")
def status(round_ref: RoundOption = None) -> None:
    """Count outgoing messages per state, and list the failed ones with the server's reply."""
    with reported_errors():
        from notifications.outbox import failed_messages, outbox_counts
        from review_model.rounds import find_round
        from review_model.store import reading_session
        from workflows.cli.store_access import open_store

        with reading_session(open_store()) as session:
            round_id = find_round(session, round_ref).id if round_ref else None
            counts = outbox_counts(session, round_id)
            failed = failed_messages(session, round_id)
        _ = messages()
        print_table(_("Outbox"), [_("State"), _("Messages")], [(_state(state), n) for state, n in counts.items()])
        if failed:
            rows = [
                (m.id, m.recipient_email, m.kind, m.attempts, local_time(m.created_at, "UTC"), m.last_error)
                for m in failed
            ]
            columns = [_("Id"), _("Recipient"), _("Kind"), _("Attempts"), _("Queued"), _("Reason")]
            print_table(_("Failed"), columns, rows)
            typer.echo(_("Correct the addresses, then `spr outbox retry` sends them again."))


def _state(state: "OutboxState") -> str:
    """A message's state as the outbox table shows it: its name in English, a word in German."""
    from review_model.vocabulary import OutboxState

    _ = messages()
    words = {
        OutboxState.queued: _("queued"),
        OutboxState.sending: _("sending"),
        OutboxState.sent: _("sent"),
        OutboxState.failed: _("failed"),
    }
    return words[state]


@outbox_app.command("retry")
def retry(
    round_ref: RoundOption = None,
    message: Annotated[int | None, typer.Option("--message", help="Only this message (its id).")] = None,
) -> None:
    """Queue failed messages again (after an address was corrected, say); each goes to the current address."""
    with reported_errors():
        from review_model.rounds import find_round
        from review_model.store import reading_session
        from workflows.cli.store_access import open_store
        from workflows.coordinator_actions import retry_failed_messages

        engine = open_store()
        with reading_session(engine) as session:
            round_id = find_round(session, round_ref).id if round_ref else None
        requeued = retry_failed_messages(engine, round_id, COORDINATOR, message)
        ngettext = plural_messages()
        said = ngettext(
            "Queued {n} failed message(s) again; they go out with the next delivery.",
            "Queued {n} failed message(s) again; they go out with the next delivery.",
            len(requeued.ids),
        )
        success(said.format(n=len(requeued.ids)))


@outbox_app.command("deliver")
def deliver(
    connections: Annotated[
        int | None, typer.Option(help="SMTP connections in parallel (default SPR_SMTP_CONNECTIONS).")
    ] = None,
    wait_for_retries: Annotated[
        float, typer.Option(help="Keep going while a retry falls due within this many seconds.")
    ] = 0.0,
) -> None:
    """Send every message that is due now through the configured SMTP server, and say what happened."""
    with reported_errors():
        from config.settings import get_settings
        from notifications.delivery import delivery_options_from_settings, run_delivery, smtp_server_from_settings
        from workflows.cli.store_access import open_store

        settings = get_settings()
        overrides: dict[str, object] = {"linger_seconds": wait_for_retries}
        if connections is not None:
            overrides["connections"] = connections
        report = run_delivery(
            open_store(),
            smtp_server_from_settings(settings),
            settings.mail_from,
            delivery_options_from_settings(settings, **overrides),
        )
        _ = messages()
        success(
            _("{sent} sent, {retried} to retry later, {failed} failed in {seconds} s via {server}.").format(
                sent=report.sent,
                retried=report.retried,
                failed=report.failed,
                seconds=f"{report.seconds:.1f}",
                server=f"{settings.smtp_host}:{settings.smtp_port}",
            )
        )
        if report.stopped:
            fail(_("delivery stopped before the queue was done: {reason}").format(reason=report.stopped))
        if report.failed:
            raise typer.Exit(1)
