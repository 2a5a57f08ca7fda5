"""Scenario: the webhook receiver as a real HTTP server on 127.0.0.1, on SQLite and MySQL.

Every rule (signature, rotation, timestamp window, size limit, malformed body or timestamp,
replayed delivery) decides the answer AND what is stored; nothing refused is stored, nothing
accepted is stored twice. Hostile clients over raw sockets (nothing sent, headers or body half
sent, a huge declared length, a client trickling one byte at a time) are answered or closed
before a generous deadline and do not stop the receiver; a burst of 200 concurrent deliveries
is answered and stored exactly once; the health endpoint says whether the database answers."""

import contextlib
import json
import os
import queue
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from zartsalgo_pipelines.pipeline.deliveries import pending_deliveries, process_deliveries
from zartsalgo_pipelines.sources.webhooks import sign
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.webhook_receiver import ReceiverLimits, WebhookServer
from zartsalgo_pipelines_tests.helpers import count, quote

NOW = 1_795_000_000
CURRENT, PREVIOUS = "whsec-current-2026", "whsec-previous-2025"
# Short timeouts keep the slow-client tests short; the assertions only use generous deadlines.
LIMITS = ReceiverLimits(threads=8, idle_timeout_seconds=2, request_timeout_seconds=4)


@pytest.fixture
def spec(make_spec: Callable[..., ProviderSpec]) -> ProviderSpec:
    return make_spec()  # the shipped quote_request spec declares its webhook


@contextlib.contextmanager
def running(
    engine: sa.Engine, spec: ProviderSpec, limits: ReceiverLimits = LIMITS
) -> Iterator[WebhookServer]:
    server = WebhookServer(("127.0.0.1", 0), engine, [spec], clock=lambda: NOW, limits=limits)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(timeout=60)
    assert not thread.is_alive(), "the receiver did not stop"


@pytest.fixture
def secrets_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUOTE_REQUEST_WEBHOOK_SECRET", CURRENT)
    monkeypatch.setenv("QUOTE_REQUEST_WEBHOOK_SECRET_PREVIOUS", PREVIOUS)


@pytest.fixture
def receiver(engine: sa.Engine, spec: ProviderSpec, secrets_set: None) -> Iterator[WebhookServer]:
    with running(engine, spec) as server:
        yield server


def envelope(number: int, **changes: Any) -> bytes:
    return json.dumps({"type": "quote_request.created", "data": quote(number, **changes)}).encode()


