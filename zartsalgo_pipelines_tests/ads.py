"""The shipped `ads_google` spec pointed at the fake API, and the fake's search results for it:
shared by the fact intake, fact proof and shipped-provider tests."""

import datetime as dt
from typing import Any

from zartsalgo_pipelines.settings import DEFS_DIR
from zartsalgo_pipelines.specs.loading import load_spec_file
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests.fake_api import FakeApi

ADS_DEFS = DEFS_DIR / "ads_google" / "defs.yaml"
ACME, NORDLICHT = "1112223333", "4445556666"
SECRETS = {
    "GOOGLE_ADS_CLIENT_ID": "ads-client",
    "GOOGLE_ADS_CLIENT_SECRET": "ads-s3cret-value",
    "GOOGLE_ADS_REFRESH_TOKEN": "rt-first-refresh-token",
    "GOOGLE_ADS_DEVELOPER_TOKEN": "dev-token-value",
}


def shipped_ads() -> ProviderSpec:
    return load_spec_file(ADS_DEFS).spec


def ads_spec(api: FakeApi | None = None, **overrides: Any) -> ProviderSpec:
    """The shipped ads_google spec, connected, pointed at the fake API with fast retries and
    only the accounts the fake serves (``overrides`` replace top-level keys)."""
    data = shipped_ads().model_dump()
    data["status"] = "connected"
    if api is not None:
        data["auth"]["token_url"] = f"{api.url}/oauth/token"
        data["source"] |= {
            "base_url": f"{api.url}/v17",
            "http_retries": {"max_retries": 3, "backoff_factor": 0.01, "jitter_seconds": 0.01},
            "rate_limit": {"requests_per_second": 500},
        }
        data["source"]["fan_out"] = {
            "accounts": [
                {"id": ACME, "client_key": "acme-roofing"},
                {"id": NORDLICHT, "client_key": "nordlicht-solar"},
            ]
        }
    return ProviderSpec.model_validate(data | overrides)


def days(first: dt.date, last: dt.date) -> list[str]:
    return [str(first + dt.timedelta(days=n)) for n in range((last - first).days + 1)]
