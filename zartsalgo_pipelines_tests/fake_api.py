"""A provider API on 127.0.0.1, started by the tests (a real HTTP server, no patched client).

Routes:
    POST /crm/v3/objects/deals/search   HubSpot-shaped: body cursor `after`, `paging.next.after`,
                                        `hs_lastmodifieddate` GTE filter in epoch milliseconds
    GET  /items/<paginator>             quote-request records under `data`, one route per
                                        paginator: single, page, offset, cursor, json_link,
                                        header_link; `since` filters on `updated_at`
    POST /oauth/token                   OAuth2 client credentials, and refresh tokens (rotated on
                                        each use when `rotate_refresh_tokens`)
    GET  /reports/...                   an ad platform's daily report (``fake_reports``): accounts
                                        of a manager account, rows per account and date window
    POST /v17/customers/<id>/googleAds:search   Google Ads search results per account and date
                                        range (``fake_google_ads``)
    GET  /v19.0/act_<id>/insights       Meta's insights edge: a JSON `time_range`, `paging.next`
                                        URLs repeating the access token (``fake_meta``)
Faults are injected per request number (1-based, token requests not counted): any status,
headers and body, or `hold` to answer only after the client's timeout.
"""

import base64
import contextlib
import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from zartsalgo_pipelines.settings import DEFS_DIR
from zartsalgo_pipelines.specs.loading import load_spec_file
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests import fake_google_ads, fake_meta, fake_reports


@dataclass
class Fault:
    status: int = 500
    body: bytes = b'{"message": "internal error"}'
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    hold: bool = False  # keep the client waiting until it times out


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    at: float  # time.monotonic() on arrival
    raw_query: str = ""  # as sent: a parameter sent twice shows twice


@dataclass
class FakeApi:
    deals: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 3
    faults: dict[int, Fault] = field(default_factory=dict)
    # Expected credentials: ("bearer", token), ("api_key_header", name, key),
    # ("api_key_query", name, key), ("basic", user, password), ("oauth2", client_id, secret).
    auth: tuple[str, ...] = ("none",)
    token_lifetime: int = 3600
    revoke_after_uses: int | None = None  # OAuth2: a token stops working after this many uses
    expired: set[str] = field(default_factory=set)  # OAuth2 tokens past their (server) expiry
    min_gap_seconds: float | None = None  # answer 429 to requests closer than this
    repeat_cursor: bool = False
    seen: list[Seen] = field(default_factory=list)
    token_requests: int = 0
    tokens: dict[str, int] = field(default_factory=dict)  # token -> uses
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""
    # The ad report (fake_reports.py): rows by account id, the manager account's accounts.
    report_rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    report_accounts: list[dict[str, Any]] = field(default_factory=list)
    max_window_days: int = 31
    developer_token: str | None = None  # Google Ads: the developer-token header it wants
    # The Meta insights edge (fake_meta.py): rows by ad account id (without `act_`).
    meta_rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # OAuth2 refresh tokens: the one the token endpoint takes now; rotated on each use.
    refresh_token: str | None = None
    rotate_refresh_tokens: bool = True

    def expire_tokens(self) -> None:
        """Every token issued so far has expired on the server's clock (skew, an early end)."""
        self.expired |= set(self.tokens)

    def api_requests(self) -> list[Seen]:
        return [s for s in self.seen if s.path != "/oauth/token"]


def deal(number: int, modified: str, **properties: Any) -> dict[str, Any]:
    """A deal as HubSpot's CRM search returns it (every property is a string)."""
    props = {
        "dealname": f"Roof for client {number}",
        "dealstage": "qualifiedtobuy",
        "pipeline": "default",
        "amount": f"{1000 + number}.50",
        "deal_currency_code": "EUR",
        "closedate": "2026-12-15T00:00:00.000Z",
        "createdate": "2026-11-16T09:00:00.000Z",
        "hs_lastmodifieddate": modified,
        "hs_object_id": str(number),
        "zartsalgo_client": "acme-roofing",
    } | properties
    return {
        "id": str(number),
        "properties": props,
        "createdAt": props["createdate"],
        "updatedAt": modified,
        "archived": False,
    }


