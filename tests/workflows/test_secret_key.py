"""The secret key belongs to the store: commands run from any folder make the same links, and no command makes
or uses a second key silently."""

import email
import email.policy
import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from config.settings import SettingsError, get_settings
from notifications.dev_mail_server import DevMailServer
from portal.app import create_app
from review_model import clock
from review_model.store import make_engine
from review_model.store_key import store_secret_key
from tests.support.round_world import PEOPLE, write_round_file
from workflows.cli import app

runner = CliRunner()
_LINK = re.compile(r"https?://testserver(/a/[A-Za-z0-9_-]{43})")


def spr(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def key_file_for(database_url: str, tmp_path: Path) -> Path:
    """Where the store's key is kept: beside a SQLite file; for PostgreSQL, the file `configured` names."""
    if database_url.startswith("sqlite"):
        store = Path(database_url.removeprefix("sqlite:///"))
        return store.with_name(store.name + ".key")
    return tmp_path / "store.key"


def links(mail: DevMailServer) -> dict[str, set[str]]:
    """The form links each person received."""
    found: dict[str, set[str]] = {}
    for message in mail.catcher.received():
        text = email.message_from_bytes(message.data, policy=email.policy.default).get_body(("plain",)).get_content()
        found.setdefault(message.recipients[0], set()).update(_LINK.findall(text))
    return found


def test_commands_run_from_two_folders_send_links_that_open_the_same_form(
    prefect_harness, configured, tmp_path, monkeypatch
):
    key_file = key_file_for(configured, tmp_path)
    first, second, third = (tmp_path / name for name in ("one", "two", "three"))
    for folder in (first, second, third):
        folder.mkdir()
    today = clock.now().date()
    round_file = write_round_file(tmp_path, *[(today + timedelta(days=n)).isoformat() for n in (14, 28, 42)])
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    with DevMailServer() as mail:
        monkeypatch.setenv("SPR_SMTP_PORT", str(mail.port))
        monkeypatch.setenv("SPR_PUBLIC_BASE_URL", "http://testserver")
        monkeypatch.chdir(first)
        get_settings.cache_clear()
        upgraded = spr("db", "upgrade")
        assert upgraded.exit_code == 0, upgraded.output
        assert f"Its secret key is in {key_file}: keep it, and back it up with the store" in upgraded.output
        assert key_file.exists()
        assert spr("round", "create", str(round_file)).exit_code == 0
        assert spr("participants", "import", "fruehjahr-2027", str(tmp_path / "people.csv")).exit_code == 0
        launched = spr("round", "launch", "fruehjahr-2027")
        assert launched.exit_code == 0, launched.output

        monkeypatch.chdir(second)
        get_settings.cache_clear()
        reminded = spr("round", "remind", "fruehjahr-2027")
        assert reminded.exit_code == 0, reminded.output
        assert "4 reminder(s) queued for respondents" in reminded.output and "submission · 4 sent" in reminded.output
        received = links(mail)

    assert len(received) == 4
    for sent in received.values():
        assert len(sent) == 1  # the invitation (made in one folder) and the reminder (in another) carry one link
    monkeypatch.chdir(third)
    get_settings.cache_clear()
    engine = make_engine(configured)
    with TestClient(create_app(get_settings(), engine)) as portal:
        for (path,) in received.values():
            assert portal.get(path).status_code == 200
    engine.dispose()
    # No key left behind (Prefect's log file, which the first command run in a process places, may be there).
    assert [
        p.name for p in (*first.iterdir(), *second.iterdir(), *third.iterdir()) if p.name != "spr-prefect.log"
    ] == []


def test_a_command_with_another_key_than_the_stores_is_refused_and_none_is_made(configured, tmp_path, monkeypatch):
    key_file = key_file_for(configured, tmp_path)
    assert spr("db", "upgrade").exit_code == 0
    kept = key_file.read_bytes()

    monkeypatch.setenv("SPR_SECRET_KEY", "another-secret-that-is-long-enough-0123456789")
    get_settings.cache_clear()
    refused = spr("db", "upgrade")
    assert refused.exit_code == 1
    assert "this store's links were made with another secret key than SPR_SECRET_KEY" in refused.output
    assert "set SPR_SECRET_KEY_FILE to the file that holds the store's key" in refused.output

    monkeypatch.delenv("SPR_SECRET_KEY")
    key_file.rename(tmp_path / "moved.key")
    get_settings.cache_clear()
    missing = spr("db", "upgrade")
    assert missing.exit_code == 1
    assert f"{key_file} is missing" in missing.output
    assert not key_file.exists()  # no second key made in its place

    monkeypatch.setenv("SPR_SECRET_KEY_FILE", str(tmp_path / "moved.key"))
    get_settings.cache_clear()
    assert spr("db", "upgrade").exit_code == 0
    engine = make_engine(configured)
    assert store_secret_key(get_settings(), engine) == kept.strip()  # what the portal signs with
    create_app(get_settings(), engine)
    monkeypatch.setenv("SPR_SECRET_KEY", "another-secret-that-is-long-enough-0123456789")
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match="another secret key"):
        create_app(get_settings(), engine)  # the portal is refused too
    engine.dispose()


def test_a_postgresql_store_without_a_secret_key_is_refused(configured, monkeypatch):
    if not configured.startswith("postgresql"):
        pytest.skip("a SQLite store keeps its key beside its file")
    monkeypatch.delenv("SPR_SECRET_KEY_FILE")
    get_settings.cache_clear()
    refused = spr("db", "upgrade")
    assert refused.exit_code == 1
    assert "SPR_SECRET_KEY or SPR_SECRET_KEY_FILE must be set" in refused.output
    engine = make_engine(configured)
    with pytest.raises(SettingsError, match="SPR_SECRET_KEY or SPR_SECRET_KEY_FILE"):
        create_app(get_settings(), engine)
    engine.dispose()
