"""What the report calls the scales the questionnaires rate on (questionnaires name scales but give them no label)."""

from config.translations import N_, translate

SCALE_NAMES = {
    "traffic_light": N_("Traffic light (status)"),
    "progress": N_("Implementation progress"),
    "maturity": N_("Maturity"),
}


def scale_name(name: str, language: str) -> str:
    """A scale as the report names it; one it has no name for is shown as the questionnaire calls it."""
    return translate(language, "reports", SCALE_NAMES[name]) if name in SCALE_NAMES else name
