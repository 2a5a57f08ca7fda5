"""proof on an ordinary day: the test behind each trend and why a baseline is missing
(client_metrics), the comparison in words and every caveat that applies (portal_cards)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('client_metrics') as batch:
        batch.add_column(sa.Column('p_value', sa.Double(), nullable=True))
        batch.add_column(sa.Column('baseline_sample', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('baseline_periods_used', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('no_baseline_reason', sa.String(32), nullable=True))
    with op.batch_alter_table('portal_cards') as batch:
        batch.add_column(sa.Column('comparison', sa.String(300), nullable=True))
        batch.add_column(sa.Column('caveat_codes', sa.String(120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('portal_cards') as batch:
        batch.drop_column('caveat_codes')
        batch.drop_column('comparison')
    with op.batch_alter_table('client_metrics') as batch:
        for name in ('no_baseline_reason', 'baseline_periods_used', 'baseline_sample', 'p_value'):
            batch.drop_column(name)
