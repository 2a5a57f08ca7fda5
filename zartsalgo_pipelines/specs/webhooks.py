"""The `webhook` section: how a provider signs its pushes and where the record sits in them.

The defaults follow the Standard Webhooks convention (`webhook-id`, `webhook-timestamp`,
`webhook-signature: v1,<base64>` over `{id}.{timestamp}.{body}`); GitHub-, Stripe- or
Typeform-style senders are declared by changing the header names, prefix, encoding and the
signed-content template.
"""

from typing import Literal

import pydantic

from zartsalgo_pipelines.specs.types import EnvVarName, Frozen, JmesPath
from zartsalgo_pipelines.tables.limits import ROW_PAYLOAD_MAX_BYTES

_PLACEHOLDERS = ("{id}", "{timestamp}", "{body}")


class WebhookSpec(Frozen):
    """Signed pushes from the provider, received by `zartsalgo webhooks serve`."""

    secrets: list[EnvVarName] = pydantic.Field(
        min_length=1,
        description="Environment variables holding the signing secrets; a delivery signed with "
        "any of them is accepted, so a secret can be rotated without downtime.",
    )
    signature_header: str = "webhook-signature"
    signature_prefix: str = pydantic.Field(
        "v1,", description="Stripped from each signature before comparing (e.g. `sha256=`)."
    )
    encoding: Literal["hex", "base64"] = "base64"
    signed_content: str = pydantic.Field(
        "{id}.{timestamp}.{body}",
        description="What the HMAC-SHA256 covers; placeholders {id}, {timestamp}, {body}.",
    )
    timestamp_header: str | None = pydantic.Field(
        "webhook-timestamp",
        description="Unix seconds of the delivery; none for senders "
        "without one (then no replay window applies).",
    )
    tolerance_seconds: pydantic.PositiveInt = pydantic.Field(
        300, description="Deliveries whose timestamp is further from now are refused."
    )
    delivery_id_header: str | None = pydantic.Field(
        "webhook-id", description="Header with the delivery id (deduplication key)."
    )
    delivery_id_path: JmesPath | None = pydantic.Field(
        None, description="Or: JMESPath to the delivery id in the body (e.g. `event_id`)."
    )
    record_path: JmesPath = pydantic.Field(
        "@", description="JMESPath to the record inside the delivery; `@` = the whole body."
    )
    # A stored body is one statement on MySQL: at most what a row may be (tables/limits.py).
    max_body_bytes: pydantic.PositiveInt = pydantic.Field(1_048_576, le=ROW_PAYLOAD_MAX_BYTES)
    batch_size: pydantic.PositiveInt = pydantic.Field(
        500, le=5000, description="Deliveries per import batch (each batch is one transaction)."
    )

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> "WebhookSpec":
        if "{body}" not in self.signed_content:
            raise ValueError("signed_content must include {body}")
        leftover = self.signed_content
        for placeholder in _PLACEHOLDERS:
            leftover = leftover.replace(placeholder, "")
        if "{" in leftover or "}" in leftover:
            raise ValueError(f"signed_content may only use the placeholders {list(_PLACEHOLDERS)}")
        if "{timestamp}" in self.signed_content and not self.timestamp_header:
            raise ValueError("signed_content uses {timestamp}: set timestamp_header")
        if (self.delivery_id_header is None) == (self.delivery_id_path is None):
            raise ValueError("give exactly one of delivery_id_header, delivery_id_path")
        if "{id}" in self.signed_content and not self.delivery_id_header:
            raise ValueError("signed_content uses {id}: set delivery_id_header")
        return self