def _epoch_ms(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp() * 1000)


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        api = self.server.api
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = raw.decode()
        if "json" in (self.headers.get("Content-Type") or ""):
            body = json.loads(raw)
        now = time.monotonic()
        previous = api.api_requests()[-1].at if api.api_requests() else None
        api.seen.append(Seen(method, parts.path, query, dict(self.headers), body, now, parts.query))
        if parts.path == "/oauth/token":
            self._token(parse_qs(body))
            return
        number = len(api.api_requests())
        fault = api.faults.get(number)
        if fault is not None:
            if fault.hold:
                api.release.wait(10)
                self.close_connection = True
                return
            self._send(fault.status, fault.body, fault.content_type, fault.headers)
            return
        if api.min_gap_seconds and previous is not None and now - previous < api.min_gap_seconds:
            self._json(429, {"message": "rate limit"}, {"Retry-After": "1"})
            return
        if not self._authorised(query):
            self._json(401, {"message": "authentication credentials not found"})
            return
        if parts.path == "/crm/v3/objects/deals/search":
            self._deals(body)
        elif parts.path.startswith("/items/"):
            self._items(parts.path.removeprefix("/items/"), query)
        elif parts.path.startswith("/reports/"):
            status, payload = fake_reports.answer(api, parts.path, query)
            self._json(status, payload)
        elif parts.path.startswith(fake_meta.PREFIX):
            status, payload = fake_meta.answer(api, parts.path, query)
            self._json(status, payload)
        elif parts.path.startswith(fake_google_ads.PREFIX):
            status, payload = fake_google_ads.answer(api, parts.path, body, dict(self.headers))
            self._json(status, payload)
        else:
            self._json(404, {"message": "no such route"})

    def _authorised(self, query: dict[str, str]) -> bool:
        api = self.server.api
        kind, *values = api.auth
        header = self.headers.get("Authorization") or ""
        if kind == "none":
            return True
        if kind == "bearer":
            return header == f"Bearer {values[0]}"
        if kind == "api_key_header":
            return self.headers.get(values[0]) == values[1]
        if kind == "api_key_query":
            return query.get(values[0]) == values[1]
        if kind == "basic":
            expected = base64.b64encode(f"{values[0]}:{values[1]}".encode()).decode()
            return header == f"Basic {expected}"
        if kind == "oauth2":
            token = header.removeprefix("Bearer ")
            if token not in api.tokens or token in api.expired:
                return False
            api.tokens[token] += 1
            limit = api.revoke_after_uses
            return limit is None or api.tokens[token] <= limit
        raise AssertionError(kind)

    def _token(self, form: dict[str, list[str]]) -> None:
        api = self.server.api
        api.token_requests += 1
        given = (form.get("client_id", [""])[0], form.get("client_secret", [""])[0])
        if api.auth[0] != "oauth2" or given != tuple(api.auth[1:]):
            self._json(401, {"error": "invalid_client"})
            return
        answer: dict[str, Any] = {"token_type": "bearer", "expires_in": api.token_lifetime}
        if form.get("grant_type", [""])[0] == "refresh_token":
            if form.get("refresh_token", [""])[0] != api.refresh_token:
                self._json(
                    400,
                    {"error": "invalid_grant", "error_description": "refresh token is not valid"},
                )
                return
            if api.rotate_refresh_tokens:  # the old one stops working now
                api.refresh_token = f"rt-{uuid.uuid4().hex}"
                answer["refresh_token"] = api.refresh_token
        token = uuid.uuid4().hex
        api.tokens[token] = 0
        self._json(200, answer | {"access_token": token})

    def _deals(self, body: dict[str, Any]) -> None:
        api = self.server.api
        since = None
        for group in body.get("filterGroups", []):
            for condition in group.get("filters", []):
                if condition["propertyName"] == "hs_lastmodifieddate":
                    since = int(condition["value"])
        rows = sorted(
            (
                d
                for d in api.deals
                if since is None or _epoch_ms(d["properties"]["hs_lastmodifieddate"]) >= since
            ),
            key=lambda d: d["properties"]["hs_lastmodifieddate"],
        )
        start = int(body.get("after") or 0)
        limit = min(int(body.get("limit") or 100), api.page_size)
        page = rows[start : start + limit]
        answer: dict[str, Any] = {"total": len(rows), "results": page}
        following = "1" if api.repeat_cursor else str(start + limit)
        if start + limit < len(rows):
            answer["paging"] = {"next": {"after": following, "link": "ignored"}}
        self._json(200, answer)

    def _items(self, paginator: str, query: dict[str, str]) -> None:
        api = self.server.api
        rows = [r for r in api.items if "since" not in query or r["updated_at"] >= query["since"]]
        size = api.page_size
        total_pages = max(1, -(-len(rows) // size))
        if paginator == "single":
            self._json(200, {"data": rows})
        elif paginator == "page":
            page = int(query.get("page", "1"))
            size = int(query.get("per_page", size))
            self._json(
                200, {"data": rows[(page - 1) * size : page * size], "total_pages": total_pages}
            )
        elif paginator == "offset":
            offset, limit = int(query["offset"]), int(query["limit"])
            self._json(200, {"data": rows[offset : offset + limit], "total": len(rows)})
        elif paginator == "cursor":
            start = int(query.get("cursor") or 0)
            following = 0 if api.repeat_cursor else start + size
            more = start + size < len(rows)
            self._json(
                200,
                {
                    "data": rows[start : start + size],
                    "next_cursor": str(following) if more else None,
                    "has_more": more,
                },
            )
        elif paginator in ("json_link", "header_link"):
            start = int(query.get("start", "0"))
            following = 0 if api.repeat_cursor else start + size
            link = f"/items/{paginator}?start={following}" if start + size < len(rows) else None
            page = rows[start : start + size]
            if paginator == "json_link":
                self._json(200, {"data": page, "links": {"next": link}})
            else:
                headers = {"Link": f'<{api.url}{link}>; rel="next"'} if link else {}
                self._json(200, {"data": page}, headers)
        else:
            self._json(404, {"message": "no such paginator"})

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers or {})

    def _send(self, status: int, data: bytes, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, api: FakeApi) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.api = api


@contextlib.contextmanager
def serving(api: FakeApi) -> Iterator[FakeApi]:
    """``api`` served on a port of its own (a second one is another origin)."""
    server = _Server(api)
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, args=(0.01,), daemon=True
    )  # quick shutdown
    thread.start()
    yield api
    api.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    with serving(FakeApi()) as api:
        yield api


