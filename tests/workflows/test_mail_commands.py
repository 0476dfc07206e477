"""`spr mail-server` and `spr outbox`, run as an operator would."""

import os
import signal
import subprocess
import sys
import time

import aiosmtplib
from sqlmodel import Session
from typer.testing import CliRunner

from notifications.dev_mail_server import DevMailServer, free_port
from notifications.outbox import enqueue_messages
from review_model import clock
from review_model.store import make_engine
from tests.support.outgoing_mail import ENVELOPE_FROM, invitation_for
from workflows.cli import app

runner = CliRunner()


def spr(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_outbox_commands_show_failures_and_send_them_again(configured, monkeypatch):
    engine = make_engine(configured)
    assert spr("db", "upgrade").exit_code == 0
    with Session(engine) as session:
        enqueue_messages(session, [invitation_for(n) for n in range(6)], clock.now())
        session.commit()
    with DevMailServer() as server:
        monkeypatch.setenv("SPR_SMTP_PORT", str(server.port))
        monkeypatch.setenv("SPR_MAIL_FROM", ENVELOPE_FROM)
        from config.settings import get_settings

        get_settings.cache_clear()
        for number in (1, 3, 4):
            server.catcher.fail(f"person{number}@stadt.example", 550, "5.1.1 Unknown user")

        delivered = spr("outbox", "deliver")
        assert delivered.exit_code == 1
        assert "3 sent, 0 to retry later, 3 failed" in delivered.output

        status = spr("outbox", "status")
        assert status.exit_code == 0
        assert "failed" in status.output and "person1@stadt.example" in status.output
        assert "550 5.1.1 Unknown user" in status.output and "person4@stadt.example" in status.output
        assert "person3@stadt.example" in status.output and status.output.count("550 5.1.1 Unknown user") == 3

        server.catcher.recover()
        missing = spr("outbox", "retry", "--message", "999")
        assert missing.exit_code == 1 and "no failed message with id 999" in missing.output
        retried = spr("outbox", "retry")
        assert retried.exit_code == 0 and "Queued 3 failed message(s) again" in retried.output
        again = spr("outbox", "deliver")
        assert again.exit_code == 0 and "3 sent" in again.output
        assert len(server.catcher.received()) == 6
    engine.dispose()


def test_the_mail_server_command_keeps_messages_and_prints_a_line_each(tmp_path):
    port = free_port()
    maildir = tmp_path / "maildir"
    maildir.mkdir()  # an existing empty folder becomes a Maildir
    process = subprocess.Popen(
        [sys.executable, "-m", "workflows.cli", "mail-server", "--port", str(port), "--maildir", str(maildir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        _wait_for_port(port)
        message = invitation_for(1)
        import asyncio

        asyncio.run(
            aiosmtplib.send(
                message.payload,
                sender=ENVELOPE_FROM,
                recipients=[message.recipient_email],
                hostname="127.0.0.1",
                port=port,
            )
        )
        line = process.stdout.readline()
        assert message.message_id in line and "person1@stadt.example" in line
        assert "Einladung zur Selbsteinschätzung" in line
        assert len(list((maildir / "new").iterdir())) == 1
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    assert process.returncode == 0


def test_the_mail_server_command_refuses_a_file_as_its_maildir(tmp_path, monkeypatch):
    def ctrl_c(_seconds: float) -> None:  # a server that started after all stops at once instead of serving
        raise KeyboardInterrupt

    monkeypatch.setattr("workflows.cli.mail.time.sleep", ctrl_c)
    (tmp_path / "maildir").write_text("", encoding="utf-8")
    result = runner.invoke(app, ["mail-server", "--port", str(free_port()), "--maildir", str(tmp_path / "maildir")])
    assert result.exit_code == 2 and "--maildir" in result.output and "is a file, not a folder" in result.output


def test_the_mail_server_command_says_in_one_line_that_its_port_is_taken(tmp_path, monkeypatch):
    def ctrl_c(_seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("workflows.cli.mail.time.sleep", ctrl_c)
    with DevMailServer() as running:  # another mail server, still running on the port
        result = runner.invoke(app, ["mail-server", "--port", str(running.port), "--no-maildir"])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for --port: 127.0.0.1:{running.port} cannot be listened on" in result.output
    assert "address already in use" in result.output and "Traceback" not in result.output


def _wait_for_port(port: int) -> None:
    import socket

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


def test_outbox_status_says_why_a_non_ascii_address_could_not_be_sent(configured, monkeypatch):
    from tests.support.outgoing_mail import invitation_to

    engine = make_engine(configured)
    assert spr("db", "upgrade").exit_code == 0
    with Session(engine) as session:
        enqueue_messages(session, [invitation_to("müller@stadt.example"), invitation_for(1)], clock.now())
        session.commit()
    with DevMailServer(smtputf8=False) as server:
        monkeypatch.setenv("SPR_SMTP_PORT", str(server.port))
        monkeypatch.setenv("SPR_MAIL_FROM", ENVELOPE_FROM)
        monkeypatch.setenv("COLUMNS", "250")  # the reason on one line
        from config.settings import get_settings

        get_settings.cache_clear()
        assert "1 sent, 0 to retry later, 1 failed" in spr("outbox", "deliver").output
    status = spr("outbox", "status").output
    assert "the mail server does not accept non-ASCII addresses (no SMTPUTF8): müller@stadt.example" in status
    engine.dispose()
