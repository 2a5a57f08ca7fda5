"""JSON the pipeline writes itself stored as text on MySQL: the external objects' payloads and
the records' and facts' source context lose MariaDB's per-row JSON_VALID check (MySQL: its
binary JSON conversion), a sixth of the server's time storing a first load's payloads. SQLite
is unchanged.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, NOT NULL)
COLUMNS = [
    ('integration_external_objects', 'raw_payload', True),
    ('quote_requests', 'source_context', False),
    ('crm_deals', 'source_context', False),
    ('metric_facts', 'source_context', False),
]


def _modify(kind: str) -> None:
    if op.get_bind().dialect.name not in {'mysql', 'mariadb'}:
        return
    for table, column, required in COLUMNS:
        null = 'NOT NULL' if required else 'NULL'
        # MODIFY replaces the whole column definition, MariaDB's JSON_VALID check included.
        op.execute(f'ALTER TABLE `{table}` MODIFY `{column}` {kind} {null}')


def upgrade() -> None:
    _modify('LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin')


def downgrade() -> None:
    _modify('JSON')
