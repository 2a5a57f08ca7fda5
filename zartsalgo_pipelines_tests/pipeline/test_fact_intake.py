"""Scenario: an ad platform's daily rows have a home. The shipped `ads_google` spec maps each row
into one fact (`metric_facts`, the id rule of the records) with each measure stored exactly
(`metric_fact_values`) and its dimensions as JSON, on SQLite and MySQL, through the one
ingestion path: every row accounted for, a bad row a dead letter, a re-run all duplicates.
A restated day is `updated` and keeps each changed measure's value before and after. Money sums
to the micro in the database, whatever the values (hypothesis), small chunks and bulk files
alike, and a value beyond what a measure holds fails its row instead of being rounded."""

import itertools
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import example, given
from hypothesis import strategies as st

from zartsalgo_pipelines.pipeline.run import ingest_rows, open_direct_batch
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage import mysql_bulk
from zartsalgo_pipelines_tests.ads import ACME, NORDLICHT, ads_spec
from zartsalgo_pipelines_tests.fake_google_ads import result
from zartsalgo_pipelines_tests.helpers import assert_every_row_accounted
from zartsalgo_pipelines_tests.pipeline.test_properties import PROFILE

CLIENTS = {ACME: "acme-roofing", NORDLICHT: "nordlicht-solar"}


def landed(account: str, day: str, campaign: int, **metrics: Any) -> dict[str, Any]:
    """A search result as the API extract lands it: with the `_account` of the fan-out."""
    row = result(account, day, campaign, **metrics)
    return row | {"_account": {"id": account, "client_key": CLIENTS.get(account)}}


def ingest(engine: sa.Engine, spec: ProviderSpec, records: list[Any], chunk: int = 500) -> int:
    batch = open_direct_batch(engine, spec, "api", "test pages")
    rows = [SourceRow("page-000001.jsonl", n, r) for n, r in enumerate(records, 1)]
    ingest_rows(engine, spec, batch, rows, chunk_size=chunk)
    return batch


def stored(engine: sa.Engine) -> dict[str, dict[str, Any]]:
    """external id -> the fact's columns and its measures (Decimal, exact)."""
    with engine.connect() as conn:
        facts = conn.execute(
            sa.text(
                "SELECT id, external_id, client_key, fact_date, currency, dimensions "
                "FROM metric_facts"
            )
        ).mappings()
        found = {f["external_id"]: dict(f) | {"measures": {}} for f in facts}
        by_id = {f["id"]: f for f in found.values()}
        for fact_id, measure, value in conn.execute(
            sa.text("SELECT fact_id, measure_key, value FROM metric_fact_values")
        ):
            exact = None if value is None else Decimal(str(value)).quantize(Decimal("0.000001"))
            by_id[fact_id]["measures"][measure] = exact
    return found


def test_ad_rows_are_facts_with_every_measure(engine: sa.Engine) -> None:
    spec = ads_spec()
    records = [
        landed(ACME, "2026-11-30", 1),
        landed(ACME, "2026-11-30", 2, cost_micros=1_000_001, clicks=None, impressions=17),
        landed(NORDLICHT, "2026-12-01", 7, conversions=0.25, currency="USD"),
        landed(ACME, "2026-11-30", 3, clicks=-4),  # refused: min 0
        landed("9990001111", "2026-11-30", 1),  # an account nobody assigned: no client key
    ]
    batch = ingest(engine, spec, records)
    counts = assert_every_row_accounted(engine, batch, len(records))
    assert counts["created"] == 3 and counts["failed"] == 2
    facts = stored(engine)
    first = facts[f"{ACME}|1|2026-11-30"]
    assert first["client_key"] == "acme-roofing"
    assert str(first["fact_date"])[:10] == "2026-11-30" and first["currency"] == "EUR"
    assert first["measures"] == {
        "spend": Decimal("1536.240000"),
        "clicks": Decimal("120.000000"),
        "impressions": Decimal("3400.000000"),
        "conversions": Decimal("2.500000"),
    }
    second = facts[f"{ACME}|2|2026-11-30"]["measures"]
    assert second["spend"] == Decimal("1.000001") and second["clicks"] == Decimal(0)  # omitted
    usd = facts[f"{NORDLICHT}|7|2026-12-01"]
    assert usd["currency"] == "USD" and usd["measures"]["conversions"] == Decimal("0.25")
    dimensions = first["dimensions"]
    assert '"campaign": "Campaign 1"' in str(dimensions).replace('":"', '": "')
    with engine.connect() as conn:
        records_written = conn.execute(
            sa.text(
                "SELECT (SELECT COUNT(*) FROM crm_deals) + (SELECT COUNT(*) FROM quote_requests)"
            )
        ).scalar_one()
        reasons = conn.execute(sa.text("SELECT reason FROM integration_dead_letters")).scalars()
        reasons = sorted(reasons)
    assert records_written == 0  # spend is no longer forced into deal.amount
    assert "client_key (Client): required" in reasons[0]
    assert "measures.clicks (Clicks): at least 0; got '-4'" in reasons[1]


