"""Scenario: `verify`, the check every webhook delivery passes before it is stored, fed random
hostile headers and bodies (hypothesis). Whatever arrives, it either accepts a genuinely signed
delivery or refuses with 400, 401 or 413 and a reason: it never raises anything else (which the
receiver would turn into a 500 or a dropped connection), and a changed byte is never accepted."""

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zartsalgo_pipelines.sources.webhooks import DeliveryRefusedError, sign, verify
from zartsalgo_pipelines.specs.webhooks import WebhookSpec

SPEC = WebhookSpec(secrets=["HOOK_SECRET"], record_path="data")
SECRET = "whsec-property"
NOW = 1_795_000_000

header_text = st.text(max_size=300) | st.from_regex(r"[0-9]{0,6000}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(
    timestamp=st.none() | header_text,
    delivery_id=st.none() | header_text,
    signature=st.none() | header_text,
    body=st.binary(max_size=2000),
)
def test_any_headers_and_body_are_refused_with_a_status_or_verified(
    timestamp: str | None, delivery_id: str | None, signature: str | None, body: bytes
) -> None:
    headers = {
        name: value
        for name, value in [
            ("webhook-timestamp", timestamp),
            ("webhook-id", delivery_id),
            ("webhook-signature", signature),
        ]
        if value is not None
    }
    try:
        verify(SPEC, headers, body, [SECRET], NOW)
    except DeliveryRefusedError as refused:
        assert refused.status in {400, 401, 413} and refused.message


# 64-bit integers: orjson reads larger ones as floats (reported; the mapping decides about them).
int64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
records = st.dictionaries(
    st.text(max_size=10), st.none() | int64 | st.text(max_size=50), max_size=5
)


def signed(body: bytes, delivery_id: str) -> dict[str, Any]:
    good = sign(SPEC, SECRET, body, delivery_id=delivery_id, timestamp=str(NOW))
    return {
        "webhook-timestamp": str(NOW),
        "webhook-id": delivery_id,
        "webhook-signature": f"v1,{good}",
    }


@settings(max_examples=200, deadline=None)
@given(
    record=records,
    delivery_id=st.text(
        st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=191
    ),
    flip=st.integers(min_value=0),
)
def test_a_signed_delivery_is_accepted_and_any_changed_byte_refused(
    record: dict[str, Any], delivery_id: str, flip: int
) -> None:
    body = json.dumps({"data": record}).encode()
    accepted = verify(SPEC, signed(body, delivery_id), body, [SECRET], NOW)
    assert (accepted.delivery_id, accepted.record) == (delivery_id, record)
    changed = bytearray(body)
    changed[flip % len(body)] ^= 0x01
    with pytest.raises(DeliveryRefusedError, match="signature does not match"):
        verify(SPEC, signed(body, delivery_id), bytes(changed), [SECRET], NOW)


@pytest.mark.parametrize(
    ("timestamp", "status", "says"),
    [
        ("9" * 5000, 400, "malformed webhook-timestamp"),
        ("١٧٩٥٠٠٠٠٠٠", 400, "malformed"),  # digits, but not ASCII ones
        ("-1795000000", 400, "malformed"),
        ("1795000000.5", 400, "malformed"),
        ("", 401, "missing webhook-timestamp"),
        (str(NOW - 301), 401, "outside the 300 s tolerance"),
    ],
)
def test_timestamps_that_are_not_unix_seconds_are_refused(
    timestamp: str, status: int, says: str
) -> None:
    body = b'{"data": {}}'
    headers = signed(body, "msg_1") | {"webhook-timestamp": timestamp}
    with pytest.raises(DeliveryRefusedError, match=says) as refused:
        verify(SPEC, headers, body, [SECRET], NOW)
    assert refused.value.status == status


@pytest.mark.parametrize("sent", ["msg_a", " msg_a", "msg_a ", "\tmsg_a\n"])
def test_a_delivery_id_from_the_body_is_trimmed_like_a_header_id(sent: str) -> None:
    """The stored key compares binary but ignores trailing spaces (MariaDB's PAD SPACE): an id
    kept with its spaces would be answered as a duplicate of `msg_a` and never stored."""
    spec = WebhookSpec(
        secrets=["HOOK_SECRET"],
        record_path="data",
        delivery_id_header=None,
        delivery_id_path="event_id",
        signed_content="{timestamp}.{body}",
    )
    body = json.dumps({"event_id": sent, "data": {"id": "QR-1"}}).encode()
    signature = sign(spec, SECRET, body, timestamp=str(NOW))
    headers = {"webhook-timestamp": str(NOW), "webhook-signature": f"v1,{signature}"}
    assert verify(spec, headers, body, [SECRET], NOW).delivery_id == "msg_a"


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (WebhookSpec(secrets=["HOOK_SECRET"], record_path="data[?contains(tags, 'x')] | [0]"),
         "record_path"),
        (WebhookSpec(secrets=["HOOK_SECRET"], record_path="@", delivery_id_header=None,
                     delivery_id_path="join('-', [source, id])", signed_content="{body}"),
         "delivery_id_path"),
    ],
)  # fmt: skip
def test_an_expression_that_fails_on_a_delivery_refuses_it_with_400(
    spec: WebhookSpec, field: str
) -> None:
    """JMESPath raises for `contains` over a null and `join` over a number: a refusal of that
    delivery with the expression and the error, not a 500."""
    body = json.dumps({"data": [{"tags": None}], "source": "form", "id": 7}).encode()
    good = sign(spec, SECRET, body, delivery_id="d-1", timestamp=str(NOW))
    headers = {
        "webhook-timestamp": str(NOW),
        "webhook-id": "d-1",
        "webhook-signature": f"v1,{good}",
    }
    with pytest.raises(DeliveryRefusedError) as refused:
        verify(spec, headers, body, [SECRET], NOW)
    assert refused.value.status == 400
    assert (
        refused.value.message.startswith(f"{field} `")
        and "JMESPathTypeError" in refused.value.message
    )
