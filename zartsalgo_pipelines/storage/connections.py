"""Provider, connection and field-map records: the database's mirror of the spec files."""

import datetime as dt
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.queries import connection_value
from zartsalgo_pipelines.storage.upsert import NEW, upsert
from zartsalgo_pipelines.tables.core import batches, connections, mappings, providers


def register_provider(conn: sa.Connection, spec: ProviderSpec) -> None:
    """Upsert the provider and connection rows and mirror the active field map (by version)."""
    now = utcnow()
    _upsert_provider(conn, spec, now)
    _upsert_connection(conn, spec, now)
    _mirror_field_map(conn, spec, now)


def _upsert_provider(conn: sa.Connection, spec: ProviderSpec, now: dt.datetime) -> None:
    secrets = spec.webhook.secrets if spec.webhook else []
    row = {
        "key": spec.key,
        "display_name": spec.display_name,
        "object_type": spec.object_type,
        "owner": spec.owner,
        "reason": spec.reason,
        "auth_model": spec.auth.model,
        "scopes": list(spec.auth.scopes),
        "credential_env_vars": sorted({*spec.auth.credentials.values(), *secrets}),
        "spec_version": spec.version,
        "updated_at": now,
    }
    upsert(conn, providers, [row], key=["key"], update={c: NEW for c in row if c != "key"})


def _upsert_connection(conn: sa.Connection, spec: ProviderSpec, now: dt.datetime) -> None:
    row = {"provider_key": spec.key, "status": spec.status, "updated_at": now}
    upsert(conn, connections, [row], key=["provider_key"], update={})
    # The spec declares the status; events refine it: a connected provider with an open alert
    # stays `degraded` until the alert resolves (incidents/alerts.py).
    status: Any = spec.status
    if spec.status == "connected":
        status = sa.case((connections.c.status == "degraded", "degraded"), else_="connected")
    conn.execute(
        sa.update(connections).where(connections.c.provider_key == spec.key).values(status=status)
    )


def _mirror_field_map(conn: sa.Connection, spec: ProviderSpec, now: dt.datetime) -> None:
    """Upsert this version's field map as the active one; deactivate every other version's."""
    # The checks and declared transforms: what the map does to a value besides moving it.
    checks = {"format", "pattern", "min", "max", "max_length", "scale", "round", "default"}
    checks |= {"allow_exponent", "casefold"}
    rows = [
        {
            "provider_key": spec.key,
            "object_type": spec.object_type,
            "spec_version": spec.version,
            "position": position,
            "source_path": entry.described_source,
            "target_field": entry.target,
            "field_type": entry.type,
            "required": entry.required,
            "portal_label": entry.label,
            "unit": entry.unit,
            "value_map": entry.values,
            "checks": entry.model_dump(
                mode="json", include=checks, exclude_none=True, exclude_defaults=True
            ),
            "active": True,
            "created_at": now,
        }
        for position, entry in enumerate(spec.fields)
    ]
    key = ["provider_key", "spec_version", "target_field"]
    upsert(conn, mappings, rows, key=key, update={"active": NEW})
    conn.execute(
        sa.update(mappings)
        .where(mappings.c.provider_key == spec.key, mappings.c.spec_version != spec.version)
        .values(active=False)
    )


def record_sync_result(
    conn: sa.Connection, provider_key: str, batch_id: int, error: str | None
) -> None:
    """Remember the last successful sync (or the last error) on the connection record."""
    values: dict[str, object] = {"last_batch_id": batch_id, "updated_at": utcnow()}
    if error is None:
        values |= {"last_successful_sync_at": utcnow(), "last_error": None}
    else:
        values["last_error"] = error[:2000]
    conn.execute(
        sa.update(connections).where(connections.c.provider_key == provider_key).values(values)
    )


def stored_cursor(conn: sa.Connection, provider_key: str) -> str | None:
    """The incremental high-water mark of the last successful batch, if any."""
    return connection_value(conn, provider_key, "incremental_cursor")


def advance_cursor(conn: sa.Connection, spec: ProviderSpec, batch_id: int) -> None:
    """After a successful batch: store its highest cursor value on the connection, if newer.

    Only a batch that succeeded moves the cursor, so a failed sync is asked for again in full.
    """
    incremental = getattr(spec.source, "incremental", None)
    if incremental is None:
        return
    from zartsalgo_pipelines.sources.rest import newer_cursor  # the REST source's comparison

    candidate = conn.execute(
        sa.select(batches.c.incremental_cursor).where(batches.c.id == batch_id)
    ).scalar()
    if newer_cursor(incremental, stored_cursor(conn, spec.key), candidate):
        conn.execute(
            sa.update(connections)
            .where(connections.c.provider_key == spec.key)
            .values(incremental_cursor=candidate)
        )
