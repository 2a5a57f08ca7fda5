"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    
    op.create_table('client_metrics',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('provider_key', sa.String(length=64), nullable=False),
    sa.Column('metric_key', sa.String(length=64), nullable=False),
    sa.Column('client_key', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('current_value', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('baseline_value', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('unit', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('client_meaning', sa.String(length=500), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('next_action', sa.String(length=500), nullable=False),
    sa.Column('surface', sa.String(length=20), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('provider_key', 'metric_key', 'client_key', 'period_start')
    )
    op.create_table('data_import_batches',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('provider_key', sa.String(length=64), nullable=False),
    sa.Column('source_kind', sa.String(length=16), nullable=False),
    sa.Column('source_ref', sa.String(length=1000), nullable=False),
    sa.Column('source_fingerprint', sa.String(length=64), nullable=True),
    sa.Column('spec_version', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('rows_created', sa.Integer(), nullable=False),
    sa.Column('rows_updated', sa.Integer(), nullable=False),
    sa.Column('rows_failed', sa.Integer(), nullable=False),
    sa.Column('rows_duplicate', sa.Integer(), nullable=False),
    sa.Column('rows_ignored', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_data_import_batches_provider_status', 'data_import_batches', ['provider_key', 'status'], unique=False)
    op.create_table('incident_alerts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('provider_key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('message', sa.String(length=1000), nullable=False),
    sa.Column('next_action', sa.String(length=500), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_incident_alerts_open', 'incident_alerts', ['provider_key', 'kind', 'resolved_at'], unique=False)
    op.create_table('integration_dead_letters',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('provider_key', sa.String(length=64), nullable=False),
    sa.Column('payload_hash', sa.String(length=32), nullable=False),
    sa.Column('external_id', sa.String(length=191), nullable=True),
    sa.Column('first_batch_id', sa.BigInteger(), nullable=False),
    sa.Column('last_batch_id', sa.BigInteger(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('source_ref', sa.String(length=255), nullable=False),
    sa.Column('source_position', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('failing_field', sa.String(length=64), nullable=False),
    sa.Column('failing_check', sa.String(length=200), nullable=False),
    sa.Column('raw_payload', sa.JSON(), nullable=False),
    sa.Column('first_failed_at', sa.DateTime(), nullable=False),
    sa.Column('last_failed_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('provider_key', 'payload_hash')
    )
    op.create_table('integration_external_objects',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('provider_key', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=191), nullable=False),
    sa.Column('payload_hash', sa.String(length=32), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('source_updated_at', sa.DateTime(), nullable=True),
    sa.Column('raw_payload', sa.JSON(), nullable=False),
    sa.Column('last_batch_id', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('provider_key', 'object_type', 'external_id')
    )
    op.create_table('integration_field_mappings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('provider_key', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=64), nullable=False),
    sa.Column('spec_version', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('source_path', sa.String(length=500), nullable=False),
    sa.Column('target_field', sa.String(length=64), nullable=False),
    sa.Column('field_type', sa.String(length=20), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('portal_label', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=40), nullable=True),
    sa.Column('value_map', sa.JSON(), nullable=True),
    sa.Column('checks', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('provider_key', 'spec_version', 'target_field')
    )
    op.create_index(op.f('ix_integration_field_mappings_provider_key'), 'integration_field_mappings', ['provider_key'], unique=False)
    op.create_table('integration_object_versions',
    sa.Column('provider_key', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=191), nullable=False),
    sa.Column('payload_hash', sa.String(length=32), nullable=False),
    sa.Column('batch_id', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('provider_key', 'object_type', 'external_id', 'payload_hash')
    )
    op.create_table('integration_providers',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('object_type', sa.String(length=64), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('auth_model', sa.String(length=40), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('credential_env_vars', sa.JSON(), nullable=False),
    sa.Column('spec_version', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('quote_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('provider_key', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=191), nullable=False),
    sa.Column('client_key', sa.String(length=64), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('source_updated_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('contact_phone', sa.String(length=40), nullable=True),
    sa.Column('service', sa.String(length=64), nullable=True),
    sa.Column('budget_amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('budget_currency', sa.String(length=3), nullable=True),
    sa.Column('postal_code', sa.String(length=16), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('source_page', sa.String(length=500), nullable=True),
    sa.Column('source_context', sa.JSON(), nullable=True),
    sa.Column('last_batch_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('provider_key', 'external_id')
    )
    op.create_table('data_import_rows',
    sa.Column('batch_id', sa.BigInteger(), nullable=False),
    sa.Column('row_number', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('external_id', sa.String(length=191), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('payload_hash', sa.String(length=32), nullable=False),
    sa.Column('source_ref', sa.String(length=255), nullable=False),
    sa.Column('source_position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['data_import_batches.id'], ),
    sa.PrimaryKeyConstraint('batch_id', 'row_number')
    )
    op.create_table('integration_connections',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('provider_key', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('last_successful_sync_at', sa.DateTime(), nullable=True),
    sa.Column('last_batch_id', sa.BigInteger(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['provider_key'], ['integration_providers.key'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('provider_key')
    )
    op.create_table('integration_object_links',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('external_object_id', sa.BigInteger(), nullable=False),
    sa.Column('record_table', sa.String(length=64), nullable=False),
    sa.Column('record_id', sa.BigInteger(), nullable=False),
    sa.Column('match_method', sa.String(length=32), nullable=False),
    sa.Column('linked_at', sa.DateTime(), nullable=False),
    sa.Column('batch_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['external_object_id'], ['integration_external_objects.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('external_object_id', 'record_table')
    )
    


def downgrade() -> None:
    
    op.drop_table('integration_object_links')
    op.drop_table('integration_connections')
    op.drop_table('data_import_rows')
    op.drop_table('quote_requests')
    op.drop_table('integration_providers')
    op.drop_table('integration_object_versions')
    op.drop_index(op.f('ix_integration_field_mappings_provider_key'), table_name='integration_field_mappings')
    op.drop_table('integration_field_mappings')
    op.drop_table('integration_external_objects')
    op.drop_table('integration_dead_letters')
    op.drop_index('ix_incident_alerts_open', table_name='incident_alerts')
    op.drop_table('incident_alerts')
    op.drop_index('ix_data_import_batches_provider_status', table_name='data_import_batches')
    op.drop_table('data_import_batches')
    op.drop_table('client_metrics')
    
