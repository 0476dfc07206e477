"""`spr serve`: the portal on uvicorn."""

from typing import Annotated

import typer

from workflows.cli.output import reported_errors


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default SPR_PORTAL_HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default SPR_PORTAL_PORT, 8000).")] = None,
    scheduler: Annotated[
        bool, typer.Option("--scheduler/--no-scheduler", help="Advance active rounds in this process.")
    ] = True,
) -> None:
    """Run the portal, and the scheduler that advances every active round every few minutes.

    The portal holds the forms participants and reviewers open with their personal links, and /health. The
    scheduler runs the round driver (a Prefect flow) for each active round every SPR_ADVANCE_INTERVAL_SECONDS
    and soon after each submission: invitations, reminders, closing stages, delivering email.
    Put it behind a TLS-terminating reverse proxy for real rounds, and set SPR_PUBLIC_BASE_URL to the address
    people use.
    """
    with reported_errors():
        from config.settings import get_settings
        from portal.app import create_app
        from workflows.cli.store_access import open_store

        settings = get_settings()
        engine = open_store()
        rounds = None
        if scheduler:
            from workflows.flows import advance_round_flow
            from workflows.scheduler import RoundScheduler

            rounds = RoundScheduler(engine, advance_round_flow, settings.advance_interval_seconds).start()
        app = create_app(settings, engine, on_submission=rounds.wake if rounds else None)
        try:
            _run(app, host or settings.portal_host, port or settings.portal_port)
        finally:
            if rounds is not None:
                rounds.stop()


def _run(app: object, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
        proxy_headers=True,
        timeout_keep_alive=30,
    )