def deliver(
    server: WebhookServer,
    spec: ProviderSpec,
    body: bytes,
    *,
    delivery_id: str = "msg_1",
    timestamp: int | str = NOW,
    secret: str = CURRENT,
    signature: str | None = None,
    path: str = "/webhooks/quote_request",
    drop: tuple[str, ...] = (),
    chunked: bool = False,
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
    data = iter([body[:10], body[10:]]) if chunked else body  # a generator is sent chunked
    return requests.post(f"{server.url}{path}", data=data, headers=headers, timeout=10)


CASES = [
    pytest.param({}, 202, "stored", 1, id="good-signature"),
    pytest.param({"secret": PREVIOUS}, 202, "stored", 1, id="rotated-previous-secret"),
    pytest.param({"signature": "v1,AAAA v1,{good}"}, 202, "stored", 1, id="several-signatures"),
    pytest.param({"chunked": True}, 202, "stored", 1, id="chunked-body"),
    pytest.param(
        {"secret": "someone-else"}, 401, "signature does not match", 0, id="bad-signature"
    ),
    pytest.param(
        {"drop": ("webhook-signature",)}, 401, "missing webhook-signature", 0, id="unsigned"
    ),
    pytest.param({"timestamp": NOW - 301}, 401, "outside the 300 s tolerance", 0, id="stale"),
    pytest.param({"timestamp": NOW + 301}, 401, "outside the 300 s tolerance", 0, id="future"),
    pytest.param({"drop": ("webhook-timestamp",)}, 401, "missing webhook-timestamp", 0, id="no-ts"),
    pytest.param(
        {"timestamp": "9" * 5000}, 400, "malformed webhook-timestamp", 0, id="5000-digits"
    ),
    pytest.param({"timestamp": "17950e5"}, 400, "malformed webhook-timestamp", 0, id="not-digits"),
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


# --- hostile clients, over raw sockets ---------------------------------------------------------


def connect(server: WebhookServer) -> socket.socket:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=30)


def outcome(sock: socket.socket, deadline: float) -> bytes | None:
    """What the server sent before it closed the connection (b"" = closed without an answer),
    or None if the connection was still open at the deadline."""
    received = b""
    while (left := deadline - time.monotonic()) > 0:
        if not select.select([sock], [], [], min(left, 1.0))[0]:
            continue
        try:
            block = sock.recv(65536)
        except ConnectionResetError:
            return received
        if not block:
            return received
        received += block
    return None


HEAD = b"POST /webhooks/quote_request HTTP/1.1\r\nHost: 127.0.0.1\r\n"
HALF_SENT = [
    pytest.param(b"", (b"",), id="connects-and-sends-nothing"),
    pytest.param(HEAD + b"webhook-id: msg_", (b"",), id="headers-half-sent"),
    pytest.param(
        HEAD + b"Content-Length: 100\r\n\r\n" + b"0123456789", (b"",), id="10-of-100-bytes"
    ),
    pytest.param(
        HEAD + b"Content-Length: 10000000\r\n\r\n", (b"HTTP/1.1 413",), id="10-MB-declared"
    ),
]


@pytest.mark.parametrize(("sent", "answers"), HALF_SENT)
def test_half_sent_requests_are_answered_or_closed_and_the_receiver_keeps_serving(
    engine: sa.Engine,
    receiver: WebhookServer,
    spec: ProviderSpec,
    sent: bytes,
    answers: tuple[bytes, ...],
) -> None:
    clients = [connect(receiver) for _ in range(20)]
    for client in clients:
        client.sendall(sent)
    # A generous deadline: the declared bound plus a wide margin for a loaded machine.
    deadline = time.monotonic() + LIMITS.close_within_seconds + 30
    try:
        seen = [outcome(client, deadline) for client in clients]
    finally:
        for client in clients:
            client.close()
    assert None not in seen, "a half-sent connection was still open at the deadline"
    assert all(any(got.startswith(a) for a in answers) for got in seen if got is not None), seen
    assert deliver(receiver, spec, envelope(1)).status_code == 202
    assert count(engine, "integration_webhook_deliveries") == 1


RAW_ANSWERS = [
    pytest.param(HEAD + b"\r\n", b" 411 ", id="no-content-length"),
    pytest.param(HEAD + b"Content-Length: ten\r\n\r\n", b" 400 ", id="content-length-not-a-number"),
    pytest.param(
        HEAD + b"X-Pad: " + b"a" * 70_000 + b"\r\n\r\n", b" 431 ", id="headers-over-64-KB"
    ),
    pytest.param(b"GET /webhooks/quote_request HTTP/1.1\r\nHost: x\r\n\r\n", b" 405 ", id="get"),
]


@pytest.mark.parametrize(("sent", "status"), RAW_ANSWERS)
def test_malformed_requests_get_their_status_and_store_nothing(
    engine: sa.Engine, receiver: WebhookServer, sent: bytes, status: bytes
) -> None:
    with connect(receiver) as client:
        client.sendall(sent)
        answer = outcome(client, time.monotonic() + LIMITS.close_within_seconds + 30)
    assert answer is not None and status in answer.split(b"\r\n", 1)[0], answer
    assert count(engine, "integration_webhook_deliveries") == 0


def test_a_client_trickling_one_byte_at_a_time_is_closed_by_the_request_deadline(
    receiver: WebhookServer,
) -> None:
    # Never idle long enough for the idle timeout: only the total request deadline ends it.
    client = connect(receiver)
    client.sendall(HEAD + b"X-Pad: ")
    deadline = time.monotonic() + LIMITS.close_within_seconds + 30
    closed = False
    try:
        while not closed and time.monotonic() < deadline:
            # The wait paces the client (a byte per half second) and notices the close at once.
            if select.select([client], [], [], LIMITS.idle_timeout_seconds / 4)[0]:
                try:
                    closed = client.recv(65536) == b""
                except ConnectionResetError:
                    closed = True
            else:
                try:
                    client.sendall(b"a")
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
    finally:
        client.close()
    assert closed, "a trickling client kept its connection past the request deadline"


def test_a_burst_of_200_concurrent_deliveries_is_answered_and_stored_exactly_once(
    engine: sa.Engine, spec: ProviderSpec, secrets_set: None
) -> None:
    # 160 deliveries, the first 40 sent twice, all at once; a connection limit of 32 makes most
    # of the burst wait in the listen backlog instead of being reset.
    ids = [f"msg_burst_{n}" for n in range(160)] + [f"msg_burst_{n}" for n in range(40)]
    start = threading.Barrier(len(ids))

    def one(delivery_id: str) -> int:
        start.wait(timeout=60)
        return deliver(server, spec, envelope(1), delivery_id=delivery_id).status_code

    limits = ReceiverLimits(threads=8, connection_limit=32)
    with running(engine, spec, limits) as server, ThreadPoolExecutor(len(ids)) as pool:
        statuses = Counter(pool.map(one, ids))
    assert statuses == {202: 160, 200: 40}
    with engine.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT delivery_id FROM integration_webhook_deliveries")
        ).scalars()
        assert sorted(stored) == sorted(set(ids))


