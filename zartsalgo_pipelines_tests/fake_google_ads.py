"""The fake API's Google Ads search route (``fake_api.py`` serves it), shaped like the Google Ads
API's `googleAds:search`: one customer account per request, results with `customer`,
`campaign`, `segments` and `metrics` (int64 metrics as strings, a metric that is zero left out),
`nextPageToken` for the next page (sent back as `pageToken` in the body).

Route:
    POST /v17/customers/<id>/googleAds:search   body {query, pageToken}, the range in the
                                                 query: WHERE segments.date BETWEEN 'a' AND
                                                 'b' (both days included); header
                                                 developer-token (when the fake wants one)
A query without such a range, or a range longer than the fake's ``max_window_days``, is refused
with Google's own 400 shape; a missing or wrong developer token with its 401.
"""

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zartsalgo_pipelines_tests.fake_api import FakeApi

# The date range as Google takes it: inside the GAQL text (a bound that is not a plain date
# does not match, and the request is refused as Google refuses a malformed query).
_BETWEEN = re.compile(
    r"segments\.date BETWEEN '(?P<since>\d{4}-\d{2}-\d{2})' AND '(?P<until>\d{4}-\d{2}-\d{2})'"
)
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


def answer(api: "FakeApi", path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
    """Status and JSON body for a search request."""
    match = _ROUTE.match(path)
    if match is None or not isinstance(body, dict):
        return 404, _error(404, "NOT_FOUND", "no such route")
    account = match["account"]
    if account not in api.report_rows:
        return 403, _error(
            403, "PERMISSION_DENIED", f"User doesn't have permission to access customer {account}."
        )
    if api.developer_token is not None and headers.get("developer-token") != api.developer_token:
        return 401, _error(401, "UNAUTHENTICATED", "The developer token is not valid.")
    window = _BETWEEN.search(str(body.get("query") or ""))
    if window is None:
        return 400, _error(
            400, "INVALID_ARGUMENT", "the query needs WHERE segments.date BETWEEN 'a' AND 'b'"
        )
    since, until = window["since"], window["until"]
    days = (dt.date.fromisoformat(until) - dt.date.fromisoformat(since)).days + 1
    if days > api.max_window_days:
        return 400, _error(
            400, "INVALID_ARGUMENT", f"segments.date may span at most {api.max_window_days} days"
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
