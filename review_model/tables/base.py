"""What every table shares: the metadata with stable constraint names, and column helpers."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Enum, Table, inspect
from sqlmodel import Field, SQLModel

from review_model import clock
from review_model.column_types import JSONDocument, UTCDateTime

# Named constraints make migrations reproducible and let SQLite's batch mode find them again.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = SQLModel.metadata


def enum_column(enum: type[StrEnum], *, nullable: bool = False, index: bool = False, **kw: Any) -> Column[Any]:
    """A column that stores an enum's values as short strings (no native database enum to migrate)."""
    return Column(
        Enum(enum, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e]),
        nullable=nullable,
        index=index,
        **kw,
    )


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, for statements over many rows (SQLModel declares no `__table__`)."""
    table = inspect(model).local_table
    assert isinstance(table, Table)
    return table


def created_at_field() -> Any:
    """When the row was written, in UTC."""
    return Field(default_factory=clock.now, sa_type=UTCDateTime, nullable=False)


def timestamp_field(*, index: bool = False) -> Any:
    """An optional moment, in UTC."""
    return Field(default=None, sa_type=UTCDateTime, index=index)


def json_field(default_factory: Any = dict) -> Any:
    """A JSON document (JSONB on PostgreSQL)."""
    return Field(default_factory=default_factory, sa_type=JSONDocument, nullable=False)


__all__ = [
    "SQLModel",
    "created_at_field",
    "datetime",
    "enum_column",
    "json_field",
    "metadata",
    "table_of",
    "timestamp_field",
]
