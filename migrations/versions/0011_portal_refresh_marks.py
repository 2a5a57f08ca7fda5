"""portal refresh marks: the clients a batch changed, written with its records, so a webhook
run's portal rebuilds those clients' cards only (and a crash before the portal loses none);
and per provider what held for all its cards at the last refresh

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'portal_refresh_marks',
        sa.Column('id', BigId, primary_key=True, autoincrement=True),
        sa.Column('provider_key', sa.String(64), nullable=False),
        sa.Column('client_key', sa.String(64), nullable=True),
        sa.Column('batch_id', sa.BigInteger(), nullable=True),
        sa.Column('marked_at', sa.DateTime(), nullable=False),
        sa.Column('metrics_done', sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        'portal_refresh_state',
        sa.Column('provider_key', sa.String(64), primary_key=True),
        sa.Column('fingerprint', sa.String(64), nullable=False),
        sa.Column('refreshed_at', sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('portal_refresh_state')
    op.drop_table('portal_refresh_marks')
