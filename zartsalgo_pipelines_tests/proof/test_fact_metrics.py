"""Scenario: the agency's headline numbers from an ad platform's facts, on SQLite and MySQL.

- Spend is a `sum` of a money measure with `good_direction: neutral`: a rise beyond chance reads
  "Higher than the week before [higher]", never "better".
- Cost per click is a `ratio` of two measures, cost per quote request a ratio whose denominator
  is another provider's count for the same client and week: 1,536.24 EUR / 6 requests =
  256.04 EUR, exact; `proof explain` shows both sides with their batches.
- Honest by construction: nothing to divide by is a status in words (never Infinity); the card
  is hidden, with both sides named, while the other side's card is hidden; money is read in the
  metric's currency only; a ratio no test fits claims no trend; the days the platform may still
  restate are caveated as provisional.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from scipy import stats

from zartsalgo_pipelines.pipeline.run import ingest_rows, open_direct_batch
from zartsalgo_pipelines.proof.cards import Card
from zartsalgo_pipelines.proof.explain import NotFoundError, explain, show
from zartsalgo_pipelines.proof.golive import mark_live, withdraw
from zartsalgo_pipelines.proof.metrics import refresh_client_metrics
from zartsalgo_pipelines.proof.refresh import refresh_portal_cards
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests.ads import ACME, ads_spec
from zartsalgo_pipelines_tests.fake_google_ads import result
from zartsalgo_pipelines_tests.helpers import quote
from zartsalgo_pipelines_tests.proof.portal_helpers import portal_spec

W1, W2 = dt.date(2026, 11, 23), dt.date(2026, 11, 30)  # two Mondays
NOW = dt.datetime(2026, 12, 10, 12)  # W2 is over; its last day is outside a 3-day restatement


def facts(engine: sa.Engine, spec: ProviderSpec, rows: list[tuple[str, int, int, int]]) -> None:
    """(day, campaign, cost in micros, clicks) rows of acme-roofing's account, EUR."""
    records = [
        result(ACME, day, campaign, cost_micros=cost, clicks=clicks, conversions=1.5)
        | {"_account": {"id": ACME, "client_key": "acme-roofing"}}
        for day, campaign, cost, clicks in rows
    ]
    _ingest(engine, spec, records)


def _ingest(engine: sa.Engine, spec: ProviderSpec, records: list[Any]) -> None:
    rows = [SourceRow("page-000001.jsonl", n, r) for n, r in enumerate(records, 1)]
    ingest_rows(engine, spec, open_direct_batch(engine, spec, "api", "pages"), rows)


def requests(engine: sa.Engine, spec: ProviderSpec, week: dt.date, n: int, tag: str) -> None:
    records = [
        quote(0, submitted_at=f"{week + dt.timedelta(days=i % 5)}T10:00:00Z") | {"id": f"{tag}{i}"}
        for i in range(n)
    ]
    _ingest(engine, spec, records)


def refresh(engine: sa.Engine, specs: list[ProviderSpec], now: dt.datetime = NOW) -> list[Card]:
    with engine.begin() as conn:
        for spec in specs:
            refresh_client_metrics(conn, spec, now)
        return refresh_portal_cards(conn, specs, now).cards


def go_live(engine: sa.Engine, *specs: ProviderSpec) -> None:
    with engine.begin() as conn:
        for spec in specs:
            mark_live(conn, spec, decided_by="ana@zartsalgo.example", now=NOW)


def card(cards: list[Card], metric: str, week: dt.date = W2) -> Card:
    return next(c for c in cards if c.metric_key == metric and c.period_start == week)


@pytest.fixture
def quotes(make_spec: Any) -> ProviderSpec:
    """The shipped quote_request metrics' requests_received, in Europe/Berlin like the ads."""
    return portal_spec(make_spec, timezone="Europe/Berlin")


