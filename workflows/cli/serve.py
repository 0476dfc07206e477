"""`spr serve`: the portal on uvicorn."""

from typing import Annotated

import typer

from workflows.cli.output import reported_errors


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default SPR_PORTAL_HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default SPR_PORTAL_PORT, 8000).")] = None,
) -> None:
    """Run the portal: the forms participants and reviewers open with their personal links, and /health.

    Put it behind a TLS-terminating reverse proxy for real rounds, and set SPR_PUBLIC_BASE_URL to the address
    people use.
    """
    with reported_errors():
        import uvicorn

        from config.settings import get_settings
        from portal.app import create_app
        from workflows.cli.store_access import open_store

        settings = get_settings()
        app = create_app(settings, open_store())
        uvicorn.run(
            app,
            host=host or settings.portal_host,
            port=port or settings.portal_port,
            log_level="warning",
            server_header=False,
            proxy_headers=True,
            timeout_keep_alive=30,
        )
