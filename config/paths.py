"""Where the shipped data files live, wherever spr is installed."""

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
QUESTIONNAIRES_DIR = CONFIG_DIR / "questionnaires"
EXAMPLES_DIR = CONFIG_DIR / "examples"
# templates/ is a sibling folder of config/ in a checkout and in an installed wheel alike.
TEMPLATES_DIR = CONFIG_DIR.parent / "templates"
