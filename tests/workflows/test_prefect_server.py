"""The round on a real Prefect server: deployments registered by `spr deploy`, a `spr worker`, a portal that
starts the round's next step after a submission; and what a worker or a command does when something is
missing."""

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from config.settings import Settings, get_settings
from notifications.dev_mail_server import free_port
from review_model.tables import AuditEvent, ReviewAssignment, Round
from review_model.vocabulary import Stage
from tests.support.answers import SELF_ASSESSMENT, csrf_of
from tests.support.commands import assert_quiet, environment, spr, wait_for
from tests.support.messages import text_of
from tests.support.round_world import SECRET
from workflows.cli import app
from workflows.prefect_server import LocalPrefectServer
from workflows.worker import settings_for_flow_runs, worker_refusals

runner = CliRunner()
PORTAL_LINK = re.compile(r"http://127\.0\.0\.1:\d+(/a/[A-Za-z0-9_-]{43})")


def submit_over_http(portal: httpx.Client, path: str) -> None:
    page = portal.get(path).text
    csrf = csrf_of(page)
    response = portal.post(path, data={"csrf": csrf, "action": "submit", **SELF_ASSESSMENT})
    assert response.status_code == 303, re.findall(r"class=\"(?:error|errors)[^>]*>([^<]+)", response.text)


def _healthy(portal: httpx.Client) -> bool:
    try:
        return portal.get("/health").status_code == 200
    except httpx.TransportError:
        return False


