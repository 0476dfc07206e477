"""Where Prefect's own logs go: into a log file, so that a coordinator's terminal shows spr's output alone.

Prefect reads its logging configuration once, when it is first imported, and its temporary API server (a
child process) reads it from the environment; so this is set in the environment before any command
imports Prefect. `spr --verbose` leaves Prefect's own configuration (its logs on the terminal) in place.
"""

import os
from pathlib import Path

LOGGING_CONFIG = Path(__file__).resolve().with_name("prefect_logging.yml")
DEFAULT_LOG_FILE = Path("spr-prefect.log")
_CONFIG_PATH = "PREFECT_LOGGING_SETTINGS_PATH"
_FILE_NAME = "PREFECT_LOGGING_HANDLERS_FILE_FILENAME"  # overrides handlers.file.filename of LOGGING_CONFIG


def send_prefect_logs_to_file(path: Path = DEFAULT_LOG_FILE) -> Path:
    """Have Prefect, in this process and the servers it starts, log to `path` (made on the first record)."""
    path = path.resolve()
    os.environ[_CONFIG_PATH] = str(LOGGING_CONFIG)
    os.environ[_FILE_NAME] = str(path)
    return path


def prefect_log_file() -> Path | None:
    """The file Prefect logs to, or None when its logs go to the terminal (`--verbose`)."""
    if os.environ.get(_CONFIG_PATH) != str(LOGGING_CONFIG):
        return None
    return Path(os.environ[_FILE_NAME])
