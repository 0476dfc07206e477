import pytest

from config.settings import Settings, SettingsError, load_settings


def test_defaults_run_on_one_machine(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("SPR_DATABASE_URL", "SPR_SMTP_PORT", "SPR_TIME_ZONE", "SPR_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.database_url == "sqlite:///spr.db"
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_tls) == ("127.0.0.1", 8025, "none")
    assert settings.time_zone == "Europe/Berlin"
    # Unset, the command line speaks English and new rounds are German, as before the setting named both.
    assert (settings.language, settings.command_language, settings.round_language) == (None, "en", "de")


def test_environment_and_dotenv_are_read(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("SPR_SMTP_HOST=mail.example\nSPR_LANGUAGE=en\n", encoding="utf-8")
    monkeypatch.setenv("SPR_SMTP_PORT", "587")
    settings = load_settings()
    assert (settings.smtp_host, settings.smtp_port, settings.language) == ("mail.example", 587, "en")
    assert (settings.command_language, settings.round_language) == ("en", "en")


def test_errors_name_each_variable_and_hide_secrets(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SPR_SMTP_PORT", "twenty-five")
    monkeypatch.setenv("SPR_SMTP_TLS", "maybe")
    monkeypatch.setenv("SPR_TIME_ZONE", "Europe/Atlantis")
    monkeypatch.setenv("SPR_MAIL_FROM", "not an address")
    monkeypatch.setenv("SPR_SECRET_KEY", "short-secret")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "SPR_SMTP_PORT: Input should be a valid integer" in message and "'twenty-five'" in message
    assert "SPR_SMTP_TLS: Input should be 'none', 'starttls' or 'tls'" in message
    assert "SPR_TIME_ZONE: Value error, unknown time zone 'Europe/Atlantis'" in message
    assert "SPR_MAIL_FROM:" in message
    assert "SPR_SECRET_KEY: Value error, must be at least 32 characters long" in message
    assert "short-secret" not in message


def test_header_injection_through_the_sender_name_is_refused():
    with pytest.raises(ValueError, match="must not contain line breaks"):
        Settings(mail_from_name="Peer Review\r\nBcc: everyone@example.org")


def test_single_sign_on_is_off_unless_issuer_client_and_secret_are_all_given(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert (settings.oidc_enabled, settings.oidc_scopes, settings.oidc_display_name) == (
        False,
        "openid email profile",
        "Single sign-on",
    )
    monkeypatch.setenv("SPR_OIDC_ISSUER", "https://id.example.org/realms/staff")
    monkeypatch.setenv("SPR_OIDC_CLIENT_ID", "spr")
    monkeypatch.setenv("SPR_OIDC_CLIENT_SECRET", "a-client-secret")
    monkeypatch.setenv("SPR_OIDC_DISPLAY_NAME", "Keycloak of the Land")
    settings = load_settings()
    assert settings.oidc_enabled and settings.oidc_client_secret is not None
    assert (settings.oidc_issuer, settings.oidc_client_id) == ("https://id.example.org/realms/staff", "spr")
    assert settings.oidc_client_secret.get_secret_value() == "a-client-secret"
    assert settings.oidc_display_name == "Keycloak of the Land"


def test_single_sign_on_settings_given_in_part_name_what_is_missing(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SPR_OIDC_ISSUER", "https://id.example.org/realms/staff")
    monkeypatch.setenv("SPR_OIDC_CLIENT_SECRET", "a-client-secret")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "single sign-on needs SPR_OIDC_CLIENT_ID as well" in message
    assert "a-client-secret" not in message


def test_single_sign_on_needs_a_web_address_and_the_email_scope(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SPR_OIDC_ISSUER", "id.example.org")
    monkeypatch.setenv("SPR_OIDC_CLIENT_ID", "spr")
    monkeypatch.setenv("SPR_OIDC_CLIENT_SECRET", "a-client-secret")
    monkeypatch.setenv("SPR_OIDC_SCOPES", "openid profile")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "SPR_OIDC_ISSUER: Value error, must be the issuer's URL" in message
    assert "SPR_OIDC_SCOPES: Value error, must contain openid and email" in message