def test_a_restated_day_is_updated_with_its_values_before_and_after(engine: sa.Engine) -> None:
    spec = ads_spec()
    days = ["2026-11-28", "2026-11-29", "2026-11-30"]
    first = [landed(ACME, day, 1, conversions=2.0) for day in days]
    ingest(engine, spec, first)
    restated = [landed(ACME, day, 1, conversions=2.0) for day in days[:2]]
    restated.append(landed(ACME, days[2], 1, conversions=3.5, clicks=118))
    batch = ingest(engine, spec, restated)
    counts = assert_every_row_accounted(engine, batch, 3)
    assert (counts["duplicate"], counts["updated"]) == (2, 1)
    with engine.connect() as conn:
        revisions = conn.execute(
            sa.text(
                "SELECT f.external_id, r.measure_key, r.value_before, r.value_after, r.batch_id "
                "FROM metric_fact_revisions r JOIN metric_facts f ON f.id = r.fact_id "
                "ORDER BY r.measure_key"
            )
        ).all()
    assert [(e, m, Decimal(str(b)), Decimal(str(a)), n) for e, m, b, a, n in revisions] == [
        (f"{ACME}|1|2026-11-30", "clicks", Decimal(120), Decimal(118), batch),
        (f"{ACME}|1|2026-11-30", "conversions", Decimal(2), Decimal("3.5"), batch),
    ]
    assert stored(engine)[f"{ACME}|1|2026-11-30"]["measures"]["conversions"] == Decimal("3.5")
    again = ingest(engine, spec, restated)
    assert assert_every_row_accounted(engine, again, 3)["duplicate"] == 3
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM metric_fact_revisions")).scalar_one() == 2


def test_a_measure_beyond_what_it_holds_fails_its_row(engine: sa.Engine) -> None:
    spec = ads_spec()
    records = [
        landed(ACME, "2026-11-30", 1, cost_micros=999_999_999_999_999),  # 999,999,999.999999
        landed(ACME, "2026-11-30", 2, cost_micros=1_000_000_000_000_000),  # a billion euros
        landed(ACME, "2026-11-30", 3, impressions=10**15),
    ]
    batch = ingest(engine, spec, records)
    assert assert_every_row_accounted(engine, batch, 3)["failed"] == 2
    facts = stored(engine)
    assert facts[f"{ACME}|1|2026-11-30"]["measures"]["spend"] == Decimal("999999999.999999")
    with engine.connect() as conn:
        checks = sorted(
            conn.execute(sa.text("SELECT failing_check FROM integration_dead_letters")).scalars()
        )
    assert checks == ["a finite number under 10^9", "a finite number under 10^9"]


_ACCOUNTS = itertools.count(1)
micros = st.integers(min_value=0, max_value=999_999_999_999_999) | st.sampled_from(
    [999_999_999_999_999, 123_456_789_012_345, 1]
)


@pytest.mark.parametrize("chunk", [7, mysql_bulk.BULK_MIN_ROWS], ids=["small", "bulk"])
def test_money_sums_to_the_micro_in_the_database(engine: sa.Engine, chunk: int) -> None:
    """Whatever the costs, in small chunks (multi-row inserts, JSON_TABLE) and above the bulk
    threshold (LOAD DATA files): the spend the proof reads back from the database's sums is
    the exact decimal sum, to the micro, past what a double holds."""
    from zartsalgo_pipelines.storage.proof.fact_buckets import FactScope, day_buckets

    @PROFILE
    @given(costs=st.lists(micros, min_size=1, max_size=3 * chunk))
    @example(costs=[999_999_999_999_999] * 50 + [1])  # 49,999,999,999.999951: 17 digits
    def check(costs: list[int]) -> None:
        account = f"{next(_ACCOUNTS):010d}"
        client = f"client-{account}"
        spec = ads_spec(
            fields=[
                f if f.target != "client_key" else f.model_copy(update={"source": f"'{client}'"})
                for f in ads_spec().fields
            ]
        )
        # One day, one campaign per cost: the database sums them all in one group.
        records = [landed(account, "2026-01-01", n, cost_micros=c) for n, c in enumerate(costs)]
        ingest(engine, spec, records, chunk)
        with engine.connect() as conn:
            scope = FactScope("ads_google", client_key=client)
            total = sum(b.sums["spend"][0] for b in day_buckets(conn, scope, ["spend"]))
        expected = sum(Decimal(c) for c in costs) / Decimal(1_000_000)
        assert total == expected

    check()


def test_an_hourly_report_keeps_its_hours(engine: sa.Engine) -> None:
    daily = ads_spec()
    assert daily.facts is not None
    fields = [
        f.model_copy(update={"source": "join('|', [customer.id, campaign.id, segments.date, "
                                       "to_string(segments.hour)])"})
        if f.target == "external_id"
        else f
        for f in daily.fields
    ]  # fmt: skip
    hour = {"source": "segments.hour", "target": "fact_hour", "type": "integer",
            "required": True, "label": "Hour"}  # fmt: skip
    spec = ProviderSpec.model_validate(
        daily.model_dump()
        | {
            "facts": daily.facts.model_dump() | {"grain": "hour"},
            "fields": [f.model_dump() for f in fields] + [hour],
        }
    )
    records = []
    for n, at in enumerate([0, 23, 24]):
        row = landed(ACME, "2026-11-30", n)
        row["segments"]["hour"] = at
        records.append(row)
    batch = ingest(engine, spec, records)
    assert assert_every_row_accounted(engine, batch, 3)["failed"] == 1
    with engine.connect() as conn:
        hours = sorted(conn.execute(sa.text("SELECT fact_hour FROM metric_facts")).scalars())
        check = conn.execute(sa.text("SELECT failing_check FROM integration_dead_letters"))
        assert check.scalar_one() == "an hour 0-23"
    assert hours == [0, 23]
