"""The webhook receiver: `zartsalgo webhooks serve [--host H] [--port P]`.

One endpoint per provider that declares `webhook`: ``POST /webhooks/<provider_key>``. It
verifies, stores and answers; it never maps (a sensor turns stored deliveries into batches).

    202 stored     200 duplicate (already stored; the sender can stop retrying)
    400 malformed body or missing delivery id     401 bad signature or stale timestamp
    404 unknown provider     411 no Content-Length     413 body too large
    503 secrets not configured or database unavailable (the sender retries later)

Why the standard library's ``ThreadingHTTPServer`` and not a framework: the receiver has one
route and must read the raw body before anything parses it; ``http.server`` gives exactly
that with no dependency, one thread per connection, and the sender's retries cover restarts.
Put a TLS-terminating proxy in front of it in production.
"""

import json
import logging
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import sqlalchemy as sa

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.pipeline.deliveries import store_delivery
from zartsalgo_pipelines.sources.webhooks import DeliveryRefusedError, verify
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.connections import register_provider

log = logging.getLogger("zartsalgo.webhooks")
PATH_PREFIX = "/webhooks/"
_DRAIN_LIMIT = 64 * 1024 * 1024


class WebhookServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        engine: sa.Engine,
        specs: list[ProviderSpec],
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(address, _Handler)
        self.engine = engine
        self.providers = {s.key: s for s in specs if s.webhook is not None}
        self.clock = clock
        with engine.begin() as conn:
            for spec in self.providers.values():
                register_provider(conn, spec)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


def active_secrets(spec: ProviderSpec) -> list[str]:
    """The signing secrets that are set; during a rotation the old or new one may be unset."""
    assert spec.webhook is not None
    found = []
    for name in spec.webhook.secrets:
        try:
            found.append(settings.secret(name, f"webhook.secrets of provider `{spec.key}`"))
        except settings.MissingSecretError:
            continue
    return found


class _Handler(BaseHTTPRequestHandler):
    server: WebhookServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._answer(
                HTTPStatus.OK, {"status": "ok", "providers": sorted(self.server.providers)}
            )
        else:
            self._answer(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def do_POST(self) -> None:
        key = self.path.removeprefix(PATH_PREFIX).split("?", 1)[0].strip("/")
        spec = self.server.providers.get(key) if self.path.startswith(PATH_PREFIX) else None
        if spec is None or spec.webhook is None:
            self._answer(HTTPStatus.NOT_FOUND, {"error": "no webhook endpoint here"}, close=True)
            return
        length_text = self.headers.get("Content-Length")
        if length_text is None or not length_text.isdigit():
            self._answer(
                HTTPStatus.LENGTH_REQUIRED, {"error": "Content-Length required"}, close=True
            )
            return
        length = int(length_text)
        if length > spec.webhook.max_body_bytes:
            # Read and dropped in small blocks (memory stays flat) so the sender, still writing,
            # gets the 413 instead of a reset connection; absurd sizes are cut off unread.
            limit = spec.webhook.max_body_bytes
            if length <= _DRAIN_LIMIT:
                while length > 0 and (block := self.rfile.read(min(length, 1 << 16))):
                    length -= len(block)
            self._answer(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                {"error": f"body over {limit} bytes"},
                close=True,
            )
            return
        body = self.rfile.read(length)
        secrets = active_secrets(spec)
        if not secrets:
            log.error(
                "webhook for %s refused: none of %s is set", key, ", ".join(spec.webhook.secrets)
            )
            self._answer(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "receiver not configured"})
            return
        try:
            delivery = verify(spec.webhook, self.headers, body, secrets, self.server.clock())
        except DeliveryRefusedError as refused:
            log.warning("webhook for %s refused (%s): %s", key, refused.status, refused.message)
            self._answer(HTTPStatus(refused.status), {"error": refused.message})
            return
        try:
            stored = store_delivery(self.server.engine, key, delivery.delivery_id, body)
        except sa.exc.SQLAlchemyError as error:
            log.error("webhook for %s not stored: %s", key, type(error).__name__)
            self._answer(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "could not store; retry"})
            return
        if stored:
            self._answer(
                HTTPStatus.ACCEPTED, {"status": "stored", "delivery_id": delivery.delivery_id}
            )
        else:
            self._answer(
                HTTPStatus.OK, {"status": "duplicate", "delivery_id": delivery.delivery_id}
            )

    def _answer(self, status: HTTPStatus, payload: dict[str, object], close: bool = False) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        # Method, path and status only: never headers (signatures) or bodies.
        log.info("%s %s", self.address_string(), format % args)


def serve(engine: sa.Engine, specs: list[ProviderSpec], host: str, port: int) -> None:
    """Run the receiver until interrupted."""
    server = WebhookServer((host, port), engine, specs)
    log.info("webhook receiver on %s for %s", server.url, ", ".join(sorted(server.providers)))
    try:
        server.serve_forever()
    finally:
        server.server_close()
