"""The store's secret key: one per installation, kept with the store, never made or swapped silently.

Personal links are derived from the secret key (review_model.tokens), so a command run with another key
sends links that open nothing. The key itself never goes into the database (reading the database must open
no form); the store keeps only a fingerprint of it, an HMAC of a fixed label under the key, and every
command that makes or opens links checks the key it was given against it.
"""

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from config.settings import Settings, SettingsError, secret_key_path
from review_model.store import reading_session, session_scope
from review_model.tables import StoreKey

_FINGERPRINT_LABEL = b"spr-store-key-fingerprint"
_MIN_LENGTH = 32


def key_fingerprint(key: bytes) -> str:
    """What the store keeps of a key: an HMAC of a fixed label, which reveals nothing of the key."""
    return hmac.new(key, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()


def describe_key_location(settings: Settings) -> str:
    """Where the secret key comes from, for people; SettingsError when this store cannot have one."""
    if settings.secret_key is not None:
        return "SPR_SECRET_KEY"
    path = secret_key_path(settings)
    if path is None:
        raise SettingsError(
            "SPR_SECRET_KEY or SPR_SECRET_KEY_FILE must be set for a store that is not a SQLite file: the "
            "personal links are made with this secret key, so keep it (a long random string, e.g. from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`) and back it up with the store"
        )
    return str(path)


def store_secret_key(settings: Settings, engine: Engine) -> bytes:
    """The secret key this store's links are made with.

    SPR_SECRET_KEY, or the key file (SPR_SECRET_KEY_FILE, or beside a SQLite store's file). A key file is
    made only for a store that has no key yet; a store that has one refuses any other key with a
    SettingsError that says where its key should be.
    """
    with reading_session(engine) as session:
        recorded = session.get(StoreKey, 1)
        fingerprint = recorded.fingerprint if recorded is not None else None
    key = _configured_key(settings, may_create=fingerprint is None)
    if fingerprint is None:
        fingerprint = _record(engine, key_fingerprint(key))
    if not hmac.compare_digest(fingerprint, key_fingerprint(key)):
        where = describe_key_location(settings)
        source = "SPR_SECRET_KEY" if where == "SPR_SECRET_KEY" else f"the one in {where}"
        raise SettingsError(
            f"this store's links were made with another secret key than {source}: set SPR_SECRET_KEY_FILE to "
            "the file that holds the store's key (restore it from the store's backup). Using another key would "
            "make every link sent out open nothing."
        )
    return key


def _configured_key(settings: Settings, *, may_create: bool) -> bytes:
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    path = Path(describe_key_location(settings))
    if path.exists():
        return _read_key(path)
    if not may_create:
        raise SettingsError(
            f"this store's links were made with a secret key that is not here: {path} is missing. Restore it from "
            "the store's backup, or set SPR_SECRET_KEY_FILE to the file that holds it."
        )
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it a moment ago
        return _read_key(path)
    key = secrets.token_urlsafe(48).encode()
    with os.fdopen(descriptor, "wb") as file:
        file.write(key + b"\n")
    return key


def _read_key(path: Path) -> bytes:
    key = path.read_bytes().strip()
    if len(key) < _MIN_LENGTH:
        raise SettingsError(f"SPR_SECRET_KEY_FILE: {path} holds fewer than {_MIN_LENGTH} characters")
    return key


def _record(engine: Engine, fingerprint: str) -> str:
    """Record the store's key fingerprint; the one recorded first wins when two processes race."""
    try:
        with session_scope(engine) as session:
            session.add(StoreKey(fingerprint=fingerprint))
    except IntegrityError:
        pass
    with reading_session(engine) as session:
        recorded = session.get(StoreKey, 1)
        assert recorded is not None
        return recorded.fingerprint
