"""Scenario: alert events are posted to the webhook named by ZARTSALGO_ALERT_WEBHOOK_URL as
Slack-compatible JSON, retried on 503, never carrying payload data; an unreachable webhook is
logged and does not raise."""

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from zartsalgo_pipelines.incidents.alerts import AlertEvent
from zartsalgo_pipelines.incidents.notify import notify

EVENT = AlertEvent(
    "opened",
    "quote_request",
    "stale_sync",
    "warning",
    "data-team@zartsalgo.example",
    "Website quote requests last synced successfully never",
    "A new sync was requested.",
)


class Receiver(ThreadingHTTPServer):
    def __init__(self, fail_first: int) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.fail_first = fail_first
        self.bodies: list[dict] = []  # type: ignore[type-arg]
        self.attempts = 0


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        self.server.attempts += 1
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.server.attempts <= self.server.fail_first:
            self.send_response(503)
            self.send_header("Retry-After", "0")
            self.end_headers()
            return
        self.server.bodies.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[Receiver]:
    server = Receiver(fail_first=getattr(request, "param", 0))
    thread = threading.Thread(
        target=server.serve_forever, args=(0.01,), daemon=True
    )  # quick shutdown
    thread.start()
    yield server
    server.shutdown()
    thread.join()


@pytest.mark.parametrize("receiver", [0, 2], indirect=True, ids=["first try", "after two 503s"])
def test_events_are_delivered_as_slack_json(receiver: Receiver, monkeypatch) -> None:
    monkeypatch.setenv(
        "ZARTSALGO_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{receiver.server_port}/hook"
    )
    assert notify([EVENT]) == 1
    (body,) = receiver.bodies
    assert body["text"].startswith(":rotating_light: [opened] quote_request stale_sync (warning)")
    assert body["zartsalgo_alert"]["owner"] == "data-team@zartsalgo.example"
    assert set(body["zartsalgo_alert"]) == {
        "state",
        "provider_key",
        "kind",
        "severity",
        "owner",
        "message",
        "next_action",
    }


def test_no_webhook_configured_sends_nothing(monkeypatch) -> None:
    monkeypatch.delenv("ZARTSALGO_ALERT_WEBHOOK_URL", raising=False)
    assert notify([EVENT]) == 0


def test_unreachable_webhook_does_not_raise(monkeypatch) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("ZARTSALGO_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{port}/hook")
    assert notify([EVENT]) == 0
