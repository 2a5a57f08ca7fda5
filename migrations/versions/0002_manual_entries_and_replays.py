"""manual entries and replays

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    
    op.add_column('data_import_batches', sa.Column('entered_by', sa.String(length=200), nullable=True))
    op.add_column('data_import_batches', sa.Column('note', sa.Text(), nullable=True))
    op.add_column('integration_dead_letters', sa.Column('replayed_batch_id', sa.BigInteger(), nullable=True))
    


def downgrade() -> None:
    
    op.drop_column('integration_dead_letters', 'replayed_batch_id')
    op.drop_column('data_import_batches', 'note')
    op.drop_column('data_import_batches', 'entered_by')
    
