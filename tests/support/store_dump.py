"""The whole store as text, to search for what must not be in it: every row of every table, each message's
headers and text parts decoded (they are stored base64-encoded, where a plain dump would hide a name)."""

import json
from email import message_from_bytes, policy

from sqlalchemy.engine import Engine

from review_model.tables.base import metadata


def store_dump(engine: Engine) -> str:
    """Every value in the store, one line per row, bytes decoded as text and as an email message."""
    lines: list[str] = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(table.select()):
                lines.append(f"{table.name}: " + " | ".join(_text(value) for value in row))
    return "\n".join(lines)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace") + " " + _message_text(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _message_text(payload: bytes) -> str:
    if b"MIME-Version:" not in payload[:4000]:
        return ""
    parsed = message_from_bytes(payload, policy=policy.default)
    texts = [f"{name}: {value}" for name, value in parsed.items()]
    texts += [str(part.get_content()) for part in parsed.walk() if part.get_content_maintype() == "text"]
    return " ".join(texts)


def mentions(dump: str, *needles: str) -> list[str]:
    """The lines of the dump that hold any of `needles`, case-insensitively."""
    wanted = [needle.casefold() for needle in needles]
    return [line[:300] for line in dump.splitlines() if any(needle in line.casefold() for needle in wanted)]
