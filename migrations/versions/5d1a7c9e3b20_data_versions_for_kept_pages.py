"""data versions for kept pages: a table and a trigger on every table that moves it

Revision ID: 5d1a7c9e3b20
Revises: 14cd31360bb7
Create Date: 2026-12-05 05:00:00
"""

import sqlalchemy as sa
from alembic import op

from academy import data_versions

revision = '5d1a7c9e3b20'
down_revision = '14cd31360bb7'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'data_version',
        sa.Column('scope', sa.String(length=8), nullable=False),
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('scope', 'id', name=op.f('pk_data_version')),
    )
    bind = op.get_bind()
    data_versions.install(bind, sa.inspect(bind).get_table_names())


def downgrade() -> None:
    bind = op.get_bind()
    data_versions.uninstall(bind, sa.inspect(bind).get_table_names())
    op.drop_table('data_version')