def test_cost_per_quote_request_divides_spend_by_the_other_providers_requests(
    engine: sa.Engine, quotes: ProviderSpec
) -> None:
    ads = ads_spec()
    rows = [("2026-11-23", 1, 1_000_000_000, 400), ("2026-11-30", 1, 1_000_000_000, 500)]
    facts(engine, ads, [*rows, ("2026-12-01", 2, 536_240_000, 120)])
    requests(engine, quotes, W1, 9, "QR-A")
    requests(engine, quotes, W2, 6, "QR-B")
    go_live(engine, ads, quotes)
    cards = refresh(engine, [ads, quotes])
    per_request = card(cards, "cost_per_quote_request")
    assert per_request.current_value == Decimal("256.0400")  # 1,536.24 EUR / 6 requests
    assert per_request.current_display == "€256.04"
    assert per_request.baseline_value == Decimal("111.1111")  # 1,000 EUR / 9 requests
    assert per_request.sample_size == 6 and per_request.shown
    # The count given its exposure: 6 requests for 1,536.24 EUR against 9 for 1,000 EUR.
    expected = stats.binomtest(6, 15, 1536.24 / 2536.24).pvalue
    with engine.connect() as conn:
        found = explain(conn, [ads, quotes], "acme-roofing", "cost_per_quote_request", W2)
    assert found["p_value"] == pytest.approx(expected)
    assert found["what"] == ("Cost / Quote requests received (Website quote requests), in EUR only")
    spend, counted = found["sides"]
    assert (spend["side"], spend["value"]) == ("numerator", "€1,536.24")
    assert spend["what"] == "sum of Cost over 2 report rows"
    assert [b["rows"] for b in spend["batches"]] == [2]
    assert (counted["side"], counted["value"]) == ("denominator", "6 requests")
    assert counted["batches"][0]["rows"] == 6 and "failed" in counted["batches"][0]
    assert found["records_counted"] == "6 requests"
    click = card(cards, "cost_per_click")
    assert click.current_value == Decimal("2.4778")  # 1,536.24 EUR / 620 clicks (rounded)
    assert click.current_display == "€2.48"


def test_rising_spend_reads_higher_never_better(engine: sa.Engine, quotes: ProviderSpec) -> None:
    ads = ads_spec()
    # Four campaigns a day: 100 EUR each in the first week, 190 EUR in the second.
    days = [(W1, 100_000_000), (W2, 190_000_000)]
    rows = [
        (str(week + dt.timedelta(days=d)), campaign, cost, 50)
        for week, cost in days
        for d in range(7)
        for campaign in range(4)
    ]
    facts(engine, ads, rows)
    go_live(engine, ads)
    spend = card(refresh(engine, [ads]), "ad_spend")
    assert spend.current_value == Decimal("5320.0000")
    assert (spend.status, spend.status_text) == ("higher", "Higher than the week before")
    assert "Better" not in spend.status_text and spend.comparison is not None


def test_nothing_to_divide_by_is_a_status_in_words(engine: sa.Engine, quotes: ProviderSpec) -> None:
    ads = ads_spec()
    facts(engine, ads, [("2026-11-24", 1, 300_000_000, 0), ("2026-12-01", 1, 300_000_000, 0)])
    requests(engine, quotes, W1, 3, "QR-C")  # and none in W2
    go_live(engine, ads, quotes)
    cards = refresh(engine, [ads, quotes])
    for metric in ("cost_per_click", "cost_per_quote_request"):
        shown = card(cards, metric)
        assert shown.status == "no_denominator" and shown.current_value is None
        assert shown.status_text == "Nothing to divide by this week"
        texts = f"{shown.current_display} {shown.change_display} {shown.comparison}"
        assert "inf" not in texts.lower() and "nan" not in texts.lower()
    assert card(cards, "cost_per_quote_request").next_action.startswith("No quote requests")


def test_the_card_is_hidden_while_the_other_side_is(
    engine: sa.Engine, quotes: ProviderSpec
) -> None:
    ads = ads_spec()
    facts(engine, ads, [("2026-11-24", 1, 300_000_000, 80), ("2026-12-01", 1, 350_000_000, 90)])
    requests(engine, quotes, W1, 4, "QR-D")
    requests(engine, quotes, W2, 5, "QR-E")
    go_live(engine, ads)  # the quote requests are not live: their cards are hidden
    cards = refresh(engine, [ads, quotes])
    hidden = card(cards, "cost_per_quote_request")
    assert (hidden.visibility, hidden.visibility_reason) == ("hidden", "other_side_hidden")
    assert card(cards, "cost_per_click").shown  # its own measures only
    with engine.connect() as conn:
        seen = show(conn, "acme-roofing", W2)
    (gone,) = [h for h in seen["hidden"] if h["card"] == "Cost per quote request"]
    assert "Quote requests received (Website quote requests)" in gone["reason"]
    assert "not marked live" in gone["reason"]
    go_live(engine, quotes)
    assert card(refresh(engine, [ads, quotes]), "cost_per_quote_request").shown
    with engine.begin() as conn:
        withdraw(conn, quotes, decided_by="ana@zartsalgo.example", now=NOW)
    assert not card(refresh(engine, [ads, quotes]), "cost_per_quote_request").shown
    # Without the other provider at all, there is nothing to divide by honestly: no card.
    assert card(refresh(engine, [ads]), "cost_per_quote_request").visibility == "hidden"


