"""The webhook receiver: `zartsalgo webhooks serve [--host H] [--port P]`.

One endpoint per provider that declares `webhook`: ``POST /webhooks/<provider_key>``. It
verifies, stores and answers; it never maps (a sensor turns stored deliveries into batches).

    202 stored     200 duplicate (already stored; the sender can stop retrying)
    400 malformed body, timestamp or missing delivery id     401 bad signature or stale timestamp
    404 unknown provider     411 no Content-Length     413 body too large
    503 secrets not configured or database unavailable (the sender retries later)
    GET /healthz: 200 when the database answers, 503 when it does not

Why waitress and not ``http.server``: the standard library's server gives every connection a
thread that blocks on the socket, so slow or half-sent clients hold threads and a burst beyond
its listen backlog of 5 is reset. Waitress reads every request whole in one event loop before
a worker thread sees it (a slow client costs a socket, never a worker), has a listen backlog,
a connection limit, a worker-thread cap, header and body size limits and an idle timeout, and
is pure Python with no dependencies. This module adds a total deadline per request and a
draining stop on SIGTERM. Put a TLS-terminating proxy in front of it in production.
"""

import json
import logging
import re
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import FrameType
from typing import Any

import sqlalchemy as sa
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer, create_server

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.sources.webhooks import DeliveryRefusedError, verify
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.admin import ping
from zartsalgo_pipelines.storage.connections import register_provider
from zartsalgo_pipelines.storage.deliveries import store_delivery

log = logging.getLogger("zartsalgo.webhooks")
PATH_PREFIX = "/webhooks/"
_REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
    503: "Service Unavailable",
}
_LOOP_SECONDS = 0.25  # how often the serving loop looks at the stop flag


@dataclass(frozen=True)
class ReceiverLimits:
    """What one receiver process accepts; every number is a declared bound, not a tuning hint.

    Attributes:
        threads: worker threads that verify and store (each holds one database connection).
        connection_limit: open connections at once; further ones wait in the listen backlog.
        backlog: the listen backlog (the kernel caps it at ``net.core.somaxconn``).
        idle_timeout_seconds: a connection that sends nothing for this long is closed.
        request_timeout_seconds: a request must arrive whole within this many seconds of its
            first byte, however slowly it trickles in; otherwise the connection is closed.
        max_header_bytes: request line plus headers; larger ones are answered 431 or 400.
        drain_seconds: on SIGTERM, requests under way get this long to be answered.
    """

    threads: int = 8
    connection_limit: int = 512
    backlog: int = 1024
    idle_timeout_seconds: float = 10
    request_timeout_seconds: float = 30
    max_header_bytes: int = 65_536
    drain_seconds: float = 10

    @property
    def close_within_seconds(self) -> float:
        """The longest a slow client can keep a connection: timeout plus one sweep interval."""
        return max(self.idle_timeout_seconds, self.request_timeout_seconds) + self.sweep_seconds

    @property
    def sweep_seconds(self) -> float:
        return 1.0


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


class _Headers:
    """The request headers of a WSGI environ, looked up case-insensitively by HTTP name."""

    def __init__(self, environ: dict[str, Any]) -> None:
        self._environ = environ

    def get(self, name: str, default: None = None) -> str | None:
        key = name.upper().replace("-", "_")
        value = self._environ.get(
            key if key in {"CONTENT_TYPE", "CONTENT_LENGTH"} else f"HTTP_{key}"
        )
        return default if value is None else str(value)


Answer = tuple[int, dict[str, object]]


class WebhookApp:
    """The WSGI application: routing, verification, storage; no socket handling."""

    def __init__(
        self, engine: sa.Engine, specs: list[ProviderSpec], clock: Callable[[], float] = time.time
    ) -> None:
        self.engine = engine
        self.providers = {s.key: s for s in specs if s.webhook is not None}
        self.clock = clock

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        status, payload = self.answer(environ)
        data = json.dumps(payload).encode()
        start_response(
            f"{status} {_REASONS[status]}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
        )
        return [data]

    def answer(self, environ: dict[str, Any]) -> Answer:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if path == "/healthz":
            return self._health() if method in {"GET", "HEAD"} else (405, {"error": "use GET"})
        spec = self.providers.get(path.removeprefix(PATH_PREFIX).strip("/"))
        if not path.startswith(PATH_PREFIX) or spec is None:
            return 404, {"error": "no webhook endpoint here"}
        if method != "POST":
            return 405, {"error": "use POST"}
        return self._delivery(spec, environ)

    def _health(self) -> Answer:
        try:
            ping(self.engine)
        except sa.exc.SQLAlchemyError as error:
            log.error("health check: database unreachable (%s)", type(error).__name__)
            return 503, {"status": "unavailable", "database": "unreachable"}
        return 200, {"status": "ok", "database": "reachable", "providers": sorted(self.providers)}

    def _delivery(self, spec: ProviderSpec, environ: dict[str, Any]) -> Answer:
        assert spec.webhook is not None
        length_text = environ.get("CONTENT_LENGTH") or ""
        if not re.fullmatch(r"[0-9]{1,12}", length_text):
            return 411, {"error": "Content-Length required"}
        if int(length_text) > spec.webhook.max_body_bytes:
            return 413, {"error": f"body over {spec.webhook.max_body_bytes} bytes"}
        # Waitress has read the whole body before calling us: this read never waits on a client.
        body = environ["wsgi.input"].read(int(length_text))
        secrets = active_secrets(spec)
        if not secrets:
            log.error(
                "webhook for %s refused: none of %s is set",
                spec.key,
                ", ".join(spec.webhook.secrets),
            )
            return 503, {"error": "receiver not configured"}
        headers = _Headers(environ)
        try:
            delivery = verify(spec.webhook, headers, body, secrets, self.clock())
        except DeliveryRefusedError as refused:
            log.warning(
                "webhook for %s refused (%s): %s", spec.key, refused.status, refused.message
            )
            return refused.status, {"error": refused.message}
        try:
            stored = store_delivery(self.engine, spec.key, delivery.delivery_id, body)
        except sa.exc.SQLAlchemyError as error:
            log.error("webhook for %s not stored: %s", spec.key, type(error).__name__)
            return 503, {"error": "could not store; retry"}
        if stored:
            return 202, {"status": "stored", "delivery_id": delivery.delivery_id}
        return 200, {"status": "duplicate", "delivery_id": delivery.delivery_id}


