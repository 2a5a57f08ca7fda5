"""rest api and webhook intake, crm deals

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('crm_deals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('provider_key', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=191), nullable=False),
    sa.Column('client_key', sa.String(length=64), nullable=False),
    sa.Column('deal_name', sa.String(length=300), nullable=True),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.Column('pipeline', sa.String(length=64), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('close_date', sa.Date(), nullable=True),
    sa.Column('source_created_at', sa.DateTime(), nullable=False),
    sa.Column('source_updated_at', sa.DateTime(), nullable=True),
    sa.Column('source_context', sa.JSON(), nullable=True),
    sa.Column('last_batch_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('provider_key', 'external_id')
    )
    op.create_table('integration_webhook_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('provider_key', sa.String(length=64), nullable=False),
    sa.Column('delivery_id', sa.String(length=191), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('body_sha256', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text().with_variant(mysql.LONGTEXT(), 'mysql'), nullable=False),
    sa.Column('batch_id', sa.BigInteger(), nullable=True),
    sa.Column('processed_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('provider_key', 'delivery_id')
    )
    op.create_index('ix_integration_webhook_deliveries_pending', 'integration_webhook_deliveries', ['provider_key', 'batch_id'], unique=False)
    op.add_column('data_import_batches', sa.Column('http_requests', sa.Integer(), server_default='0', nullable=False))
    op.add_column('data_import_batches', sa.Column('rate_limit_hits', sa.Integer(), server_default='0', nullable=False))
    op.add_column('data_import_batches', sa.Column('rate_limit_wait_seconds', sa.Double(), server_default='0', nullable=False))
    op.add_column('data_import_batches', sa.Column('incremental_cursor', sa.String(length=191), nullable=True))
    op.add_column('integration_connections', sa.Column('incremental_cursor', sa.String(length=191), nullable=True))


def downgrade() -> None:
    op.drop_column('integration_connections', 'incremental_cursor')
    op.drop_column('data_import_batches', 'incremental_cursor')
    op.drop_column('data_import_batches', 'rate_limit_wait_seconds')
    op.drop_column('data_import_batches', 'rate_limit_hits')
    op.drop_column('data_import_batches', 'http_requests')
    op.drop_index('ix_integration_webhook_deliveries_pending', table_name='integration_webhook_deliveries')
    op.drop_table('integration_webhook_deliveries')
    op.drop_table('crm_deals')
