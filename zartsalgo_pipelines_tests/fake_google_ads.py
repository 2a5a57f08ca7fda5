"""The fake API's Google Ads search route (``fake_api.py`` serves it), shaped like the Google Ads
API's `googleAds:search`: one customer account per request, results with `customer`,
`campaign`, `segments` and `metrics` (int64 metrics as strings, a metric that is zero left out),
`nextPageToken` for the next page (sent back as `pageToken` in the body).

Route:
    POST /v17/customers/<id>/googleAds:search   body {query, dateRange: {startDate, endDate},
                                                 pageToken}; rows dated in the range, both
                                                 days included
A range is refused with Google's own 400 shape when a bound is not a plain date or the range is
longer than the fake's ``max_window_days``.
"""

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zartsalgo_pipelines_tests.fake_api import FakeApi

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ROUTE = re.compile(r"^/v17/customers/(?P<account>[^/]+)/googleAds:search$")
PREFIX = "/v17/customers/"


def result(
    account: str,
    day: str,
    campaign: int,
    *,
    cost_micros: int | str | None = 1_536_240_000,
    clicks: int | None = 120,
    impressions: int | None = 3400,
    conversions: float | None = 2.5,
    currency: str = "EUR",
) -> dict[str, Any]:
    """One search result as Google Ads returns it (zero or absent metrics left out)."""
    metrics = {
        "costMicros": None if cost_micros is None else str(cost_micros),
        "clicks": None if clicks is None else str(clicks),
        "impressions": None if impressions is None else str(impressions),
        "conversions": conversions,
    }
    return {
        "customer": {
            "resourceName": f"customers/{account}",
            "id": account,
            "currencyCode": currency,
        },
        "campaign": {
            "resourceName": f"customers/{account}/campaigns/{campaign}",
            "id": str(campaign),
            "name": f"Campaign {campaign}",
            "advertisingChannelType": "SEARCH",
        },
        "segments": {"date": day},
        "metrics": {k: v for k, v in metrics.items() if v not in (None, 0, "0")},
    }


def answer(api: "FakeApi", path: str, body: Any) -> tuple[int, Any]:
    """Status and JSON body for a search request."""
    match = _ROUTE.match(path)
    if match is None or not isinstance(body, dict):
        return 404, _error(404, "NOT_FOUND", "no such route")
    account = match["account"]
    if account not in api.report_rows:
        return 403, _error(
            403, "PERMISSION_DENIED", f"User doesn't have permission to access customer {account}."
        )
    window = body.get("dateRange") or {}
    since, until = str(window.get("startDate")), str(window.get("endDate"))
    if not (_DATE.fullmatch(since) and _DATE.fullmatch(until)):
        return 400, _error(400, "INVALID_ARGUMENT", "dateRange must be YYYY-MM-DD dates")
    days = (dt.date.fromisoformat(until) - dt.date.fromisoformat(since)).days + 1
    if days > api.max_window_days:
        return 400, _error(
            400, "INVALID_ARGUMENT", f"dateRange may span at most {api.max_window_days} days"
        )
    rows = [r for r in api.report_rows[account] if since <= r["segments"]["date"] <= until]
    start = int(body.get("pageToken") or 0)
    following = start + api.page_size
    page: dict[str, Any] = {"results": rows[start:following], "fieldMask": "metrics.costMicros"}
    if following < len(rows):
        page["nextPageToken"] = str(following)
    return 200, page


def _error(code: int, status: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}
