"""Checking one webhook delivery against the provider's `webhook` spec, before it is stored.

Order matters and follows the senders' own libraries: timestamp window, then the HMAC-SHA256
signature over the raw bytes (constant-time compare, any active secret), and only then the
body is parsed. Every refusal carries the HTTP status the receiver answers with.
"""

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import orjson

from zartsalgo_pipelines.errors import ZartsalgoError
from zartsalgo_pipelines.jsonpaths import ExpressionFailure, compile_safe_getter
from zartsalgo_pipelines.specs.webhooks import WebhookSpec

_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


class Headers(Protocol):
    """Case-insensitive request headers (the receiver's WSGI view, ``requests``' dict)."""

    def get(self, name: str, default: None = None) -> str | None: ...


class DeliveryRefusedError(ZartsalgoError):
    """A delivery the receiver refuses; ``status`` is the HTTP answer (400, 401 or 413)."""

    retryable: ClassVar[bool] = False  # the same body and headers are refused again

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class VerifiedDelivery:
    delivery_id: str
    record: dict[str, Any]


def sign(
    spec: WebhookSpec, secret: str, body: bytes, *, delivery_id: str = "", timestamp: str = ""
) -> str:
    """The signature a sender computes (without the prefix): used by tests and by senders'
    documentation, and by ``verify`` for each active secret."""
    digest = hmac.new(
        secret.encode(), _signed_content(spec, body, delivery_id, timestamp), hashlib.sha256
    ).digest()
    return digest.hex() if spec.encoding == "hex" else base64.b64encode(digest).decode()


def _signed_content(spec: WebhookSpec, body: bytes, delivery_id: str, timestamp: str) -> bytes:
    before, after = spec.signed_content.split("{body}", 1)
    fill: Callable[[str], bytes] = lambda text: (  # noqa: E731 - two uses, one line each
        text.replace("{id}", delivery_id).replace("{timestamp}", timestamp).encode()
    )
    return fill(before) + body + fill(after)


def verify(
    spec: WebhookSpec,
    headers: Headers,
    body: bytes,
    secrets: list[str],
    now: float,
) -> VerifiedDelivery:
    """The delivery id and record of a genuine delivery, or ``DeliveryRefusedError``.

    ``headers`` must be case-insensitive (the receiver's and ``requests``' mappings are).
    """
    if len(body) > spec.max_body_bytes:
        raise DeliveryRefusedError(413, f"body over {spec.max_body_bytes} bytes")
    timestamp = _fresh_timestamp(spec, headers, now)
    header_id = ""
    if spec.delivery_id_header:
        header_id = (headers.get(spec.delivery_id_header) or "").strip()
        if not header_id:
            raise DeliveryRefusedError(400, f"missing {spec.delivery_id_header} header")
    _check_signature(spec, headers, body, secrets, delivery_id=header_id, timestamp=timestamp)
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise DeliveryRefusedError(400, "body is not valid JSON") from None
    record = compile_safe_getter(spec.record_path)(document)
    if isinstance(record, ExpressionFailure):
        raise DeliveryRefusedError(400, record.check("record_path"))
    if not isinstance(record, dict):
        raise DeliveryRefusedError(400, f"record_path `{spec.record_path}` is not a JSON object")
    delivery_id = header_id
    if spec.delivery_id_path:
        delivery_id = _delivery_id_at(spec.delivery_id_path, document)
    if len(delivery_id) > 191:
        raise DeliveryRefusedError(400, "delivery id longer than 191 characters")
    return VerifiedDelivery(delivery_id, record)


def _fresh_timestamp(spec: WebhookSpec, headers: Headers, now: float) -> str:
    """The timestamp header as sent, refused outside the tolerance; "" when the spec has none."""
    if not spec.timestamp_header:
        return ""
    timestamp = (headers.get(spec.timestamp_header) or "").strip()
    if not timestamp:
        raise DeliveryRefusedError(401, f"missing {spec.timestamp_header} header")
    # ASCII digits of a plausible Unix time only: `str.isdigit` takes other scripts' digits
    # and `int()` refuses more than 4,300 digits, either of which once closed the connection.
    if not _UNIX_SECONDS.fullmatch(timestamp):
        raise DeliveryRefusedError(
            400, f"malformed {spec.timestamp_header} header (Unix time in seconds expected)"
        )
    if abs(now - int(timestamp)) > spec.tolerance_seconds:
        raise DeliveryRefusedError(
            401,
            f"timestamp outside the {spec.tolerance_seconds} s tolerance (stale or replayed)",
        )
    return timestamp


def _check_signature(
    spec: WebhookSpec,
    headers: Headers,
    body: bytes,
    secrets: list[str],
    *,
    delivery_id: str,
    timestamp: str,
) -> None:
    """Refuse the delivery unless a signature it offers is one an active secret gives."""
    offered = [
        s.removeprefix(spec.signature_prefix)
        for s in (headers.get(spec.signature_header) or "").split()
        if s.startswith(spec.signature_prefix)
    ]
    if not offered:
        raise DeliveryRefusedError(401, f"missing {spec.signature_header} header")
    expected = [
        sign(spec, secret, body, delivery_id=delivery_id, timestamp=timestamp) for secret in secrets
    ]
    # Every pair is compared, so the time taken does not say which secret or signature matched.
    matched = False
    for want in expected:
        for got in offered:
            matched |= hmac.compare_digest(want.encode(), got.encode())
    if not matched:
        raise DeliveryRefusedError(401, "signature does not match")


def _delivery_id_at(path: str, document: Any) -> str:
    """The delivery id the spec's ``delivery_id_path`` finds in the parsed body."""
    found = compile_safe_getter(path)(document)
    if isinstance(found, ExpressionFailure):
        raise DeliveryRefusedError(400, found.check("delivery_id_path"))
    # Trimmed as header ids are: the binary key ignores trailing spaces (PAD SPACE), so an
    # untrimmed `msg_a ` would be taken for a duplicate of `msg_a` and never stored.
    if found is None or isinstance(found, dict | list) or str(found).strip() == "":
        raise DeliveryRefusedError(400, f"delivery_id_path `{path}` is missing")
    return str(found).strip()
