"""`spr serve`: the portal on uvicorn."""

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from workflows.cli.output import reported_errors, success


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
    people use. Says where it listens once it is ready; stops on Ctrl+C or SIGTERM.
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

            rounds = RoundScheduler(engine, advance_round_flow, settings.advance_interval_seconds)
        app = create_app(settings, engine, on_submission=rounds.wake if rounds else None)
        address = f"http://{host or settings.portal_host}:{port or settings.portal_port}"
        lines = [
            f"Portal:    {address} (personal links start with {str(settings.public_base_url).rstrip('/')})",
            f"Health:    {address}/health",
            _scheduler_line(settings.advance_interval_seconds) if rounds else "Scheduler: off (--no-scheduler)",
        ]
        if rounds is not None:
            rounds.start()
        try:
            _run(app, host or settings.portal_host, port or settings.portal_port, on_ready=lambda: _ready(lines))
        finally:
            if rounds is not None:
                rounds.stop()


def _scheduler_line(interval: float) -> str:
    """What the scheduler does, and where its Prefect flow runs can be followed."""
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL

    from workflows.prefect_output import prefect_log_file

    api = PREFECT_API_URL.value()
    where = (
        f"Prefect server {api}, its UI at {PREFECT_UI_URL.value() or api}"
        if api
        else "Prefect's temporary local API (no UI; set PREFECT_API_URL to use a Prefect server and its UI)"
    )
    log = prefect_log_file()
    return (
        f"Scheduler: advances every active round every {interval:g} s and soon after each submission; "
        f"flow runs on {where}" + (f"; Prefect's log in {log}" if log else "")
    )


def _ready(lines: list[str]) -> None:
    success("spr serve is ready.")
    for line in lines:
        typer.echo(f"  {line}")
    typer.echo("Next: watch a round with `spr status ROUND`; stop serving with Ctrl+C.")


def _run(app: object, host: str, port: int, on_ready: Callable[[], Any]) -> None:
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started:  # listening: say so, and where
                on_ready()

        @contextmanager
        def capture_signals(self) -> Iterator[None]:
            # uvicorn raises SIGINT or SIGTERM again once it has stopped, which ends the process at once; spr
            # returns instead, so that the scheduler and Prefect's temporary server are stopped too.
            previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
        proxy_headers=True,
        timeout_keep_alive=30,
    )
    Server(config).run()
