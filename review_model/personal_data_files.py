"""A person's data as files to hand over: JSON (the whole record) and CSV (one row per fact).

Both hold times in UTC (ISO 8601); each round's record names its time zone. Neither holds a working link
(see review_model.personal_data.LINK_REMOVED), so either may travel by mail.
"""

import io
from datetime import datetime
from typing import Any

from review_model.personal_data import PersonalData, facts
from review_model.spreadsheet_csv import GuardedWriter

CSV_COLUMNS = ("section", "round", "field", "value", "at")


def personal_data_json(data: PersonalData) -> str:
    """The record as JSON: stable keys in the model's order, times in UTC."""
    return data.model_dump_json(indent=2) + "\n"


def personal_data_csv(data: PersonalData) -> str:
    """The record as CSV, one row per fact (section, round, field, value, at); no cell is read as a formula."""
    out = io.StringIO()
    writer = GuardedWriter(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerow(("export", "", "exported_at", _cell(data.exported_at), _cell(data.exported_at)))
    for section, round_slug, field, value, at in facts(data):
        writer.writerow((section, round_slug, field, _cell(value), _cell(at)))
    return out.getvalue()


def file_name(data: PersonalData, extension: str) -> str:
    """A file name for the download: the day it was made, no name or address (it may be forwarded)."""
    return f"personal-data-{data.exported_at:%Y-%m-%d}.{extension}"


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(str(_cell(inner)) for inner in value)
    return value
