"""binary ids, exact values

Provider ids and webhook delivery ids compare byte for byte (utf8mb4_bin), as SQLite's BINARY
collation does; a quote request's message holds up to 16 MB (MEDIUMTEXT); provider timestamps
keep their microseconds (DATETIME(6)). MySQL/MariaDB only: SQLite already stores all of this.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, nullable)
PROVIDER_IDS = [
    ('integration_external_objects', 'external_id', False),
    ('integration_object_versions', 'external_id', False),
    ('data_import_rows', 'external_id', True),
    ('integration_dead_letters', 'external_id', True),
    ('quote_requests', 'external_id', False),
    ('crm_deals', 'external_id', False),
    ('integration_webhook_deliveries', 'delivery_id', False),
]
PROVIDER_TIMES = [
    ('integration_external_objects', 'source_updated_at', True),
    ('quote_requests', 'submitted_at', False),
    ('quote_requests', 'source_updated_at', True),
    ('crm_deals', 'source_created_at', False),
    ('crm_deals', 'source_updated_at', True),
]


def _is_mysql() -> bool:
    return op.get_bind().dialect.name in {'mysql', 'mariadb'}


def upgrade() -> None:
    if not _is_mysql():
        return
    for table, column, nullable in PROVIDER_IDS:
        op.alter_column(
            table,
            column,
            existing_type=sa.String(191),
            type_=mysql.VARCHAR(191, collation='utf8mb4_bin'),
            existing_nullable=nullable,
        )
    for table, column, nullable in PROVIDER_TIMES:
        op.alter_column(
            table,
            column,
            existing_type=sa.DateTime(),
            type_=mysql.DATETIME(fsp=6),
            existing_nullable=nullable,
        )
    op.alter_column(
        'quote_requests',
        'message',
        existing_type=sa.Text(),
        type_=mysql.MEDIUMTEXT(),
        existing_nullable=True,
    )


def downgrade() -> None:
    if not _is_mysql():
        return
    # Going back may fail where two ids now differ only by case: that is the point of 0005.
    op.alter_column(
        'quote_requests',
        'message',
        existing_type=mysql.MEDIUMTEXT(),
        type_=sa.Text(),
        existing_nullable=True,
    )
    for table, column, nullable in PROVIDER_TIMES:
        op.alter_column(
            table,
            column,
            existing_type=mysql.DATETIME(fsp=6),
            type_=sa.DateTime(),
            existing_nullable=nullable,
        )
    for table, column, nullable in PROVIDER_IDS:
        op.alter_column(
            table,
            column,
            existing_type=mysql.VARCHAR(191, collation='utf8mb4_bin'),
            type_=sa.String(191),
            existing_nullable=nullable,
        )
