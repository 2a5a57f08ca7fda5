"""metric facts: what reporting providers (ad platforms) report per client, day and dimensions,
one row per measure, and the values restated days had before

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
ProviderId = sa.String(191).with_variant(
    mysql.VARCHAR(191, collation='utf8mb4_bin'), 'mysql', 'mariadb'
)


def upgrade() -> None:
    op.create_table(
        'metric_facts',
        sa.Column('id', BigId, primary_key=True, autoincrement=True),
        sa.Column('provider_key', sa.String(64), nullable=False),
        sa.Column('external_id', ProviderId, nullable=False),
        sa.Column('client_key', sa.String(64), nullable=False),
        sa.Column('fact_date', sa.Date(), nullable=False),
        sa.Column('fact_hour', sa.SmallInteger(), nullable=True),
        sa.Column('currency', sa.String(3), nullable=True),
        sa.Column('dimensions', sa.JSON(), nullable=True),
        sa.Column('source_context', sa.JSON(), nullable=True),
        sa.Column('last_batch_id', sa.BigInteger(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('provider_key', 'external_id'),
    )
    op.create_index(
        'ix_metric_facts_client_day', 'metric_facts', ['provider_key', 'client_key', 'fact_date']
    )
    op.create_table(
        'metric_fact_values',
        sa.Column('fact_id', sa.BigInteger(), sa.ForeignKey('metric_facts.id'), primary_key=True),
        sa.Column('measure_key', sa.String(64), primary_key=True),
        sa.Column('value', sa.Numeric(15, 6), nullable=True),
    )
    op.create_table(
        'metric_fact_revisions',
        sa.Column('id', BigId, primary_key=True, autoincrement=True),
        sa.Column('fact_id', sa.BigInteger(), sa.ForeignKey('metric_facts.id'), nullable=False),
        sa.Column('measure_key', sa.String(64), nullable=False),
        sa.Column('value_before', sa.Numeric(15, 6), nullable=True),
        sa.Column('value_after', sa.Numeric(15, 6), nullable=True),
        sa.Column('batch_id', sa.BigInteger(), nullable=False),
        sa.Column('revised_at', sa.DateTime(), nullable=False),
    )
    op.create_index('ix_metric_fact_revisions_fact', 'metric_fact_revisions', ['fact_id'])


def downgrade() -> None:
    # A table's indexes go with it (MySQL refuses to drop one a foreign key needs first).
    op.drop_table('metric_fact_revisions')
    op.drop_table('metric_fact_values')
    op.drop_table('metric_facts')
