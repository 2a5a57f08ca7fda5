"""The webhook receiver as a real HTTP server on 127.0.0.1, on SQLite and MySQL: every rule
(signature, rotation, timestamp window, size limit, malformed body, replayed delivery) decides
the answer AND what is stored; nothing refused is stored, nothing accepted is stored twice."""

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from zartsalgo_pipelines.pipeline.deliveries import pending_deliveries, process_deliveries
from zartsalgo_pipelines.sources.webhooks import sign
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.webhook_receiver import WebhookServer
from zartsalgo_pipelines_tests.helpers import count, quote

NOW = 1_795_000_000
CURRENT, PREVIOUS = "whsec-current-2026", "whsec-previous-2025"


@pytest.fixture
def spec(make_spec: Callable[..., ProviderSpec]) -> ProviderSpec:
    return make_spec()  # the shipped quote_request spec declares its webhook


@pytest.fixture
def receiver(
    engine: sa.Engine, spec: ProviderSpec, monkeypatch: pytest.MonkeyPatch
) -> Iterator[WebhookServer]:
    monkeypatch.setenv("QUOTE_REQUEST_WEBHOOK_SECRET", CURRENT)
    monkeypatch.setenv("QUOTE_REQUEST_WEBHOOK_SECRET_PREVIOUS", PREVIOUS)
    server = WebhookServer(("127.0.0.1", 0), engine, [spec], clock=lambda: NOW)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.01,), daemon=True
    )  # quick shutdown
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def envelope(number: int, **changes: Any) -> bytes:
    return json.dumps({"type": "quote_request.created", "data": quote(number, **changes)}).encode()


def deliver(
    server: WebhookServer,
    spec: ProviderSpec,
    body: bytes,
    *,
    delivery_id: str = "msg_1",
    timestamp: int = NOW,
    secret: str = CURRENT,
    signature: str | None = None,
    path: str = "/webhooks/quote_request",
    drop: tuple[str, ...] = (),
) -> requests.Response:
    assert spec.webhook is not None
    good = sign(spec.webhook, secret, body, delivery_id=delivery_id, timestamp=str(timestamp))
    headers = {
        "webhook-id": delivery_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature if signature is not None else f"v1,{good}",
        "Content-Type": "application/json",
    }
    for name in drop:
        headers.pop(name)
    return requests.post(f"{server.url}{path}", data=body, headers=headers, timeout=10)


CASES = [
    pytest.param({}, 202, "stored", 1, id="good-signature"),
    pytest.param({"secret": PREVIOUS}, 202, "stored", 1, id="rotated-previous-secret"),
    pytest.param({"signature": "v1,AAAA v1,{good}"}, 202, "stored", 1, id="several-signatures"),
    pytest.param(
        {"secret": "someone-else"}, 401, "signature does not match", 0, id="bad-signature"
    ),
    pytest.param(
        {"drop": ("webhook-signature",)}, 401, "missing webhook-signature", 0, id="unsigned"
    ),
    pytest.param({"timestamp": NOW - 301}, 401, "outside the 300 s tolerance", 0, id="stale"),
    pytest.param({"timestamp": NOW + 301}, 401, "outside the 300 s tolerance", 0, id="future"),
    pytest.param(
        {"drop": ("webhook-timestamp",)}, 401, "missing or malformed", 0, id="no-timestamp"
    ),
    pytest.param({"drop": ("webhook-id",)}, 400, "missing webhook-id", 0, id="no-delivery-id"),
    pytest.param(
        {"body": b'{"data": {"id": "QR-1"'}, 400, "not valid JSON", 0, id="malformed-json"
    ),
    pytest.param(
        {"body": b'{"data": [1, 2]}'}, 400, "is not a JSON object", 0, id="record-not-object"
    ),
    pytest.param(
        {"path": "/webhooks/nobody"}, 404, "no webhook endpoint", 0, id="unknown-provider"
    ),
]


@pytest.mark.parametrize(("case", "status", "says", "stored"), CASES)
def test_each_delivery_rule_decides_the_answer_and_what_is_stored(
    engine: sa.Engine,
    receiver: WebhookServer,
    spec: ProviderSpec,
    case: dict[str, Any],
    status: int,
    says: str,
    stored: int,
) -> None:
    case = dict(case)  # the parameter is shared by the SQLite and MySQL runs
    body = case.pop("body", envelope(1))
    if "{good}" in case.get("signature", ""):
        assert spec.webhook is not None
        good = sign(spec.webhook, CURRENT, body, delivery_id="msg_1", timestamp=str(NOW))
        case["signature"] = case["signature"].replace("{good}", good)
    answer = deliver(receiver, spec, body, **case)
    assert answer.status_code == status
    assert says in json.dumps(answer.json())
    assert count(engine, "integration_webhook_deliveries") == stored
    # Accounting: what was stored becomes exactly one import row; what was refused, none.
    reviews = process_deliveries(engine, spec)
    assert sum(r.rows_total for r in reviews) == stored and all(r.adds_up for r in reviews)
    assert count(engine, "data_import_rows") == count(engine, "quote_requests") == stored


def test_a_replayed_delivery_is_acknowledged_but_stored_once(
    engine: sa.Engine, receiver: WebhookServer, spec: ProviderSpec
) -> None:
    first = deliver(receiver, spec, envelope(1), delivery_id="msg_42")
    again = deliver(receiver, spec, envelope(1), delivery_id="msg_42")
    assert (first.status_code, first.json()["status"]) == (202, "stored")
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert count(engine, "integration_webhook_deliveries") == 1
    process_deliveries(engine, spec)
    deliver(receiver, spec, envelope(1), delivery_id="msg_42")  # once more, after processing
    assert process_deliveries(engine, spec) == []
    assert count(engine, "data_import_rows") == count(engine, "quote_requests") == 1


def test_an_oversized_body_is_refused_with_413_and_not_stored(
    engine: sa.Engine, receiver: WebhookServer, spec: ProviderSpec
) -> None:
    assert spec.webhook is not None
    big = envelope(1, message="x" * (spec.webhook.max_body_bytes + 1))
    answer = deliver(receiver, spec, big)
    assert answer.status_code == 413
    assert count(engine, "integration_webhook_deliveries") == 0
    # The connection was not left holding the unread body: the next delivery works.
    assert deliver(receiver, spec, envelope(2), delivery_id="msg_2").status_code == 202


def test_without_any_secret_set_deliveries_are_refused_for_a_retry(
    engine: sa.Engine, receiver: WebhookServer, spec: ProviderSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QUOTE_REQUEST_WEBHOOK_SECRET")
    monkeypatch.delenv("QUOTE_REQUEST_WEBHOOK_SECRET_PREVIOUS")
    answer = deliver(receiver, spec, envelope(1))
    assert answer.status_code == 503
    assert CURRENT not in answer.text
    assert count(engine, "integration_webhook_deliveries") == 0


def test_a_stored_delivery_waits_for_the_sensor_with_its_raw_body(
    engine: sa.Engine, receiver: WebhookServer, spec: ProviderSpec
) -> None:
    body = envelope(7)
    deliver(receiver, spec, body, delivery_id="msg_7")
    with engine.connect() as conn:
        pending = pending_deliveries(conn, spec.key)
        stored = conn.execute(sa.text("SELECT body FROM integration_webhook_deliveries")).scalar()
    assert pending.count == 1
    assert stored == body.decode()  # exactly the signed bytes, for a later re-check
