"""SELECTs of more columns than `sqlmodel.select` has typed overloads for (it has them for up to four)."""

from typing import Any

from sqlmodel.sql.expression import Select


def select_columns(*columns: Any) -> Select[*tuple[Any, ...]]:
    """The statement `sqlmodel.select(*columns)` builds for two or more columns, typed as rows of any values."""
    return Select(*columns)
