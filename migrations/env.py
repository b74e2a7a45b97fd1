"""Alembic environment: the schema is SQLModel.metadata; the connection comes from the app."""

from alembic import context
from sqlmodel import SQLModel

import academy.models  # noqa: F401 - registers every table on the metadata

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
