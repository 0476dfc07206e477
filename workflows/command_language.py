"""The coordinator's language: what the `spr` command and the coordinator's actions say, in the `workflows`
catalog. SPR_LANGUAGE chooses it; unset, it is English."""

from collections.abc import Callable

from config.settings import SettingsError, get_settings
from config.translations import gettext_for, ngettext_for
from review_model.vocabulary import Stage


def coordinator_language() -> str:
    """The language of what the coordinator reads; English while the settings are unreadable, so that the
    message saying why can still be printed."""
    try:
        return get_settings().command_language
    except SettingsError:
        return "en"


def coordinator_messages() -> Callable[..., str]:
    """`_` in the coordinator's language: `_("Round {slug} launched.").format(slug=…)`."""
    return gettext_for(coordinator_language(), "workflows")


def coordinator_plurals() -> Callable[[str, str, int], str]:
    """`ngettext` in the coordinator's language."""
    return ngettext_for(coordinator_language(), "workflows")


def stage_name(stage: Stage | str, language: str) -> str:
    """A stage as the coordinator reads it: in English its name in the store, as commands, the audit trail and
    the Prefect runs name it (`submission`); in any other language the domain's name of it
    ("Selbsteinschätzung")."""
    return str(stage) if language == "en" else Stage(stage).label(language)
