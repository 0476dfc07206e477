"""The console's staff: their accounts, sessions, one-time password links, login attempts, and which rounds
each may see. Participants are not staff: they never log in (their personal links are their identity)."""

from datetime import datetime

from sqlmodel import Field, Index, SQLModel, UniqueConstraint

from review_model.tables.base import created_at_field, enum_column, timestamp_field
from review_model.vocabulary import StaffRole


class StaffAccount(SQLModel, table=True):
    """A person who logs in to the console; matched by email (stored lower-case), also at single sign-on."""

    __tablename__ = "staff_accounts"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(default="", max_length=200)
    role: StaffRole = Field(sa_column=enum_column(StaffRole))
    # Argon2id in its PHC string form; None until the person sets one (or for single sign-on only).
    password_hash: str | None = Field(default=None, max_length=200)
    password_set_at: datetime | None = timestamp_field()
    language: str = Field(default="de", max_length=2)
    last_login_at: datetime | None = timestamp_field()
    created_by: str = Field(max_length=200)
    created_at: datetime = created_at_field()


class StaffSession(SQLModel, table=True):
    """A logged-in browser. The cookie holds a random token; the store keeps its SHA-256 only, so reading the
    database opens no session, and deleting the rows logs a person out everywhere."""

    __tablename__ = "staff_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    staff_id: int = Field(foreign_key="staff_accounts.id", index=True)
    created_at: datetime = created_at_field()
    last_seen_at: datetime = created_at_field()
    address: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=200)


class StaffPasswordLink(SQLModel, table=True):
    """A one-time link to set a password (a new account, or a forgotten password); the token's SHA-256 only."""

    __tablename__ = "staff_password_links"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    staff_id: int = Field(foreign_key="staff_accounts.id", index=True)
    created_at: datetime = created_at_field()
    expires_at: datetime = created_at_field()
    used_at: datetime | None = timestamp_field()


class LoginAttempt(SQLModel, table=True):
    """One try to log in with a password, kept a day for throttling (review_model.login_throttle)."""

    __tablename__ = "staff_login_attempts"
    __table_args__ = (Index(None, "email", "at"), Index(None, "address", "at"))

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    address: str = Field(max_length=64)
    at: datetime = created_at_field()
    succeeded: bool = False


class RoundStaff(SQLModel, table=True):
    """A member of staff named for a round (its coordinators and observers), by email, so a round file can
    name people before their accounts exist; the account's role says what they may do there."""

    __tablename__ = "round_staff"
    __table_args__ = (UniqueConstraint("round_id", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="rounds.id", index=True)
    email: str = Field(max_length=254, index=True)
    created_at: datetime = created_at_field()
