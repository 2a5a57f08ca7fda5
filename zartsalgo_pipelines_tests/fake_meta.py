"""The fake API's Meta Marketing API route (``fake_api.py`` serves it), shaped like the Graph
API's insights edge:

    GET /v19.0/act_<account>/insights?level=campaign&time_increment=1&fields=...&limit=N
        &time_range={"since":"YYYY-MM-DD","until":"YYYY-MM-DD"}[&after=N]

Rows dated within the range (both days included), numbers as strings, leads inside `actions`,
at most `page_size` a page; `paging.next` is the full URL of the next page, repeating the
request's query (the access token included, as the Graph API does). A time_range that is not
that JSON object, or longer than `max_window_days`, is refused with a 400 in the Graph API's
error shape.
"""

import datetime as dt
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from zartsalgo_pipelines_tests.fake_reports import SERVE_ON

if TYPE_CHECKING:
    from zartsalgo_pipelines_tests.fake_api import FakeApi

PREFIX = "/v19.0/act_"
RANGE_MESSAGE = '(#100) time_range must be {"since":"YYYY-MM-DD","until":"YYYY-MM-DD"}'


def insight(account: str, day: str, campaign: int, **values: Any) -> dict[str, Any]:
    """One campaign's day as the insights edge sends it."""
    return {
        "date_start": day,
        "date_stop": day,
        "campaign_id": f"2385{campaign:04d}",
        "campaign_name": f"Campaign {campaign}",
        "spend": "12.34",
        "clicks": "5",
        "impressions": "100",
        "account_currency": "EUR",
        "actions": [
            {"action_type": "link_click", "value": "5"},
            {"action_type": "lead", "value": "2"},
            {"action_type": "onsite_conversion.lead_grouped", "value": "2"},
        ],
    } | values


def _error(message: str, code: int = 100) -> tuple[int, Any]:
    return 400, {"error": {"message": message, "type": "OAuthException", "code": code}}


def answer(api: "FakeApi", path: str, query: dict[str, str]) -> tuple[int, Any]:
    """Status and JSON body for a `/v19.0/act_<account>/insights` request."""
    account, _, edge = path.removeprefix(PREFIX).partition("/")
    if edge != "insights" or account not in api.meta_rows:
        return _error(f"Unsupported get request. Object with ID 'act_{account}' does not exist")
    try:
        window = json.loads(query["time_range"])
        since = dt.date.fromisoformat(window["since"])
        until = dt.date.fromisoformat(window["until"])
    except (KeyError, TypeError, ValueError):
        return _error(RANGE_MESSAGE)
    if (until - since).days + 1 > api.max_window_days:
        return _error(f"(#100) time_range may span at most {api.max_window_days} days")
    rows = [
        {k: v for k, v in r.items() if k != SERVE_ON}
        for r in api.meta_rows[account]
        if str(since) <= str(r.get("date_start") or r.get(SERVE_ON)) <= str(until)
    ]
    # Like the Graph API, a page may hold fewer rows than `limit` asks for.
    start, limit = int(query.get("after") or 0), min(int(query["limit"]), api.page_size)
    paging: dict[str, Any] = {"cursors": {"after": str(start + limit)}}
    if start + limit < len(rows):
        paging["next"] = f"{api.url}{path}?{urlencode(query | {'after': start + limit})}"
    return 200, {"data": rows[start : start + limit], "paging": paging}