def test_health_says_whether_the_database_answers(
    engine: sa.Engine, receiver: WebhookServer, spec: ProviderSpec
) -> None:
    healthy = requests.get(f"{receiver.url}/healthz", timeout=30)
    assert healthy.status_code == 200
    assert healthy.json() == {
        "status": "ok",
        "database": "reachable",
        "providers": ["quote_request"],
    }
    # The same receiver, now with a database nobody listens for (a closed local port).
    receiver.app.engine = sa.create_engine("mysql+pymysql://zartsalgo:pw@127.0.0.1:1/none")
    down = requests.get(f"{receiver.url}/healthz", timeout=60)
    assert (down.status_code, down.json()["database"]) == (503, "unreachable")
    assert "pw" not in down.text
    assert deliver(receiver, spec, envelope(1)).status_code == 503
    assert count(engine, "integration_webhook_deliveries") == 0


ZARTSALGO = Path(sys.executable).parent / "zartsalgo"


def next_line(lines: "queue.Queue[str]", containing: str, deadline: float) -> str:
    while (left := deadline - time.monotonic()) > 0:
        line = lines.get(timeout=left)
        if containing in line:
            return line
    raise AssertionError(f"no log line containing {containing!r} before the deadline")


def test_sigterm_answers_the_request_under_way_then_exits_cleanly(
    db_url: str, engine: sa.Engine, data_dir: Path, spec: ProviderSpec
) -> None:
    env = os.environ | {
        "ZARTSALGO_DATABASE_URL": db_url,
        "ZARTSALGO_DATA_DIR": str(data_dir),
        "QUOTE_REQUEST_WEBHOOK_SECRET": CURRENT,
    }
    server = subprocess.Popen(
        [str(ZARTSALGO), "webhooks", "serve", "--port", "0"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    stderr = server.stderr
    assert stderr is not None
    threading.Thread(target=lambda: [lines.put(line) for line in stderr], daemon=True).start()
    deadline = time.monotonic() + 120
    try:
        url = next_line(lines, "webhook receiver on ", deadline).split(" on ")[1].split()[0]
        host, port = url.removeprefix("http://").rsplit(":", 1)
        assert spec.webhook is not None
        body, stamp = envelope(1), str(int(time.time()))
        signature = sign(spec.webhook, CURRENT, body, delivery_id="msg_term", timestamp=stamp)
        head = (
            "POST /webhooks/quote_request HTTP/1.1\r\nHost: x\r\nwebhook-id: msg_term\r\n"
            f"webhook-timestamp: {stamp}\r\nwebhook-signature: v1,{signature}\r\n"
            f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n"
        ).encode()
        with socket.create_connection((host, int(port)), timeout=30) as client:
            # "100 Continue" says the receiver has read the headers: the delivery is under way.
            client.sendall(head)
            assert client.recv(1024).startswith(b"HTTP/1.1 100 Continue")
            server.send_signal(signal.SIGTERM)
            next_line(lines, "SIGTERM received", deadline)
            client.sendall(body)
            answer = outcome(client, deadline)
        assert answer is not None and answer.startswith(b"HTTP/1.1 202"), answer
        assert server.wait(timeout=max(deadline - time.monotonic(), 1)) == 0
        next_line(lines, "webhook receiver stopped", deadline)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)
    assert count(engine, "integration_webhook_deliveries") == 1
