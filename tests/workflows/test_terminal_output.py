"""What a coordinator's terminal shows: spr's own output, ending with what comes next; Prefect's log goes to a
file. The commands run as separate processes, as an operator runs them, so Prefect configures itself as it
does there (in the test process it is already configured)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from notifications.dev_mail_server import free_port
from review_model.vocabulary import StaffRole
from tests.support.commands import assert_quiet, environment, spr, wait_for
from tests.support.round_world import COORDINATOR, SECRET
from tests.support.staff import console_post, log_in, staff_member


def completed_flow_runs(log: Path) -> int:
    return (
        log.read_text(encoding="utf-8").count("Flow run 'Round fruehjahr-2027 · advance' - Finished")
        if log.exists()
        else 0
    )


# About what the terminal shows, not the store: once, on SQLite (it costs 20 s a database).
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_launch_advance_and_serve_show_spr_output_alone_and_what_comes_next(
    prefect_harness, round_world, configured, tmp_path
):
    from prefect.settings import PREFECT_API_URL

    staff_member(round_world.engine, COORDINATOR, StaffRole.coordinator)  # the round file names them for it
    env = environment(
        SPR_SECRET_KEY=SECRET, SPR_SMTP_PORT=str(round_world.mail.port), SPR_PUBLIC_BASE_URL="http://testserver",
        PREFECT_API_URL=PREFECT_API_URL.value(),
    )  # fmt: skip
    log = tmp_path / "spr-prefect.log"

    launched = spr("round", "launch", "fruehjahr-2027", cwd=tmp_path, env=env)
    assert launched.returncode == 0, launched.stderr
    assert launched.stderr == ""
    assert_quiet(launched.stdout)
    assert "✓ Round fruehjahr-2027 launched: invitation → submission · 4 invitations queued" in launched.stdout
    assert launched.stdout.splitlines()[-1].startswith("Next: keep `spr serve` running")
    assert "Flow run 'Round fruehjahr-2027 · launch' - Finished in state Completed()" in log.read_text("utf-8")

    advanced = spr("round", "advance", "fruehjahr-2027", cwd=tmp_path, env=env)
    assert advanced.returncode == 0, advanced.stderr
    assert advanced.stderr == ""
    assert_quiet(advanced.stdout)
    assert (
        advanced.stdout.splitlines()[-1]
        == "Next: keep `spr serve` running; watch the round with `spr status fruehjahr-2027`."
    )

    # spr serve without PREFECT_API_URL: its own local Prefect server, a worker, and one pass over every round
    # at once; SIGTERM stops all of it and leaves no process behind.
    port, runs, data = free_port(), completed_flow_runs(log), tmp_path / "data"
    alone = {key: value for key, value in env.items() if key != "PREFECT_API_URL"}
    alone |= {"SPR_DATA_DIR": str(data), "SPR_PREFECT_PORT": str(free_port())}
    serving = subprocess.Popen(
        [sys.executable, "-m", "workflows.cli", "serve", "--port", str(port)], cwd=tmp_path, env=alone,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: _healthy(port) or serving.poll() is not None, "the portal")
        server = json.loads((data / "prefect" / "server.json").read_text("utf-8"))
        wait_for(lambda: completed_flow_runs(log) > runs or serving.poll() is not None, "the first pass")
        assert serving.poll() is None
        # A console action is a flow run in spr serve's own process: SIGTERM must still stop it at once (it
        # waited minutes for its stopped local Prefect server to take the flow run's events).
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as browser:
            browser.get("/console/login?lang=en")
            assert log_in(browser, COORDINATOR).status_code == 303
            answer = console_post(browser, "/console/rounds/fruehjahr-2027/remind")
            assert answer.status_code == 303
            assert "reminders queued" in browser.get("/console/rounds/fruehjahr-2027").text
    finally:
        serving.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        out, err = serving.communicate(timeout=120)
    assert time.monotonic() - stopping < 30
    assert serving.returncode == 0, err
    assert err == ""
    assert_quiet(out)
    assert "✓ spr serve is ready." in out
    assert f"Portal:    http://127.0.0.1:{port} (personal links start with http://testserver)" in out
    assert "Console:   http://testserver/console (staff log in; add them with `spr staff add EMAIL" in out
    assert f"Prefect:   the local Prefect server {server['url'].removesuffix('/api')}, its UI there" in out
    assert "a worker on pool spr advances every active round every 300 s" in out and f"Prefect's log in {log}" in out
    assert out.splitlines()[-1].startswith("Next: watch a round with `spr status ROUND`")
    assert not (data / "prefect" / "server.json").exists()
    with pytest.raises(ProcessLookupError):  # the local Prefect server stopped with spr serve
        os.kill(server["pid"], 0)


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_a_drivers_summary_counts_one_in_the_singular():
    from review_model.vocabulary import Stage
    from workflows.round_driver import AdvanceReport

    one = AdvanceReport("r", Stage.submission, Stage.submission, reminders=1, stage_messages=1)
    assert one.summary() == "submission · 1 reminder queued · 1 stage message queued"
    many = AdvanceReport("r", Stage.review, Stage.review, reminders=2, findings=3)
    assert many.summary() == "review · 2 reminders queued · 3 findings consolidated"