class _Channel(HTTPChannel):
    """Waitress's connection, remembering when the request now arriving began."""

    request_started = 0.0

    def received(self, data: bytes) -> bool:
        if self.request is None and data:
            self.request_started = time.time()
        return bool(super().received(data))


class WebhookServer:
    """The receiver bound to ``address``; ``serve_forever`` until ``shutdown`` (or SIGTERM)."""

    def __init__(
        self,
        address: tuple[str, int],
        engine: sa.Engine,
        specs: list[ProviderSpec],
        clock: Callable[[], float] = time.time,
        limits: ReceiverLimits = ReceiverLimits(),
    ) -> None:
        self.app = WebhookApp(engine, specs, clock)
        self.limits = limits
        self._stop = threading.Event()
        self._stopped = threading.Event()
        with engine.begin() as conn:
            for spec in self.app.providers.values():
                register_provider(conn, spec)
        largest = max((s.webhook.max_body_bytes for s in specs if s.webhook), default=1_048_576)
        self._server: TcpWSGIServer = create_server(
            self.app,
            host=address[0],
            port=address[1],
            threads=limits.threads,
            connection_limit=limits.connection_limit,
            backlog=limits.backlog,
            channel_timeout=limits.idle_timeout_seconds,
            cleanup_interval=limits.sweep_seconds,
            max_request_header_size=limits.max_header_bytes,
            # Bodies up to twice the largest provider limit are read (spooled to disk) and
            # answered 413 by the app, so a sender still writing gets the answer, not a reset;
            # a larger declared length is answered 413 by waitress as soon as the headers end.
            max_request_body_size=2 * largest + 1,
            ident="zartsalgo-webhooks",
            expose_tracebacks=False,
        )
        self._server.channel_class = _Channel
        self._server.maintenance = self._maintenance

    @property
    def providers(self) -> dict[str, ProviderSpec]:
        return self.app.providers

    @property
    def url(self) -> str:
        return f"http://{self._server.effective_host}:{self._server.effective_port}"

    def _maintenance(self, now: float) -> None:
        # Waitress closes idle connections; a client trickling one byte at a time is never
        # idle, so a request still incomplete after the total deadline is closed as well.
        TcpWSGIServer.maintenance(self._server, now)
        cutoff = now - self.limits.request_timeout_seconds
        for channel in list(self._server.active_channels.values()):
            partial = getattr(channel, "request", None) is not None and not channel.requests
            if partial and getattr(channel, "request_started", now) < cutoff:
                channel.will_close = True

    def _busy(self) -> bool:
        return any(
            c.requests or c.request is not None or c.total_outbufs_len
            for c in self._server.active_channels.values()
        )

    def serve_forever(self) -> None:
        """Serve until ``shutdown``; then stop accepting, answer what is under way (up to
        ``drain_seconds``), stop the workers and close every connection."""
        server = self._server
        try:
            while not self._stop.is_set():
                wasyncore.loop(timeout=_LOOP_SECONDS, use_poll=True, map=server._map, count=1)
            server.accepting = False
            wasyncore.dispatcher.close(server)  # the listening socket only, not the trigger
            deadline = time.monotonic() + self.limits.drain_seconds
            while self._busy() and time.monotonic() < deadline:
                wasyncore.loop(timeout=_LOOP_SECONDS, use_poll=True, map=server._map, count=1)
        finally:
            server.task_dispatcher.shutdown(cancel_pending=True, timeout=self.limits.drain_seconds)
            wasyncore.close_all(server._map)
            self._stopped.set()

    def shutdown(self) -> None:
        """Ask ``serve_forever`` to stop (safe from any thread, not from a signal handler)."""
        self._stop.set()
        self._server.pull_trigger()  # wakes the loop now rather than at its next tick
        self._stopped.wait(self.limits.drain_seconds + 30)

    def request_stop(self) -> None:
        """Ask ``serve_forever`` to stop; safe from a signal handler (it takes no lock)."""
        self._stop.set()


def serve(
    engine: sa.Engine,
    specs: list[ProviderSpec],
    host: str,
    port: int,
    limits: ReceiverLimits = ReceiverLimits(),
) -> None:
    """Run the receiver until SIGTERM or Ctrl-C, then stop cleanly (see ``serve_forever``)."""
    server = WebhookServer((host, port), engine, specs, limits=limits)

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received: finishing requests under way", signal.Signals(signum).name)
        server.request_stop()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    log.info("webhook receiver on %s for %s", server.url, ", ".join(sorted(server.providers)))
    try:
        server.serve_forever()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("webhook receiver stopped")
