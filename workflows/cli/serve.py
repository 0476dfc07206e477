"""`spr serve`: the portal, and the Prefect worker that advances the rounds (on one machine, with the Prefect
server it needs); `spr deploy` and `spr worker` for running on several machines."""

import asyncio
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from workflows.cli.output import coordinator_language, fail, messages, reported_errors, success

if TYPE_CHECKING:
    from fastapi import FastAPI

    from config.settings import Settings
    from workflows.prefect_server import PrefectApi

# spr stops in order on these: the terminal's Ctrl+C, a service manager's stop, the terminal closed.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default SPR_PORTAL_HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default SPR_PORTAL_PORT, 8000).")] = None,
    worker: Annotated[
        bool,
        typer.Option(
            "--worker/--no-worker",
            help="Run the flows in this process too (default), or only the portal (for portal hosts behind a "
            "reverse proxy, with `spr worker` elsewhere).",
        ),
    ] = True,
) -> None:
    """Run the portal and advance the rounds: on one machine, everything a round needs.

    Without PREFECT_API_URL, starts a local Prefect server (its database in the data folder, its UI on
    127.0.0.1, port SPR_PREFECT_PORT), registers the deployments, and runs a worker for them:
    advance-active-rounds every SPR_ADVANCE_INTERVAL_SECONDS, advance-round after each submission and each
    coordinator action. With PREFECT_API_URL, uses that server. Put the portal behind a TLS-terminating
    reverse proxy for real rounds, and set SPR_PUBLIC_BASE_URL to the address people use. Says where
    everything is once it is ready; stops all of it on Ctrl+C, SIGTERM or SIGHUP, and when the worker ends.
    """
    with reported_errors():
        from config.settings import get_settings
        from portal.app import create_app
        from workflows.cli.store_access import open_store
        from workflows.console_actions import FlowActions
        from workflows.prefect_server import (
            API_URL,
            LocalPrefectServer,
            PrefectApi,
            drain_flow_services,
            prefect_api,
            prefect_folder,
            using,
        )

        settings = get_settings()
        engine = open_store()
        _, language = messages(), coordinator_language()
        with ExitStack() as stack:
            if worker and not os.environ.get(API_URL):
                folder = prefect_folder(settings)
                typer.echo(
                    _("Starting the local Prefect server (its database and log in {folder}) …").format(folder=folder)
                )
                server = stack.enter_context(LocalPrefectServer(folder, settings.prefect_port))
                api = PrefectApi(server.url, local=True)
            else:  # a portal host starts while Prefect is away: submissions are kept, rounds advance later
                api = prefect_api(settings, check=worker)
            stack.enter_context(using(api))
            if worker:
                _prepare_worker(settings)
            trigger = stack.enter_context(_advance_trigger(engine)) if api.url else None
            app = create_app(
                settings,
                engine,
                on_submission=trigger.submitted if trigger else None,
                prefect_api_url=api.url or "",
                console_actions=FlowActions(api, settings.time_zone),
            )
            address = f"http://{host or settings.portal_host}:{port or settings.portal_port}"
            links = str(settings.public_base_url).rstrip("/")
            prefect = (_("Prefect:   {server}, its UI there") if api.url else _("Prefect:   {server}")).format(
                server=api.describe(language)
            )
            lines = [
                _("Portal:    {address} (personal links start with {links})").format(address=address, links=links),
                _("Console:   {address} (staff log in; add them with `spr staff add EMAIL --role admin`)").format(
                    address=f"{links}/console"
                ),
                _("Health:    {address}").format(address=f"{address}/health"),
                prefect,
                _rounds_line(settings, api, worker),
            ]
            failure = _run(
                app,
                host or settings.portal_host,
                port or settings.portal_port,
                on_ready=lambda: _ready(lines),
                worker=_worker_loop(settings) if worker else None,
            )
            drain_flow_services()  # while the local Prefect server still runs
        if failure:
            fail(_("the worker stopped ({failure}), and spr serve with it; see Prefect's log").format(failure=failure))


@contextmanager
def _advance_trigger(engine: Any) -> Iterator[Any]:
    from workflows.deployments import AdvanceTrigger

    trigger = AdvanceTrigger(engine).start()
    try:
        yield trigger
    finally:
        trigger.stop()


def _prepare_worker(settings: "Settings") -> None:
    """Register the deployments, hand this process's settings to the flow runs it will start, and start one
    pass over every active round (what fell due while nothing served them)."""
    from workflows.deployments import register_deployments, start_advancing_every_round
    from workflows.worker import settings_for_flow_runs

    register_deployments(settings.advance_interval_seconds)
    os.environ.update(settings_for_flow_runs(settings))
    start_advancing_every_round("spr serve started")


def _rounds_line(settings: "Settings", api: "PrefectApi", worker: bool) -> str:
    from workflows.deployments import WORK_POOL
    from workflows.prefect_output import prefect_log_file

    _ = messages()
    log = prefect_log_file()
    logged = _("; Prefect's log in {file}").format(file=log) if log else ""
    if worker:
        return _(
            "Rounds:    a worker on pool {pool} advances every active round every {seconds} s, and a round at once "
            "after each submission and coordinator action{logged}"
        ).format(pool=WORK_POOL, seconds=f"{settings.advance_interval_seconds:g}", logged=logged)
    if api.url:
        return _("Rounds:    advanced by the workers of {server} (this process starts their runs){logged}").format(
            server=api.describe(coordinator_language()), logged=logged
        )
    return _("Rounds:    not advanced by this process (--no-worker, and no Prefect server runs)")


