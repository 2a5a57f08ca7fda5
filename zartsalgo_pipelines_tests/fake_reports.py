"""The fake API's ad-platform routes (``fake_api.py`` serves them), shaped like Google Ads and
Meta reports: a manager account lists its client accounts, and each account's daily rows are
read per date window with cursor pages.

Routes:
    GET /reports/accounts?cursor=N                 the manager's accounts under `accounts`,
                                                   `next` names the following page
    GET /reports/<account>/daily?since&until&cursor  the account's rows dated since..until (both
    GET /reports/daily?account_id=<account>&...      included) under `rows`, `next_cursor`
A window is refused with the API's own 400 message: `since/until must be YYYY-MM-DD` when a
bound is not a plain date, `since/until may span at most N days` when it is too long.
"""

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zartsalgo_pipelines_tests.fake_api import FakeApi

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATE_MESSAGE = "since/until must be YYYY-MM-DD"
SERVE_ON = "_serve_on"  # a row without a `date` is served in the window holding this day


def ad_row(account: str, day: str, campaign: int, **values: Any) -> dict[str, Any]:
    """One daily report row as the ad platform sends it: cost in micros, conversions a float."""
    return {
        "account_id": account,
        "date": day,
        "campaign_id": str(campaign),
        "campaign_name": f"Campaign {campaign}",
        "impressions": 1000 + campaign,
        "clicks": 40 + campaign,
        "cost_micros": str(1_536_240_000 + campaign * 10_000),
        "conversions": 2.5,
        "currency": "EUR",
    } | values


def answer(api: "FakeApi", path: str, query: dict[str, str]) -> tuple[int, Any]:
    """Status and JSON body for a `/reports/...` request."""
    parts = path.removeprefix("/reports/").split("/")
    if parts == ["accounts"]:
        return 200, _page(api, api.report_accounts, query.get("cursor"), "accounts", "next")
    account = query.get("account_id") if parts == ["daily"] else parts[0]
    if not (len(parts) == 2 and parts[1] == "daily") and parts != ["daily"]:
        return 404, {"error": {"message": "no such route"}}
    if account not in api.report_rows:
        return 404, {"error": {"message": f"no such account: {account}"}}
    since, until = query.get("since", ""), query.get("until", "")
    if not (_DATE.fullmatch(since) and _DATE.fullmatch(until)):
        return 400, {"error": {"code": 400, "message": DATE_MESSAGE}}
    first, last = dt.date.fromisoformat(since), dt.date.fromisoformat(until)
    if (last - first).days + 1 > api.max_window_days:
        message = f"since/until may span at most {api.max_window_days} days"
        return 400, {"error": {"code": 400, "message": message}}
    rows = [
        {k: v for k, v in r.items() if k != SERVE_ON}
        for r in api.report_rows[account]
        if since <= str(r.get("date") or r.get(SERVE_ON)) <= until
    ]
    return 200, _page(api, rows, query.get("cursor"), "rows", "next_cursor")


def _page(api: "FakeApi", rows: list[Any], cursor: str | None, key: str, next_key: str) -> Any:
    start = int(cursor or 0)
    following = start + api.page_size
    return {
        key: rows[start:following],
        next_key: str(following) if following < len(rows) else None,
    }
