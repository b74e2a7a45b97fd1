"""outbox, reminders, token scope and expiry, coalesced audit rows, removed files

Revision ID: c13a0f1e5d2b
Revises: 51abed6f22c3
Create Date: 2026-12-03 17:20:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = 'c13a0f1e5d2b'
down_revision = '51abed6f22c3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'outgoing_mail',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('to_address', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column('claimed_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('gave_up_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_mail')),
    )
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.create_index('ix_outgoing_mail_due', ['sent_at', 'gave_up_at', 'next_attempt_at'], unique=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminders_enabled', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('reminded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))

    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('repeats', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('last_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))

    with op.batch_alter_table('lab_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('files_removed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))

    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('scope', sa.String(length=16), nullable=False, server_default='write'))
        batch_op.create_check_constraint('known_scope', "scope IN ('read', 'write')")


def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_constraint('ck_api_token_known_scope', type_='check')
        batch_op.drop_column('scope')
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('lab_attempt', schema=None) as batch_op:
        batch_op.drop_column('files_removed_at')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_column('last_at')
        batch_op.drop_column('repeats')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('reminders_enabled')
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_index('ix_outgoing_mail_due')
    op.drop_table('outgoing_mail')