TOKEN = "pat-na1-test-token"


def crm_spec(api: FakeApi, **source: Any) -> ProviderSpec:
    """The shipped crm_deals spec, connected, pointed at the fake API with fast retries."""
    shipped = load_spec_file(DEFS_DIR / "crm_deals" / "defs.yaml").spec
    data = shipped.model_dump()
    data["status"] = "connected"
    data["source"] |= {
        "base_url": api.url,
        "http_retries": {"max_retries": 3, "backoff_factor": 0.01, "jitter_seconds": 0.01},
        "rate_limit": {},
    } | source
    return ProviderSpec.model_validate(data)


@pytest.fixture
def api(fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    monkeypatch.setenv("HUBSPOT_PRIVATE_APP_TOKEN", TOKEN)
    fake_api.auth = ("bearer", TOKEN)
    fake_api.deals = [
        deal(1, "2026-11-01T08:00:00.000Z"),
        deal(2, "2026-11-02T08:00:00.000Z", dealstage="closedwon"),
        deal(3, "2026-11-03T08:00:00.000Z", dealstage="closedlost"),
        deal(4, "2026-11-04T08:00:00.000Z", dealstage="no_such_stage"),  # fails the value map
        deal(5, "2026-11-05T08:00:00.000Z", amount="-5"),  # fails min: 0
        deal(6, "2026-11-06T08:00:00.000Z") | {"archived": True},  # ignored
        deal(7, "2026-11-07T08:00:00.000Z", zartsalgo_client=None),  # required client missing
    ]
    yield fake_api
