"""incident_alerts.open_key: at most one open alert per provider and kind, refused by the
database itself (two portal refreshes at once each opened one)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('incident_alerts') as batch:
        batch.add_column(sa.Column('open_key', sa.String(191), nullable=True))
        batch.create_unique_constraint('uq_incident_alerts_open_key', ['open_key'])
    # The newest open alert of each provider and kind takes the key; older duplicates (from
    # before the key) are resolved, as the newest one stands for them.
    alerts = sa.table(
        'incident_alerts',
        sa.column('id', sa.BigInteger),
        sa.column('provider_key', sa.String),
        sa.column('kind', sa.String),
        sa.column('resolved_at', sa.DateTime),
        sa.column('opened_at', sa.DateTime),
        sa.column('open_key', sa.String),
    )
    bind = op.get_bind()
    open_rows = bind.execute(
        sa.select(alerts.c.id, alerts.c.provider_key, alerts.c.kind, alerts.c.opened_at)
        .where(alerts.c.resolved_at.is_(None))
        .order_by(alerts.c.id.desc())
    ).all()
    seen: set[tuple[str, str]] = set()
    for row in open_rows:
        pair = (row.provider_key, row.kind)
        if pair in seen:
            bind.execute(
                sa.update(alerts).where(alerts.c.id == row.id).values(resolved_at=row.opened_at)
            )
            continue
        seen.add(pair)
        bind.execute(
            sa.update(alerts)
            .where(alerts.c.id == row.id)
            .values(open_key=f"{row.provider_key}/{row.kind}")
        )


def downgrade() -> None:
    with op.batch_alter_table('incident_alerts') as batch:
        batch.drop_constraint('uq_incident_alerts_open_key', type_='unique')
        batch.drop_column('open_key')
