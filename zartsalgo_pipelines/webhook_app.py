"""The webhook receiver's WSGI application: routing, verification, storage; no socket handling.

One endpoint per provider that declares `webhook`: ``POST /webhooks/<provider_key>``. It
verifies, stores and answers; it never maps (a sensor turns stored deliveries into batches).

    202 stored     200 duplicate (already stored; the sender can stop retrying)
    400 malformed body, timestamp or missing delivery id     401 bad signature or stale timestamp
    404 unknown provider     411 no Content-Length     413 body too large
    503 secrets not configured or database unavailable (the sender retries later)
    GET /healthz: 200 when the database answers, 503 when it does not
"""

import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.sources.webhooks import DeliveryRefusedError, verify
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.admin import ping
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
