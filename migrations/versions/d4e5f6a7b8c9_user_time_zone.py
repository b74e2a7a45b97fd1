"""a person's time zone

Revision ID: d4e5f6a7b8c9
Revises: c13a0f1e5d2b
Create Date: 2026-12-03 18:10:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = 'd4e5f6a7b8c9'
down_revision = 'c13a0f1e5d2b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