def test_money_is_read_in_the_metrics_currency_only(engine: sa.Engine) -> None:
    ads = ads_spec()
    eur = result(ACME, "2026-12-01", 1, cost_micros=100_000_000) | {
        "_account": {"id": ACME, "client_key": "acme-roofing"}
    }
    usd = result(ACME, "2026-12-01", 2, cost_micros=900_000_000, currency="USD") | {
        "_account": {"id": ACME, "client_key": "acme-roofing"}
    }
    _ingest(engine, ads, [eur, usd])
    go_live(engine, ads)
    spend = card(refresh(engine, [ads]), "ad_spend")
    assert spend.current_value == Decimal("100.0000")  # never 1,000 of mixed money
    with engine.connect() as conn:
        found = explain(conn, [ads], "acme-roofing", "ad_spend", W2)
    (side,) = found["sides"]
    assert side["left_out"] == ["1 report rows in USD (never converted or mixed)"]


def test_a_ratio_no_test_fits_claims_no_trend(engine: sa.Engine) -> None:
    base = ads_spec()
    per_conversion = base.metrics[1].model_copy(
        update={
            "key": "cost_per_conversion",
            "denominator": "measures.conversions",
            "min_sample": 1,
        }
    )
    ads = base.model_copy(update={"metrics": [per_conversion]})
    # Mondays: a first week whose facts begin later is partial, and compared with nothing.
    facts(engine, ads, [("2026-11-23", 1, 300_000_000, 80), ("2026-11-30", 1, 900_000_000, 90)])
    go_live(engine, ads)
    shown = card(refresh(engine, [ads]), "cost_per_conversion")
    assert shown.status == "untested"  # attributed conversions are no whole count
    assert shown.status_text == "Changed against the week before; no trend is claimed"
    assert shown.comparison is not None and "no trend is claimed" in shown.comparison


def test_days_the_platform_may_restate_are_provisional(engine: sa.Engine) -> None:
    ads = ads_spec()
    facts(engine, ads, [("2026-11-24", 1, 300_000_000, 80), ("2026-12-01", 1, 350_000_000, 90)])
    go_live(engine, ads)
    inside = dt.datetime(2026, 12, 9, 12)  # W2's last day, 6 December, is one of the 3 days
    recent = card(refresh(engine, [ads], inside), "ad_spend")
    assert recent.has_caveat("provisional") and not recent.has_caveat("restatable")
    assert "Google Ads may still revise its last 3 days" in (recent.caveat or "")
    later = card(refresh(engine, [ads], NOW), "ad_spend")
    assert not later.has_caveat("provisional") and later.has_caveat("restatable")


def test_explain_finds_the_platform_that_holds_a_metric_key_two_platforms_share(
    engine: sa.Engine,
) -> None:
    """A second ad platform copied from `ads_google` (as provider_spec.md says to start one)
    declares the same metric keys; `proof explain CLIENT ad_spend` reads the one with a value,
    `ads_meta.ad_spend` names it, and two with values are named rather than one guessed."""
    google, meta = ads_spec(), ads_spec(key="ads_meta", display_name="Meta Ads")
    facts(engine, meta, [("2026-11-30", 1, 1_000_000_000, 400)])
    go_live(engine, meta)
    refresh(engine, [google, meta])
    with engine.connect() as conn:
        found = explain(conn, [google, meta], "acme-roofing", "ad_spend", W2)
        assert (found["provider"], found["value"]) == ("ads_meta", "€1,000.00")
        named = explain(conn, [google, meta], "acme-roofing", "ads_meta.ad_spend", W2)
        assert named["provider"] == "ads_meta"
    facts(engine, google, [("2026-12-01", 2, 500_000_000, 100)])
    go_live(engine, google)
    refresh(engine, [google, meta])
    with engine.connect() as conn:
        with pytest.raises(NotFoundError) as both:
            explain(conn, [google, meta], "acme-roofing", "ad_spend", W2)
        named = explain(conn, [google, meta], "acme-roofing", "ads_google.ad_spend", W2)
    assert "ads_google.ad_spend, ads_meta.ad_spend" in str(both.value)
    assert (named["provider"], named["value"]) == ("ads_google", "€500.00")
