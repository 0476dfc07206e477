"""The Prefect server that spr's flows run on: the operator's (PREFECT_API_URL), or, on one machine, a local
one that `spr serve` starts as its child process, with its database in spr's data folder.

Other commands on the same machine (`spr round advance`, `spr round remind`, ...) find the local server
through a small file in the data folder that `spr serve` writes once the server answers and removes when it
stops. Without either, Prefect runs the flows on its temporary in-process API (slow to start, no UI, no
deployments); the commands then advance the round themselves.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from config.settings import Settings, spr_data_folder
from config.translations import gettext_for
from portal.prefect_probe import prefect_problem, split_credentials
from workflows.command_language import coordinator_messages

API_URL = "PREFECT_API_URL"
SERVER_FILE = "server.json"  # in the Prefect folder of the data folder: where the local server listens
# Prefect's own default port, and the one its documentation and UI links name.
DEFAULT_PORT = 4200


class PrefectUnreachable(Exception):
    """The configured Prefect server does not answer; the message says where it was looked for."""


class LocalServerFailed(Exception):
    """The local Prefect server did not start; the message says where its log is."""


@dataclass(frozen=True)
class PrefectApi:
    """Where spr's flows run: `url` of a Prefect server's API, or None for Prefect's temporary API."""

    url: str | None
    local: bool = False  # a server `spr serve` started on this machine

    @property
    def ui(self) -> str | None:
        return self.url.removesuffix("/api") if self.url else None

    def describe(self, language: str = "en") -> str:
        """Where flows run, for a sentence such as "Started the flow run … on {server}"."""
        _ = gettext_for(language, "workflows")
        if self.url is None:
            return _("Prefect's temporary local API (no server running: start one with `spr serve`)")
        if self.local:
            return _("the local Prefect server {address}").format(address=self.ui)
        return _("Prefect server {address}").format(address=self.ui)


def prefect_folder(settings: Settings) -> Path:
    """The local Prefect server's home (its database, its log, where it listens): the data folder's `prefect`."""
    return spr_data_folder(settings) / "prefect"


def answers(api_url: str, timeout: float = 2.0) -> bool:
    """Whether a Prefect API answers its health check at `api_url` (credentials in it are sent as a header)."""
    bare, authorization = split_credentials(api_url.rstrip("/"))
    return prefect_problem(bare, authorization, timeout) is None


def prefect_api(settings: Settings, meanwhile: str = "", check: bool = True) -> PrefectApi:
    """The Prefect API that spr's flows use now: PREFECT_API_URL if set (PrefectUnreachable when it does not
    answer and `check`; `meanwhile` ends the message with what can be done without it), else the local
    server `spr serve` runs, else Prefect's temporary API."""
    configured = os.environ.get(API_URL)
    if configured:
        if check and not answers(configured):
            _ = gettext_for(settings.command_language, "workflows")
            if meanwhile:
                raise PrefectUnreachable(
                    _("the Prefect server at {address} does not answer (PREFECT_API_URL); {meanwhile}").format(
                        address=configured, meanwhile=meanwhile
                    )
                )
            raise PrefectUnreachable(
                _("the Prefect server at {address} does not answer (PREFECT_API_URL)").format(address=configured)
            )
        return PrefectApi(configured)
    running = _recorded_server(prefect_folder(settings))
    return PrefectApi(running, local=True) if running else PrefectApi(None)


@contextmanager
def using(api: PrefectApi) -> Iterator[PrefectApi]:
    """Run the flows inside the block on `api` (Prefect reads its settings once, at import, so they are
    overridden here for the block rather than in the environment)."""
    if api.url is None:
        with flow_heartbeats_off():
            yield api
        return
    previous = os.environ.get(API_URL)
    os.environ[API_URL] = api.url  # for child processes (the flow runs a worker starts), and a first import
    from prefect.settings import PREFECT_API_URL, temporary_settings

    try:
        with temporary_settings(updates={PREFECT_API_URL: api.url}):
            yield api
    finally:
        if previous is None:
            os.environ.pop(API_URL, None)
        else:
            os.environ[API_URL] = previous


