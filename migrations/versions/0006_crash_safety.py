"""crash safety: batch token, owner, heartbeat; the provider's ingest lease

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH_COLUMNS = ('token', 'run_id', 'owner_host', 'owner_pid', 'owner_pid_start', 'heartbeat_at')


def upgrade() -> None:
    with op.batch_alter_table('data_import_batches') as batch:
        batch.add_column(sa.Column('token', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('run_id', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('owner_host', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('owner_pid', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('owner_pid_start', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))
        batch.create_index('ux_data_import_batches_token', ['token'], unique=True)
    with op.batch_alter_table('integration_connections') as batch:
        batch.add_column(sa.Column('ingest_batch_id', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('integration_connections') as batch:
        batch.drop_column('ingest_batch_id')
    with op.batch_alter_table('data_import_batches') as batch:
        batch.drop_index('ux_data_import_batches_token')
        for name in reversed(BATCH_COLUMNS):
            batch.drop_column(name)
