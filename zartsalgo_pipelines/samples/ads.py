"""The shipped `ads_google` provider's sample export for a given day, and the benchmark's facts.

The demo (``python3 dev.py start``) shows the paused Google Ads provider from this export: its
records as the API extract lands them (each with the `_account` the fan-out adds), nine weeks of
daily rows per client and campaign up to the day before ``today``, the same weeks as the quote
requests (``demo.py``). Cost in micros (a text, as Google sends int64 metrics), clicks and
impressions whole, conversions a decimal; a metric that is zero is left out, as Google does.

acme-roofing raised its budget by 40 % in the last finished week (W-1): its spend is higher
beyond chance, which a neutral metric calls "higher", never "better"; nordlicht-solar's ads ran
as usual in the week its quote requests dropped to 2, so its cost per quote request rose.

A row's content is a function of its client, campaign and day, except that the last three days
are restated: their conversions still grow (60 %, 80 %, 90 % of the final number for yesterday,
the day before and the one before that), so the export made a day later sends those rows with
more conversions, and they come back as `updated` with their earlier values kept. One row (an
older week of acme-roofing) has negative clicks, which the field map refuses: a dead letter.
The same day always gives byte-identical output.
"""

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zartsalgo_pipelines.samples import scenario
from zartsalgo_pipelines.settings import DEFS_DIR

SAMPLE_PATH = DEFS_DIR / "ads_google" / "sample" / "ads_report.jsonl"
RESTATED = {1: 0.6, 2: 0.8, 3: 0.9}  # days before today -> share of the final conversions


@dataclass(frozen=True)
class Account:
    client: str
    account_id: str
    weekly_spend: int  # EUR in an ordinary week, over all campaigns
    cost_per_click: float  # EUR


@dataclass(frozen=True)
class Campaign:
    number: int
    name: str
    channel: str
    share: float  # of the account's spend
    cpc_factor: float
    conversion_rate: float


ACCOUNTS = (
    Account("acme-roofing", "1112223333", 1400, 1.9),
    Account("nordlicht-solar", "4445556666", 1500, 2.4),
    Account("casa-verde", "7778889999", 700, 1.2),
    Account("kuchen-kraft", "2223334444", 1000, 1.6),
    Account("blue-harbor-hvac", "5556667777", 250, 1.1),
)
CAMPAIGNS = (
    Campaign(1, "Brand search", "SEARCH", 0.35, 0.6, 0.09),
    Campaign(2, "Generic search", "SEARCH", 0.5, 1.3, 0.05),
    Campaign(3, "Remarketing", "DISPLAY", 0.15, 0.7, 0.02),
)
WEEKDAY = (1.15, 1.1, 1.05, 1.0, 0.95, 0.8, 0.75)  # Monday first
BAD_ROW = ("acme-roofing", 6, 2)  # (client, weeks before today's week, campaign): clicks < 0
RAISED = ("acme-roofing", 1, 1.4)  # (client, weeks before today's week, budget factor)


def ad_rows(today: dt.date) -> list[dict[str, Any]]:
    """Every record of the sample export for ``today``, by account, day and campaign."""
    first = scenario.week_start(today) - dt.timedelta(weeks=scenario.WEEKS)
    rows = []
    for account in ACCOUNTS:
        day = first
        while day < today:
            for campaign in CAMPAIGNS:
                rows.append(_row(account, campaign, day, today))
            day += dt.timedelta(days=1)
    return rows


def _row(account: Account, campaign: Campaign, day: dt.date, today: dt.date) -> dict[str, Any]:
    rng = scenario.rng_for(account.client, campaign.number, day, "ads")
    weeks_ago = (scenario.week_start(today) - scenario.week_start(day)).days // 7
    spend = account.weekly_spend / 7 * campaign.share * WEEKDAY[day.weekday()]
    spend *= rng.uniform(0.85, 1.15)
    if (account.client, weeks_ago) == RAISED[:2]:
        spend *= RAISED[2]
    cost_micros = round(spend * 1_000_000)
    cost_per_click = account.cost_per_click * campaign.cpc_factor * rng.uniform(0.9, 1.1)
    clicks = max(1, round(spend / cost_per_click))
    impressions = clicks * rng.randrange(18, 45)
    final = round(clicks * campaign.conversion_rate * rng.uniform(0.6, 1.4), 2)
    conversions = round(final * RESTATED.get((today - day).days, 1.0), 2)
    if (account.client, weeks_ago, campaign.number) == BAD_ROW and day.weekday() == 2:
        clicks = -clicks  # refused by the field map (min: 0): one dead letter
    metrics = {
        "costMicros": str(cost_micros),
        "clicks": str(clicks),
        "impressions": str(impressions),
        "conversions": conversions,
    }
    return {
        "customer": {"id": account.account_id, "currencyCode": "EUR"},
        "campaign": {
            "id": str(campaign.number),
            "name": campaign.name,
            "advertisingChannelType": campaign.channel,
        },
        "segments": {"date": day.isoformat()},
        "metrics": {k: v for k, v in metrics.items() if v not in ("0", 0)},
        "_account": {"id": account.account_id, "client_key": account.client},
    }


def write_ads(today: dt.date, path: Path = SAMPLE_PATH) -> int:
    """Write the sample export for ``today`` to ``path`` (atomically); returns the line count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(row, sort_keys=True) + "\n" for row in ad_rows(today))
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(lines, encoding="utf-8")
    partial.replace(path)
    return lines.count("\n")


def benchmark_facts(rows: int) -> Iterator[dict[str, Any]]:
    """``rows`` daily fact records as the API extract lands them, for the benchmark: 500
    accounts x 4 campaigns per day, going back a day every 2,000 rows, ~1 % failing the field
    map (negative clicks), deterministic."""
    first = dt.date(2026, 12, 6)
    for number in range(rows):
        day = first - dt.timedelta(days=number // 2000)
        account = f"{1_000_000_000 + (number // 4) % 500}"
        rng = scenario.rng_for(number)
        clicks = rng.randrange(1, 400)
        if number % 97 == 13:
            clicks = -clicks
        yield {
            "customer": {"id": account, "currencyCode": "EUR"},
            "campaign": {
                "id": str(number % 4 + 1),
                "name": CAMPAIGNS[number % 3].name,
                "advertisingChannelType": CAMPAIGNS[number % 3].channel,
            },
            "segments": {"date": day.isoformat()},
            "metrics": {
                "costMicros": str(clicks * rng.randrange(400_000, 3_000_000)),
                "clicks": str(clicks),
                "impressions": str(clicks * rng.randrange(15, 50)),
                "conversions": round(clicks * rng.uniform(0, 0.1), 2),
            },
            "_account": {"id": account, "client_key": f"client-{(number // 4) % 500:03d}"},
        }