# Several machines in one: a Prefect server, `spr deploy`, a worker and a portal host, on the store they
# would share (PostgreSQL). About orchestration, not the store: once.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_submission_through_the_portal_advances_the_round_on_the_worker_at_once(round_world, configured, tmp_path):
    world, port = round_world, free_port()
    with LocalPrefectServer(tmp_path / "prefect-server", port=free_port()) as server:
        env = environment(
            PREFECT_API_URL=server.url, SPR_SECRET_KEY=SECRET, SPR_SMTP_PORT=str(world.mail.port),
            SPR_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", SPR_ADVANCE_INTERVAL_SECONDS="3600",
            SPR_WORKER_POLL_SECONDS="1",
        )  # fmt: skip
        deployed = spr("deploy", cwd=tmp_path, env=env)
        assert deployed.returncode == 0, deployed.stderr
        assert_quiet(deployed.stdout)
        assert "advance-active-rounds/advance-active-rounds, advance-round/advance-round" in deployed.stdout

        hosts = tmp_path / "worker-host", tmp_path / "portal-host"
        for folder in hosts:
            folder.mkdir()
        worker = subprocess.Popen(
            [sys.executable, "-m", "workflows.cli", "worker", "--name", "host-a"],
            cwd=hosts[0], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        portal_host = subprocess.Popen(
            [sys.executable, "-m", "workflows.cli", "serve", "--no-worker", "--port", str(port)],
            cwd=hosts[1], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as portal:
                wait_for(lambda: _healthy(portal) or portal_host.poll() is not None, "the portal", 120)
                assert portal_host.poll() is None, portal_host.communicate()
                launched = spr("round", "launch", "fruehjahr-2027", cwd=tmp_path, env=env)
                assert launched.returncode == 0, launched.stderr
                assert "4 invitations queued · 4 sent" in launched.stdout
                for invitation in world.received():
                    submit_over_http(portal, PORTAL_LINK.search(text_of(invitation)).group(1))
                submitted = time.monotonic()
                wait_for(lambda: _stage(world) is Stage.assignment and _proposed(world), "the next step", 60)
                took = time.monotonic() - submitted
                health = portal.get("/health").json()
                wait_for(lambda: any(_after_submission(name) for name, _ in _flow_runs(server.url)), "its name", 60)
        finally:
            worker.send_signal(signal.SIGTERM)
            stopping = time.monotonic()
            worker_out, worker_err = worker.communicate(timeout=60)
            stopped_within = time.monotonic() - stopping
            portal_host.send_signal(signal.SIGTERM)
            _, portal_err = portal_host.communicate(timeout=60)
        runs = _flow_runs(server.url)
    # Without waiting for the interval (an hour here): the portal started advance-round, a worker ran it. Seconds,
    # not the hour: about 5 s on a quiet machine, 16 s once on a loaded one, so the bound is far from both.
    assert took < 60, f"{took:.1f} s from the last submission to the reviewers' proposal"
    assert worker.returncode == 0 and stopped_within < 25, worker_err
    assert_quiet(worker_out)
    assert "Worker on pool spr" in worker_out and worker_out.splitlines()[-1] == "Worker stopped."
    assert portal_host.returncode == 0 and portal_err == "", portal_err
    assert health["prefect"]["status"] == "ok"
    # The round's history on the server, every run tagged with the round, named for what it did.
    tagged = {name: tags for name, tags in runs if "round:fruehjahr-2027" in tags}
    assert any(name.startswith("Round fruehjahr-2027 · launched · invitation → submission") for name in tagged)
    assert any(_after_submission(name) for name in tagged), sorted(tagged)
    with Session(world.engine) as session:
        events = [event.action for event in session.exec(select(AuditEvent)).all()]
    assert events.count("assignment proposed") == 1


def _after_submission(name: str) -> bool:
    return name.startswith("Round fruehjahr-2027 · submission → assignment") and name.endswith("(after a submission)")


def _stage(world) -> Stage:
    with Session(world.engine) as session:
        return session.get(Round, world.round_id).stage


def _proposed(world) -> bool:
    with Session(world.engine) as session:
        return session.exec(select(ReviewAssignment.id)).first() is not None


def _flow_runs(api_url: str) -> list[tuple[str, list[str]]]:
    runs = httpx.post(f"{api_url}/flow_runs/filter", json={"limit": 200}, timeout=10).json()
    return [(run["name"], run["tags"]) for run in runs]


def test_a_worker_refuses_to_start_without_the_shared_store_and_its_key(tmp_path, monkeypatch):
    """Started in a bare folder, a worker would make an empty spr.db and a new key there, and send links
    nobody can open: it says what is missing instead, and makes nothing."""
    for name in ("SPR_DATABASE_URL", "SPR_SECRET_KEY", "SPR_SECRET_KEY_FILE", "PREFECT_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    refused = runner.invoke(app, ["worker"])
    get_settings.cache_clear()
    assert refused.exit_code == 1
    assert "no store configured: set SPR_DATABASE_URL" in refused.output
    assert "no secret key configured" in refused.output and "no Prefect server" in refused.output
    assert list(tmp_path.iterdir()) == []

    missing = Settings(database_url=f"sqlite:///{tmp_path / 'elsewhere.db'}")
    reasons = worker_refusals(missing, {"SPR_DATABASE_URL": missing.database_url})
    assert any("does not exist" in reason for reason in reasons)
    assert worker_refusals(Settings(database_url="postgresql+psycopg://db/spr", secret_key=SECRET), {}) == []


def test_flow_runs_in_any_folder_get_this_hosts_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings(database_url="sqlite:///spr.db", smtp_port=2525, smtp_password="pw")
    exported = settings_for_flow_runs(settings)
    assert exported["SPR_DATABASE_URL"] == f"sqlite:///{tmp_path / 'spr.db'}"
    assert exported["SPR_SECRET_KEY_FILE"] == str(tmp_path / "spr.db.key")
    assert exported["SPR_SMTP_PORT"] == "2525" and exported["SPR_SMTP_PASSWORD"] == "pw"


def test_an_unreachable_prefect_server_is_one_line_and_direct_runs_without_it(round_world, configured, monkeypatch):
    from tests.support.commands import configure

    configure(monkeypatch, round_world)
    closed = f"http://127.0.0.1:{free_port()}/api"
    monkeypatch.setenv("PREFECT_API_URL", closed)
    unreachable = runner.invoke(app, ["round", "advance", "fruehjahr-2027"])
    assert unreachable.exit_code == 1
    assert unreachable.output == (
        f"Error: the Prefect server at {closed} does not answer (PREFECT_API_URL); start it, or run the round "
        "driver without Prefect: `spr round advance ROUND --direct`\n"
    )
    direct = runner.invoke(app, ["round", "advance", "fruehjahr-2027", "--direct"], catch_exceptions=False)
    assert direct.exit_code == 0 and "Round fruehjahr-2027: draft · nothing due." in direct.output


def test_the_local_server_is_found_by_the_commands_only_while_it_runs(tmp_path, monkeypatch):
    from workflows.prefect_server import prefect_api

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'spr.db'}")
    folder = tmp_path / "prefect"
    folder.mkdir()
    (folder / "server.json").write_text(json.dumps({"url": "http://127.0.0.1:9/api", "pid": 2**22 + 1}))
    assert prefect_api(settings).url is None  # a record left by a server that is gone
    assert Path(folder / "server.json").exists()


def test_submissions_start_the_advance_on_the_server_in_use_from_their_own_thread(monkeypatch):
    """The portal's trigger runs in a thread of its own, yet on the Prefect server `spr serve` chose (whose
    address lives in Prefect's context, not in the thread's)."""
    import threading

    from prefect.settings import PREFECT_API_URL

    from workflows import deployments
    from workflows.prefect_server import PrefectApi, using

    started, done = [], threading.Event()

    def start_advance(round_id: int, round_slug: str, after: str) -> str:
        started.append((round_id, round_slug, after, PREFECT_API_URL.value()))
        done.set()
        return "run"

    monkeypatch.setattr(deployments, "start_advance", start_advance)
    monkeypatch.setattr(deployments.AdvanceTrigger, "_slug", lambda self, round_id: f"round-{round_id}")
    with using(PrefectApi("http://127.0.0.1:9/api", local=True)):
        trigger = deployments.AdvanceTrigger(engine=None, coalesce=0.05).start()
    for _ in range(3):  # a burst: one run
        trigger.submitted(7)
    assert done.wait(10)
    trigger.stop()
    assert started == [(7, "round-7", "a submission", "http://127.0.0.1:9/api")]


def test_a_running_local_server_is_found_through_its_record(tmp_path, monkeypatch):
    """What `spr serve` records is what the other commands use, as long as its process lives and answers."""
    import os
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from workflows.prefect_server import prefect_api

    class Healthy(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/api/health" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'spr.db'}")
    (tmp_path / "prefect").mkdir()
    with ThreadingHTTPServer(("127.0.0.1", 0), Healthy) as fake:
        threading.Thread(target=fake.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{fake.server_address[1]}/api"
        (tmp_path / "prefect" / "server.json").write_text(json.dumps({"url": url, "pid": os.getpid()}))
        found = prefect_api(settings)
        fake.shutdown()
    assert (found.url, found.local) == (url, True)
    assert prefect_api(settings).url is None  # no longer answers: Prefect's temporary API instead


def test_a_stopping_worker_ends_flow_runs_that_outlast_the_stop_time(monkeypatch):
    """Prefect answers a cancelled worker by sending its flow runs SIGTERM and waiting for them, however long;
    spr waits STOP_SECONDS, then kills them, so a worker stops in bounded time."""
    import asyncio

    from workflows import worker

    monkeypatch.setattr(worker, "STOP_SECONDS", 0.5)
    children = []

    async def like_prefects_worker() -> None:
        stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
        child = await asyncio.create_subprocess_exec(sys.executable, "-c", stubborn)
        children.append(child)
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            await asyncio.shield(child.wait())
            raise

    async def start_and_stop() -> str | None:
        spare = worker.child_pids()  # this test's other children (a Prefect server, a browser) are left alone
        running = asyncio.ensure_future(like_prefects_worker())
        await asyncio.sleep(0.5)
        return await worker.stop_worker(running, spare)

    began = time.monotonic()
    assert asyncio.run(start_and_stop()) is None
    assert time.monotonic() - began < 8
    assert children[0].returncode == -signal.SIGKILL


def test_a_worker_that_fails_by_itself_says_why(monkeypatch):
    import asyncio

    from workflows import worker

    async def failing() -> None:
        raise RuntimeError("the work pool spr was deleted")

    async def run() -> str | None:
        running = asyncio.ensure_future(failing())
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return await worker.stop_worker(running)

    assert asyncio.run(run()) == "RuntimeError: the work pool spr was deleted"


def test_an_interval_pass_leaves_a_round_another_run_is_advancing(
    prefect_harness, round_world, configured, monkeypatch
):
    from tests.support.commands import configure
    from workflows.flows import _one_at_a_time, advance_round_flow

    configure(monkeypatch, round_world)
    with _one_at_a_time(f"round-{round_world.round_id}"):  # another run holds the round
        assert advance_round_flow(round_world.round_id, "fruehjahr-2027", "the interval", wait_seconds=1) is None
    report = advance_round_flow(round_world.round_id, "fruehjahr-2027", "the interval", wait_seconds=1)
    assert report is not None and report.summary() == "draft · nothing due"
