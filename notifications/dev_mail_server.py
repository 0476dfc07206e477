"""A development SMTP server (aiosmtpd) that keeps every message it receives.

`spr mail-server` runs it on loopback for trying spr out; the tests run the same server in-process on a
free port, and tell it to answer 4xx or 5xx for chosen recipients to exercise retries and failures.
"""

import mailbox
import re
import socket
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32, default
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from notifications.event_loops import new_event_loop

# The development server listens on loopback only, where AUTH without TLS exposes nothing.
warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS", category=UserWarning)


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as the server got it."""

    mail_from: str
    recipients: tuple[str, ...]
    data: bytes
    received_at: datetime

    @property
    def headers(self) -> Message:
        """The headers, parsed with the modern policy (addresses and encoded words decoded)."""
        return BytesHeaderParser(policy=default).parsebytes(self.data)

    @property
    def message_id(self) -> str:
        return str(self._raw_headers().get("Message-ID", ""))

    def summary(self) -> str:
        """One line for a log: time, Message-ID, sender, recipients, subject."""
        # Read with two regular expressions, not a parser: the server prints this for every message.
        head = _FOLD.sub(b" ", self.data.split(b"\r\n\r\n", 1)[0])
        found = {
            name.lower(): value.decode("ascii", "replace").strip() for name, value in _SUMMARY_HEADER.findall(head)
        }
        subject = found.get(b"subject", "")
        if "=?" in subject:
            subject = str(make_header(decode_header(subject)))
        return (
            f"{self.received_at:%H:%M:%S}  {found.get(b'message-id', '-')}  {self.mail_from} -> "
            f"{', '.join(self.recipients)}  {subject}"
        )

    def _raw_headers(self) -> Message:
        head = self.data.split(b"\r\n\r\n", 1)[0]
        return BytesHeaderParser(policy=compat32).parsebytes(head)


_FOLD = re.compile(rb"\r?\n[ \t]+")
_SUMMARY_HEADER = re.compile(rb"^(Message-ID|Subject):(.*)$", re.IGNORECASE | re.MULTILINE)


@dataclass
class FaultRule:
    """Answer `code` (with `text`) to RCPT for a recipient, `times` times (None: always)."""

    code: int
    text: str
    times: int | None = None


@dataclass
class MailCatcher:
    """The aiosmtpd handler: applies fault rules, keeps messages in memory and, if asked, in a Maildir."""

    maildir: Path | None = None
    on_message: Callable[[ReceivedMessage], None] | None = None
    keep_in_memory: bool = True
    messages: list[ReceivedMessage] = field(default_factory=list)
    faults: dict[str, FaultRule] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _box: mailbox.Maildir | None = None

    def __post_init__(self) -> None:
        if self.maildir is not None:
            self._box = open_maildir(self.maildir)

    def fail(self, recipient: str, code: int, text: str | None = None, times: int | None = None) -> None:
        """Make RCPT TO:<recipient> answer `code`, `times` times or for good."""
        default = "Requested action not taken: mailbox unavailable" if code >= 500 else "Try again later"
        with self._lock:
            self.faults[recipient.lower()] = FaultRule(code, text or default, times)

    def recover(self, recipient: str | None = None) -> None:
        """Stop failing for one recipient, or for all."""
        with self._lock:
            if recipient is None:
                self.faults.clear()
            else:
                self.faults.pop(recipient.lower(), None)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        with self._lock:
            rule = self.faults.get(address.lower())
            if rule is not None and rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    del self.faults[address.lower()]
        if rule is not None:
            return f"{rule.code} {rule.text}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = ReceivedMessage(
            mail_from=envelope.mail_from,
            recipients=tuple(envelope.rcpt_tos),
            data=bytes(envelope.original_content or envelope.content),
            received_at=datetime.now(UTC),
        )
        with self._lock:
            if self.keep_in_memory:
                self.messages.append(message)
            if self._box is not None:
                self._box.add(message.data)
        if self.on_message is not None:
            self.on_message(message)
        return "250 Message accepted for delivery"

    def received(self) -> list[ReceivedMessage]:
        """A snapshot of what has arrived so far."""
        with self._lock:
            return list(self.messages)


MAILDIR_FOLDERS = ("tmp", "new", "cur")


class NotAMaildir(NotADirectoryError):
    """The folder given for the Maildir is a file, or holds other things than a Maildir."""


def open_maildir(folder: Path) -> mailbox.Maildir:
    """The Maildir in `folder`, made first where it is missing: the folder itself (and its parents), or its
    cur, new and tmp. The stdlib makes these only when it makes the folder too, so an existing empty folder
    left every message refused. A folder holding anything else is refused rather than filled."""
    if folder.exists() and not folder.is_dir():
        raise NotAMaildir(f"{folder} is a file, not a folder for a Maildir")
    if folder.is_dir() and not any((folder / name).is_dir() for name in MAILDIR_FOLDERS) and any(folder.iterdir()):
        raise NotAMaildir(f"{folder} is neither empty nor a Maildir (with cur, new and tmp): choose another folder")
    for name in MAILDIR_FOLDERS:
        (folder / name).mkdir(mode=0o700, parents=True, exist_ok=True)
    return mailbox.Maildir(folder, create=False)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class DevMailServer:
    """The development server, running in a background thread until stopped.

    `credentials` switches on AUTH (PLAIN and LOGIN, allowed without TLS as this is loopback only);
    `tls_context` serves implicit TLS, `starttls_context` offers STARTTLS. SMTPUTF8 (non-ASCII addresses)
    is offered unless `smtputf8` is False, as some servers do.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        *,
        maildir: Path | None = None,
        on_message: Callable[[ReceivedMessage], None] | None = None,
        keep_in_memory: bool = True,
        credentials: tuple[str, str] | None = None,
        tls_context: Any = None,
        starttls_context: Any = None,
        smtputf8: bool = True,
    ):
        self.host = host
        self.port = port or free_port(host)
        self.catcher = MailCatcher(maildir=maildir, on_message=on_message, keep_in_memory=keep_in_memory)
        options: dict[str, Any] = {"data_size_limit": 50 * 1024 * 1024, "enable_SMTPUTF8": smtputf8}
        if credentials is not None:
            options.update(authenticator=_Authenticator(*credentials), auth_required=True, auth_require_tls=False)
        if starttls_context is not None:
            options.update(tls_context=starttls_context, require_starttls=True)
        self.controller = Controller(
            self.catcher, hostname=host, port=self.port, ssl_context=tls_context, loop=new_event_loop(), **options
        )

    def start(self) -> "DevMailServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> "DevMailServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Authenticator:
    def __init__(self, user: str, password: str):
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            self.user,
            self.password,
        )
        return AuthResult(success=ok, handled=False)
