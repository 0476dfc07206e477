"""The development mail server keeps what it receives in a Maildir, whatever state the folder starts in."""

import asyncio
from pathlib import Path

import aiosmtplib
import pytest

from notifications.dev_mail_server import DevMailServer
from tests.support.outgoing_mail import ENVELOPE_FROM, invitation_for


def send_one(server: DevMailServer) -> str:
    message = invitation_for(1)
    asyncio.run(aiosmtplib.send(message.payload, sender=ENVELOPE_FROM, recipients=[message.recipient_email],
                                hostname=server.host, port=server.port))  # fmt: skip
    return message.message_id


@pytest.mark.parametrize("start", ["empty folder", "missing folder", "missing parent"])
def test_a_message_lands_in_new_of_the_maildir(tmp_path: Path, start: str):
    maildir = {"empty folder": tmp_path, "missing folder": tmp_path / "mail", "missing parent": tmp_path / "a" / "b"}
    folder = maildir[start]
    with DevMailServer(maildir=folder) as server:
        message_id = send_one(server)  # raises SMTPDataError when the server cannot keep the message
    kept = list((folder / "new").iterdir())
    assert len(kept) == 1 and message_id in kept[0].read_text(encoding="utf-8")
    assert {path.name for path in folder.iterdir()} == {"cur", "new", "tmp"}


def test_a_file_in_place_of_the_maildir_is_refused_when_the_server_starts(tmp_path: Path):
    not_a_folder = tmp_path / "maildir"
    not_a_folder.write_text("", encoding="utf-8")
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        DevMailServer(maildir=not_a_folder)


def test_a_partial_maildir_is_completed_and_a_folder_of_other_things_refused(tmp_path: Path):
    (tmp_path / "partial" / "new").mkdir(parents=True)
    with DevMailServer(maildir=tmp_path / "partial") as server:
        send_one(server)
    assert len(list((tmp_path / "partial" / "new").iterdir())) == 1
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "letter.txt").write_text("Dear …", encoding="utf-8")
    with pytest.raises(NotADirectoryError, match="neither empty nor a Maildir"):
        DevMailServer(maildir=tmp_path / "documents")
    assert [path.name for path in (tmp_path / "documents").iterdir()] == ["letter.txt"]
