"""The webhook receiver: `zartsalgo webhooks serve [--host H] [--port P]`.

It serves ``webhook_app.WebhookApp`` (one ``POST /webhooks/<provider_key>`` endpoint per
provider that declares `webhook`, and ``GET /healthz``; the answers are listed there).

Why waitress and not ``http.server``: the standard library's server gives every connection a
thread that blocks on the socket, so slow or half-sent clients hold threads and a burst beyond
its listen backlog of 5 is reset. Waitress reads every request whole in one event loop before
a worker thread sees it (a slow client costs a socket, never a worker), has a listen backlog,
a connection limit, a worker-thread cap, header and body size limits and an idle timeout, and
is pure Python with no dependencies. This module adds a total deadline per request and a
draining stop on SIGTERM. Put a TLS-terminating proxy in front of it in production.
"""

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

import sqlalchemy as sa
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer, create_server

from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.connections import register_provider
from zartsalgo_pipelines.webhook_app import WebhookApp

log = logging.getLogger("zartsalgo.webhooks")
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
        # Wakes the loop now rather than at its next tick; a loop that already ended has
        # closed its trigger (EBADF), and there is nothing left to wake.
        with contextlib.suppress(OSError):
            self._server.pull_trigger()
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
