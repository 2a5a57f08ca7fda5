"""Scenario: every incident alert kind is declared once, in the registry: its severity and the
texts the owner reads, filled with the values its caller passes (table-driven, one row per
kind, with the exact texts each kind gave before the registry). Opening an alert of a kind
that is not registered is refused with the valid kinds listed, and writes nothing."""

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.errors import UnknownNameError
from zartsalgo_pipelines.incidents.alerts import open_alert, raise_alert
from zartsalgo_pipelines.incidents.kinds import ALERT_KINDS, alert_kind
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.connections import register_provider
from zartsalgo_pipelines_tests.helpers import count

COMMON = {"display_name": "Quotes", "key": "quote_request", "credential_variables": "API_TOKEN"}
# kind, severity, values its caller passes, message, next action
KINDS: list[tuple[str, str, dict[str, Any], str, str]] = [
    (
        "failed_batches",
        "critical",
        {"limit": 3},
        "Quotes: the last 3 batches failed",
        "Read the last error on the connection record, fix the source or the spec, and enter "
        "urgent client updates with `zartsalgo manual` meanwhile.",
    ),
    (
        "failed_share",
        "warning",
        {"share": 0.25, "threshold": 0.05},
        "Quotes: 25% of the last batch failed the field map (alert above 5%)",
        "Review the dead letters by reason, fix the field map or ask the provider, then replay "
        "them.",
    ),
    (
        "auth_failure",
        "critical",
        {"detail": "HTTP 401"},
        "Quotes: the provider refused our credentials (HTTP 401)",
        "Renew the credentials in the environment variables the spec names (API_TOKEN), then "
        "run a test sync.",
    ),
    (
        "credentials_missing",
        "critical",
        {"detail": "API_TOKEN is not set"},
        "Quotes: a credential is not configured (API_TOKEN is not set)",
        "Set the environment variables the spec names (API_TOKEN) where Dagster and the CLI "
        "run, then run `zartsalgo check-connection quote_request`.",
    ),
    (
        "rate_limited",
        "warning",
        {"waited_minutes": 12.34, "hits": 7, "allowed_minutes": 10.0},
        "Quotes: a sync waited 12.3 min on rate limits (7 responses), more than the 10 min allowed",
        "Lower the request budget or move the schedule to a quieter hour; ask the provider for "
        "a higher limit if syncs keep waiting.",
    ),
    (
        "stale_sync",
        "warning",
        {"since": "never", "stale_after_hours": 26.0},
        "Quotes last synced successfully never; stale after 26 h",
        "A new sync was requested; if it fails, check the export drop and the run log, then "
        "load the file by hand with the manual fallback.",
    ),
    (
        "failed_runs",
        "critical",
        {"limit": 2},
        "Quotes: the last 2 runs that materialized its assets failed",
        "Open the latest failed run in the Dagster UI; while it is being fixed, enter urgent "
        "client updates with `zartsalgo manual`.",
    ),
    (
        "unreachable",
        "warning",
        {},
        "Quotes: the connection check could not reach the provider",
        "Check the provider's status page and our network; run `zartsalgo check-connection "
        "quote_request` again once it is back.",
    ),
    (
        "stuck_batch",
        "critical",
        {"batch_id": 9, "what": "stuck in running"},
        "Quotes: batch 9 was stuck in running",
        "Nothing was lost: the next sync lands the source again and stores what the batch did "
        "not. If batches keep getting stuck, read the run log of the killed run (memory limits, "
        "restarts) or raise batch_timeout_minutes.",
    ),
    (
        "portal_visibility",
        "warning",
        {"missing": 1, "served": 3, "clients": "acme"},
        "Quotes: 1 of 3 clients see no fresh card for their latest period (acme)",
        "Open `zartsalgo portal preview` for the hidden cards and their reasons; fix the cause "
        "or run the sync.",
    ),
    (
        "no_new_data",
        "warning",
        {"who": "acme (9.0 days without one, usually at most 2.7 days)"},
        "Quotes: no new records for longer than usual from acme (9.0 days without one, usually "
        "at most 2.7 days)",
        "Syncs succeed but bring nothing new: check that the provider still sends (the export "
        "job, the form, the webhook), then tell the affected clients; the cards carry a caveat "
        "until data flows again.",
    ),
]


def test_the_table_covers_every_registered_kind() -> None:
    assert sorted(k for k, *_ in KINDS) == sorted(ALERT_KINDS)


@pytest.mark.parametrize(("kind", "severity", "values", "message", "next_action"), KINDS)
def test_each_kind_renders_its_texts(
    kind: str, severity: str, values: dict[str, Any], message: str, next_action: str
) -> None:
    declared = alert_kind(kind)
    assert declared.severity == severity
    assert declared.texts(COMMON | values) == (message, next_action)


def test_an_unknown_kind_is_refused_with_the_valid_ones(
    engine: sa.Engine, make_spec: Callable[..., ProviderSpec]
) -> None:
    spec = make_spec()
    with engine.begin() as conn:
        register_provider(conn, spec)
        with pytest.raises(UnknownNameError, match="unknown alert kind 'stale'") as refused:
            raise_alert(conn, spec, "stale", details={})
        with pytest.raises(UnknownNameError, match="stale_sync"):
            open_alert(
                conn,
                provider_key=spec.key,
                kind="stale",
                severity="warning",
                owner=spec.owner,
                message="m",
                next_action="n",
                details={},
            )
    assert refused.value.valid == sorted(ALERT_KINDS)
    assert count(engine, "incident_alerts") == 0


def test_raise_alert_stores_the_registered_texts_for_the_provider(
    engine: sa.Engine, make_spec: Callable[..., ProviderSpec]
) -> None:
    spec = make_spec()
    with engine.begin() as conn:
        register_provider(conn, spec)
        (event,) = raise_alert(conn, spec, "failed_batches", limit=3, details={"batches": 3})
        assert raise_alert(conn, spec, "failed_batches", limit=3, details={}) == []  # one open
        row = conn.execute(sa.text("SELECT kind, severity, message FROM incident_alerts")).one()
    expected = f"{spec.display_name}: the last 3 batches failed"
    assert (event.kind, event.severity, event.owner, event.message) == (
        "failed_batches",
        "critical",
        spec.owner,
        expected,
    )
    assert tuple(row) == ("failed_batches", "critical", expected)
