"""client proof: portal cards, report notes, admin tasks, go-live gate, incident impact, the
portal_feed view, and the honest-period columns of client_metrics

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The portal's one read path: only visible and caveated cards and notes.
PORTAL_FEED_SQL = """
CREATE VIEW portal_feed AS
SELECT 'card' AS item_type, id AS item_id, provider_key, client_key, metric_key, period,
       period_start, label AS title,
       current_display AS body, status, visibility, caveat, computed_at
FROM portal_cards WHERE visibility IN ('visible', 'caveated')
UNION ALL
SELECT 'note', id, NULL, client_key, NULL, period, period_start, period_label, text,
       NULL, visibility, caveat, computed_at
FROM report_notes WHERE visibility IN ('visible', 'caveated')
"""

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('client_metrics') as batch:
        batch.alter_column('current_value', existing_type=sa.Numeric(18, 4), nullable=True)
        batch.add_column(
            sa.Column('baseline_kind', sa.String(32), nullable=False, server_default='previous_period')
        )
        batch.add_column(sa.Column('change_abs', sa.Numeric(18, 4), nullable=True))
        batch.add_column(sa.Column('change_pct', sa.Numeric(18, 4), nullable=True))
        batch.add_column(sa.Column('sample_size', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(
            sa.Column('period_complete', sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column('is_final', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('first_batch_id', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('last_batch_id', sa.BigInteger(), nullable=True))
    op.add_column('incident_alerts', sa.Column('unsafe_cards', sa.JSON(), nullable=True))
    op.add_column('incident_alerts', sa.Column('client_impact', sa.String(500), nullable=True))
    op.create_table(
        'portal_cards',
        sa.Column('id', BigId, primary_key=True, autoincrement=True),
        sa.Column('provider_key', sa.String(64), nullable=False),
        sa.Column('metric_key', sa.String(64), nullable=False),
        sa.Column('client_key', sa.String(64), nullable=False),
        sa.Column('period', sa.String(8), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('period_label', sa.String(60), nullable=False),
        sa.Column('label', sa.String(200), nullable=False),
        sa.Column('source_label', sa.String(200), nullable=False),
        sa.Column('unit', sa.String(40), nullable=False),
        sa.Column('current_value', sa.Numeric(18, 4), nullable=True),
        sa.Column('current_display', sa.String(60), nullable=False),
        sa.Column('baseline_value', sa.Numeric(18, 4), nullable=True),
        sa.Column('baseline_display', sa.String(60), nullable=False),
        sa.Column('baseline_kind', sa.String(32), nullable=False),
        sa.Column('baseline_label', sa.String(80), nullable=False),
        sa.Column('change_abs', sa.Numeric(18, 4), nullable=True),
        sa.Column('change_pct', sa.Numeric(18, 4), nullable=True),
        sa.Column('change_display', sa.String(60), nullable=False),
        sa.Column('sample_size', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('status_text', sa.String(200), nullable=False),
        sa.Column('next_action', sa.String(500), nullable=False),
        sa.Column('visibility', sa.String(10), nullable=False),
        sa.Column('visibility_reason', sa.String(40), nullable=False),
        sa.Column('caveat', sa.String(300), nullable=True),
        sa.Column('data_through', sa.DateTime(), nullable=True),
        sa.Column('is_final', sa.Boolean(), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('provider_key', 'metric_key', 'client_key', 'period_start'),
    )
    op.create_index('ix_portal_cards_client', 'portal_cards', ['client_key', 'period', 'period_start'])
    op.create_table(
        'report_notes',
        sa.Column('id', BigId, primary_key=True, autoincrement=True),
        sa.Column('client_key', sa.String(64), nullable=False),
        sa.Column('period', sa.String(8), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_label', sa.String(60), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('card_ids', sa.JSON(), nullable=False),
        sa.Column('visibility', sa.String(10), nullable=False),
        sa.Column('caveat', sa.String(300), nullable=True),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('client_key', 'period', 'period_start'),
    )
    op.create_table(
        'admin_tasks',
        sa.Column('id', BigId, primary_key=True, autoincrement=True),
        sa.Column('provider_key', sa.String(64), nullable=False),
        sa.Column('client_key', sa.String(64), nullable=False),
        sa.Column('metric_key', sa.String(64), nullable=False),
        sa.Column('kind', sa.String(32), nullable=False),
        sa.Column('owner', sa.String(200), nullable=False),
        sa.Column('message', sa.String(500), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=True),
        sa.Column('due_at', sa.DateTime(), nullable=False),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.Column('last_checked_at', sa.DateTime(), nullable=False),
        sa.Column('resolved_at', sa.DateTime(), nullable=True),
        sa.Column('resolution', sa.String(200), nullable=True),
        sa.Column('open_key', sa.String(191), nullable=True, unique=True),
    )
    op.create_table(
        'portal_go_live',
        sa.Column('id', BigId, primary_key=True, autoincrement=True),
        sa.Column('provider_key', sa.String(64), nullable=False),
        sa.Column('action', sa.String(10), nullable=False),
        sa.Column('decided_by', sa.String(200), nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=False),
        sa.Column('reviewed_batch_id', sa.BigInteger(), nullable=True),
        sa.Column('spec_version', sa.String(64), nullable=False),
        sa.Column('note', sa.String(500), nullable=True),
    )
    op.create_index('ix_portal_go_live_provider_key', 'portal_go_live', ['provider_key'])
    op.execute(PORTAL_FEED_SQL)


def downgrade() -> None:
    op.execute('DROP VIEW portal_feed')
    op.drop_table('portal_go_live')
    op.drop_table('admin_tasks')
    op.drop_table('report_notes')
    op.drop_table('portal_cards')
    op.drop_column('incident_alerts', 'client_impact')
    op.drop_column('incident_alerts', 'unsafe_cards')
    with op.batch_alter_table('client_metrics') as batch:
        for column in (
            'last_batch_id', 'first_batch_id', 'is_final', 'period_complete', 'sample_size',
            'change_pct', 'change_abs', 'baseline_kind',
        ):
            batch.drop_column(column)
        batch.alter_column('current_value', existing_type=sa.Numeric(18, 4), nullable=False)
