"""Runtime settings, read from SPR_* environment variables and an optional .env file."""

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AnyHttpUrl, EmailStr, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

ENV_PREFIX = "SPR_"
_SECRET_FIELDS = {"secret_key", "smtp_password", "oidc_client_secret"}


class SettingsError(Exception):
    """Settings that cannot be used; the message names each variable and what is wrong with it."""


class Settings(BaseSettings):
    """Everything an operator can configure. Defaults run a complete round on one machine."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(
        default="sqlite:///spr.db",
        description="SQLAlchemy URL of the store; the default is a SQLite file in the working directory.",
    )
    public_base_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("http://127.0.0.1:8000"),
        description="Address of the portal as participants reach it; personal links start with it.",
    )

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=8025, ge=1, le=65535)
    smtp_tls: Literal["none", "starttls", "tls"] = Field(
        default="none", description="none (plain), starttls (upgrade after connecting) or tls (implicit TLS)."
    )
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_ca_file: str | None = Field(
        default=None, description="PEM file of the CA that signed the SMTP server's certificate (default: system CAs)."
    )
    smtp_timeout: float = Field(default=30.0, gt=0, description="Seconds to wait for the SMTP server at each step.")
    smtp_connections: int = Field(default=4, ge=1, le=64, description="SMTP connections used in parallel.")
    smtp_rate_limit: float | None = Field(default=None, gt=0, description="At most this many messages per second.")
    smtp_max_attempts: int = Field(default=8, ge=1, le=50, description="Attempts before a message is marked failed.")
    smtp_retry_seconds: float = Field(
        default=60.0, gt=0, description="Wait before the first retry; it doubles with each further attempt."
    )
    mail_from: EmailStr = "peer-review@spr.example.org"
    mail_from_name: str = "Stakeholder Peer Review"
    mail_reply_to: EmailStr | None = Field(
        default=None, description="Where replies go; by default the coordinator of the round the message is about."
    )

    secret_key: SecretStr | None = Field(
        default=None,
        description="Secret material for signing (at least 32 characters). Generate one with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`.",
    )

    secret_key_file: str | None = Field(
        default=None,
        description="The file that holds the secret key when SPR_SECRET_KEY is not set. By default the key is "
        "kept beside a SQLite store's file (spr.db.key), made when the store is first used; a store on "
        "PostgreSQL needs this or SPR_SECRET_KEY.",
    )
    link_grace_days: int = Field(
        default=14, ge=0, le=365, description="Days a personal link stays readable after its stage's deadline."
    )
    min_reply_days: int = Field(
        default=7,
        ge=0,
        le=90,
        description="Days the reviewed parties have at least for their reply: when the comment stage opens "
        "later than planned, its deadline moves out to give them this long.",
    )
    status_digest: bool = Field(
        default=True,
        description="Send each round's coordinator a daily email while a stage runs: where it stands and what "
        "changed since the day before.",
    )
    status_digest_hour: int = Field(
        default=8, ge=0, le=23, description="The hour, in the round's time zone, from which the daily digest is due."
    )
    portal_host: str = "127.0.0.1"
    portal_port: int = Field(default=8000, ge=1, le=65535)
    portal_threads: int = Field(
        default=4,
        ge=1,
        le=200,
        description="Requests the portal works on at once; more wait their turn in order (fewer threads "
        "fighting over one interpreter answer each request sooner).",
    )
    portal_lookup_failures: int = Field(
        default=20,
        ge=3,
        le=100_000,
        description="Failed lookups of personal links and report addresses (no such link or report, an "
        "expired or revoked link) one client address may make in 10 minutes; beyond that the portal answers "
        "its requests for links and reports with 429 until the window has passed. A working link never fails, "
        "so people behind one shared address (NAT) reach this only by trying broken links.",
    )
    portal_requests_per_minute: int = Field(
        default=600,
        ge=60,
        description="Requests for personal links and reports one client address may make per minute before "
        "it is answered 429: a ceiling no person reaches (raise it for load tests from one machine).",
    )

    accessibility_statement: str | None = Field(
        default=None,
        description="A YAML file with the portal's accessibility statement (contact, conformity status, known "
        "barriers, enforcement body; the keys of a round file's `accessibility:` block). A round's own block "
        "wins on that round's pages. Read when the portal starts.",
    )

    advance_interval_seconds: float = Field(
        default=300.0,
        ge=5,
        description="How often every active round is advanced (the schedule of the advance-active-rounds "
        "deployment); coordinator actions and submissions advance their round at once besides.",
    )
    data_dir: str | None = Field(
        default=None,
        description="Folder for the local Prefect server that `spr serve` starts (its database and log in "
        "`prefect/`); by default the SQLite store's folder, else the working folder.",
    )
    prefect_port: int = Field(
        default=4200, ge=1, le=65535, description="Port of the local Prefect server and its UI (on 127.0.0.1)."
    )
    worker_poll_seconds: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="How often a worker asks the Prefect server for flow runs to start: the delay between a "
        "coordinator's action and its effect is about this plus the start of a flow run.",
    )

    oidc_issuer: str | None = Field(
        default=None,
        description="Issuer URL of the OpenID Connect provider staff sign in to the console with, exactly as "
        "the provider names itself (a Keycloak realm: https://id.example.org/realms/staff); spr reads "
        "<issuer>/.well-known/openid-configuration. Unset, the console offers local passwords only. Needs "
        "SPR_OIDC_CLIENT_ID and SPR_OIDC_CLIENT_SECRET as well.",
    )
    oidc_client_id: str | None = Field(
        default=None, description="The client id spr is registered with at the OpenID Connect provider."
    )
    oidc_client_secret: SecretStr | None = Field(
        default=None, description="The secret of that confidential client (the provider shows it once registered)."
    )
    oidc_scopes: str = Field(
        default="openid email profile",
        description="Scopes asked for at sign-in, separated by spaces; openid and email are needed, since staff "
        "are matched by their verified email address.",
    )
    oidc_display_name: str = Field(
        default="Single sign-on",
        description="The provider's name as the console's sign-in button shows it (e.g. the organisation's "
        "name for its Keycloak).",
    )

    time_zone: str = "Europe/Berlin"
    language: Literal["de", "en"] | None = Field(
        default=None,
        description="The coordinator's language: what the spr command prints, and the language of new rounds "
        "whose round file names none. Unset, the command prints English and new rounds are German.",
    )

    @property
    def command_language(self) -> Literal["de", "en"]:
        """The language the spr command prints in: SPR_LANGUAGE, or English."""
        return self.language or "en"

    @property
    def round_language(self) -> Literal["de", "en"]:
        """The language of a new round whose round file names none: SPR_LANGUAGE, or German."""
        return self.language or "de"

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)") from None
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters long")
        return value

    @field_validator("oidc_issuer")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be the issuer's URL, starting with https://")
        return value

    @field_validator("oidc_scopes")
    @classmethod
    def _asks_for_email(cls, value: str) -> str:
        scopes = value.split()
        if "openid" not in scopes or "email" not in scopes:
            raise ValueError("must contain openid and email (staff are matched by their verified email)")
        return " ".join(scopes)

    @model_validator(mode="after")
    def _oidc_all_or_nothing(self) -> "Settings":
        given = {
            "SPR_OIDC_ISSUER": self.oidc_issuer,
            "SPR_OIDC_CLIENT_ID": self.oidc_client_id,
            "SPR_OIDC_CLIENT_SECRET": self.oidc_client_secret,
        }
        missing = [name for name, value in given.items() if not value]
        if 0 < len(missing) < len(given):
            raise ValueError(f"single sign-on needs {', '.join(missing)} as well (or none of the SPR_OIDC_* settings)")
        return self

    @property
    def oidc_enabled(self) -> bool:
        """Whether staff can sign in to the console through OpenID Connect (issuer, client id and secret set)."""
        return self.oidc_issuer is not None

    @field_validator("smtp_user", "mail_from_name", "oidc_display_name")
    @classmethod
    def _single_line(cls, value: str | None) -> str | None:
        if value is not None and ("\r" in value or "\n" in value):
            raise ValueError("must not contain line breaks")
        return value


def describe_settings_error(error: ValidationError) -> str:
    """Turn a pydantic validation error into lines that name the environment variable at fault."""
    lines = []
    for problem in error.errors():
        if not problem["loc"]:  # a rule across settings: its message names the variables itself
            lines.append(str(problem["msg"]))
            continue
        field = str(problem["loc"][0])
        given = problem.get("input")
        hidden = field in _SECRET_FIELDS or isinstance(given, dict) or given is None
        shown = "" if hidden else f" (got {given!r})"
        lines.append(f"{ENV_PREFIX}{field.upper()}: {problem['msg']}{shown}")
    return "\n".join(lines)


def load_settings() -> Settings:
    """Read the settings afresh, raising SettingsError with a readable message when they are invalid."""
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError("Invalid settings:\n" + describe_settings_error(error)) from None


def secret_key_path(settings: Settings) -> Path | None:
    """The file that holds the secret key: SPR_SECRET_KEY_FILE, or else one beside a SQLite store's file
    (`spr.db` keeps `spr.db.key`), wherever spr is run from; None for any other store.

    The key belongs to the store, not to the working folder: personal links are derived from it.
    """
    if settings.secret_key_file:
        return Path(settings.secret_key_file).expanduser().resolve()
    store = sqlite_store_file(settings)
    return store.with_name(store.name + ".key") if store else None


def sqlite_store_file(settings: Settings) -> Path | None:
    """The file of a SQLite store, absolute; None for an in-memory store or any other database."""
    url = make_url(settings.database_url)
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).expanduser().resolve()


def spr_data_folder(settings: Settings) -> Path:
    """Where spr keeps what is not in the store (the local Prefect server's home): SPR_DATA_DIR, or the
    SQLite store's folder, or the working folder."""
    if settings.data_dir:
        return Path(settings.data_dir).expanduser().resolve()
    store = sqlite_store_file(settings)
    return store.parent if store else Path.cwd()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