@contextmanager
def flow_heartbeats_off() -> Iterator[None]:
    """Flow runs inside the block send Prefect no heartbeats. Prefect sends one every 180 s by default, so
    that a server can mark a run whose process died as crashed; on the temporary in-process API nothing
    outlives the process to do that, and ending each run waits up to a second for the heartbeat thread (it
    sleeps in whole seconds): `spr demo` spent 15 of its 64 s there."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def _recorded_server(folder: Path) -> str | None:
    try:
        recorded = json.loads((folder / SERVER_FILE).read_text(encoding="utf-8"))
        url, pid = str(recorded["url"]), int(recorded["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _alive(pid) or not answers(url, timeout=1.0):
        return None
    return url


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _free_port(preferred: int) -> int:
    """`preferred` if nothing listens there, else a port the system picks."""
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise OSError("no free port on 127.0.0.1")


def _stop_with_parent() -> None:
    """In the server's process before it starts: on Linux, have the kernel send it SIGTERM when spr ends in
    any way (SIGKILL, a crash, the terminal closed), so no server is left running on its own."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class LocalPrefectServer:
    """`prefect server start` as a child process on loopback, its database and log in `folder`.

    Use as a context manager: entering starts it and waits until it answers (its address recorded for the
    other commands); leaving stops it (SIGTERM, then SIGKILL after `stop_seconds`) and removes the record.
    """

    def __init__(self, folder: Path, port: int = DEFAULT_PORT, start_seconds: float = 90, stop_seconds: float = 15):
        self.folder, self.start_seconds, self.stop_seconds = folder, start_seconds, stop_seconds
        self.port = _free_port(port)
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.log = folder / "server.log"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "LocalPrefectServer":
        self.folder.mkdir(parents=True, exist_ok=True)
        environment = {
            **os.environ,
            "PREFECT_HOME": str(self.folder),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_API_HOST": "127.0.0.1",
            "PREFECT_SERVER_API_PORT": str(self.port),
            "PREFECT_UI_API_URL": self.url,
            "PREFECT_API_URL": self.url,
        }
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.folder,
                start_new_session=True,  # Ctrl+C in the terminal reaches spr, which stops the server in order
                preexec_fn=_stop_with_parent,
            )
        try:
            self._wait_until_it_answers()
        except BaseException:
            self.stop()
            raise
        record = {"url": self.url, "pid": self._process.pid}
        (self.folder / SERVER_FILE).write_text(json.dumps(record), encoding="utf-8")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._process.pid if self._process else None

    def _wait_until_it_answers(self) -> None:
        assert self._process is not None
        give_up = time.monotonic() + self.start_seconds
        _ = coordinator_messages()
        while time.monotonic() < give_up:
            if self._process.poll() is not None:
                raise LocalServerFailed(_("the local Prefect server stopped at start (exit {code}); see {log}").format(
                    code=self._process.returncode, log=self.log))  # fmt: skip
            if answers(self.url, timeout=1.0):
                return
            time.sleep(0.3)
        raise LocalServerFailed(
            _("the local Prefect server did not answer within {seconds} s; see {log}").format(
                seconds=f"{self.start_seconds:g}", log=self.log
            )
        )

    def stop(self) -> None:
        """Stop the server and everything it started (its process group); wait for it to end."""
        (self.folder / SERVER_FILE).unlink(missing_ok=True)
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, self.stop_seconds), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                return
            try:
                process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue


def drain_flow_services(timeout: float = 10.0) -> None:
    """Send what the flows run in this process still hold (their events and log lines) to the Prefect server
    while it runs. `spr serve` runs the console's actions as flows in its own process and then stops its local
    server; at exit Prefect would wait for that stopped server, and the process would not end (measured: still
    running a minute after SIGTERM)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for service in (APILogWorker, EventsWorker):
        service.drain_all(timeout=timeout)