def _ready(lines: list[str]) -> None:
    _ = messages()
    success(_("spr serve is ready."))
    for line in lines:
        typer.echo(f"  {line}")
    typer.echo(_("Next: watch a round with `spr status ROUND`; stop serving with Ctrl+C."))


def _worker_loop(settings: "Settings") -> Callable[[], Any]:
    from workflows.deployments import WORK_POOL
    from workflows.worker import run_worker

    return lambda: run_worker(WORK_POOL, settings.worker_poll_seconds)


def _run(
    app: "FastAPI",
    host: str,
    port: int,
    on_ready: Callable[[], Any],
    worker: Callable[[], Any] | None = None,
) -> str | None:
    """Serve `app` with uvicorn and, in the same event loop, the worker; stop both on SIGINT, SIGTERM or
    SIGHUP, or when the worker ends by itself (its error is returned: a portal whose rounds no longer
    advance should not look healthy; its service manager restarts it)."""
    import uvicorn

    from workflows.worker import child_pids, stop_worker

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started:  # listening: say so, and where
                on_ready()

        @contextmanager
        def capture_signals(self) -> Iterator[None]:
            # uvicorn raises SIGINT or SIGTERM again once it has stopped, which ends the process at once; spr
            # returns instead, so that the worker and the local Prefect server are stopped in order too.
            previous = {sig: signal.signal(sig, self.handle_exit) for sig in STOP_SIGNALS}
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
    server = Server(config)

    async def everything() -> str | None:
        spare = child_pids()  # the local Prefect server: stopped in order after the worker, not killed
        running = asyncio.create_task(worker()) if worker else None
        if running is not None:
            running.add_done_callback(lambda _: setattr(server, "should_exit", True))
        try:
            await server.serve()
        finally:
            failure = await stop_worker(running, spare) if running is not None else None
        return failure

    return asyncio.run(everything())


def deploy() -> None:
    """Register the deployments on the Prefect server of PREFECT_API_URL, on the process work pool `spr`:
    advance-active-rounds every SPR_ADVANCE_INTERVAL_SECONDS, advance-round on demand. Run once per release,
    from any host with spr installed; workers load the flows from their own installed spr."""
    with reported_errors():
        from config.settings import get_settings
        from workflows.prefect_server import prefect_api, using

        settings = get_settings()
        _ = messages()
        api = prefect_api(settings, _("start it first"))
        if api.url is None:
            fail(_("no Prefect server to deploy to: set PREFECT_API_URL (or start `spr serve`, which deploys itself)"))
        with using(api):
            from workflows.deployments import WORK_POOL, register_deployments

            names = register_deployments(settings.advance_interval_seconds)
        success(
            _("Deployed on {server}, work pool {pool}: {deployments}.").format(
                server=api.describe(coordinator_language()), pool=WORK_POOL, deployments=", ".join(names)
            )
        )
        typer.echo(
            _("Next: start workers with `spr worker` (or `prefect worker start --pool {pool}`).").format(pool=WORK_POOL)
        )


def worker(
    name: Annotated[str | None, typer.Option(help="The worker's name in the Prefect UI (default: generated).")] = None,
) -> None:
    """Run a worker for spr's work pool: it starts the flow runs of the deployments on this host. Needs
    PREFECT_API_URL (or a local `spr serve`), the shared store (SPR_DATABASE_URL) and its secret key
    (SPR_SECRET_KEY or SPR_SECRET_KEY_FILE). Stops on the first SIGTERM or Ctrl+C, within 20 s."""
    with reported_errors():
        from config.settings import get_settings
        from workflows.prefect_server import PrefectApi, PrefectUnreachable, prefect_api, using
        from workflows.worker import worker_refusals

        settings = get_settings()
        _, language = messages(), coordinator_language()
        reasons = worker_refusals(settings, os.environ)
        try:
            api = prefect_api(settings)
        except PrefectUnreachable as unreachable:
            api = PrefectApi(None)
            reasons.append(str(unreachable))
        else:
            if api.url is None:
                reasons.append(_("no Prefect server: set PREFECT_API_URL to the server the deployments are on"))
        if reasons:
            fail(_("the worker cannot start:") + "".join(f"\n  - {reason}" for reason in reasons))
        from workflows.deployments import WORK_POOL, served
        from workflows.worker import run_worker, settings_for_flow_runs

        with using(api):
            if not served(api).deployed:
                fail(_("nothing is deployed on {server}: run `spr deploy` first").format(server=api.describe(language)))
            os.environ.update(settings_for_flow_runs(settings))
            success(
                _("Worker on pool {pool} of {server}; stop it with Ctrl+C or SIGTERM.").format(
                    pool=WORK_POOL, server=api.describe(language)
                )
            )
            failure = _run_until_signalled(lambda: run_worker(WORK_POOL, settings.worker_poll_seconds, name))
        if failure:
            fail(_("the worker stopped: {failure}").format(failure=failure))
        typer.echo(_("Worker stopped."))


def _run_until_signalled(start: Callable[[], Any]) -> str | None:
    """Run the worker `start()` until a stop signal, then stop it within about 20 s; returns the error it
    ended with by itself, if it did."""
    from workflows.worker import child_pids, stop_worker

    async def until_signalled() -> str | None:
        spare = child_pids()
        loop = asyncio.get_running_loop()
        running = asyncio.ensure_future(start())
        stopping = asyncio.Event()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, stopping.set)
        running.add_done_callback(lambda _: stopping.set())
        await stopping.wait()
        return await stop_worker(running, spare)

    return asyncio.run(until_signalled())
