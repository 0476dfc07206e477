"""Alembic environment: migrates the store the engine in the config points at."""

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

import review_model.tables
from review_model.column_types import UTCDateTime

target_metadata = review_model.tables.metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Write the store's own column types into new migrations by their import path.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        autogen_context.imports.add("import review_model.column_types")
        return "review_model.column_types.UTCDateTime()"
    return False


def run_migrations() -> None:
    connectable = context.config.attributes.get("connection")
    if connectable is None:
        raise RuntimeError("spr runs migrations with a connection passed in the Alembic config")
    context.configure(
        connection=connectable,
        target_metadata=target_metadata,
        render_as_batch=connectable.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
