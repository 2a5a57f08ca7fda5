"""Scenario: provider specs are validated once, at load. Good specs pass; each bad one is
refused with the field path, the bad value and what was expected; the published JSON Schema
matches the models. A spec's chunk size is its own, else the environment's, else the
default."""

import copy
import json
import re
from typing import Any

import pydantic
import pytest

from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.specs.schema import SCHEMA_PATH, render
from zartsalgo_pipelines_tests.conftest import shipped_attributes


def edited(edit: Any) -> dict[str, Any]:
    attributes = copy.deepcopy(shipped_attributes())
    edit(attributes)
    return attributes


def field_entry(attributes: dict[str, Any], target: str) -> dict[str, Any]:
    return next(f for f in attributes["fields"] if f["target"] == target)


REST = {"kind": "rest_api", "base_url": "https://api.example.com", "records_path": "data"}


def rest(**changes: Any) -> Any:
    return lambda a: a.update(source=REST | changes)


def webhook(**changes: Any) -> Any:
    return lambda a: a["webhook"].update(changes)


VALID = [
    ("shipped spec", lambda a: None),
    ("no metrics", lambda a: a.update(metrics=[])),
    ("csv source", lambda a: a.update(source={"kind": "file", "path": "x.csv", "format": "csv"})),
    ("team owner", lambda a: a.update(owner="team:data")),
    ("partial next actions", lambda a: a["metrics"][0].update(next_actions={"steady": "Fine."})),
    ("file source without kind", lambda a: a["source"].pop("kind")),
    ("rest single page", rest()),
    ("rest page_number", rest(paginator={"type": "page_number", "total_path": "pages"})),
    ("rest offset", rest(paginator={"type": "offset", "limit": 100})),
    ("rest json_link", rest(paginator={"type": "json_link", "next_url_path": "links.next"})),
    ("rest header_link", rest(paginator={"type": "header_link"})),
    (
        "rest POST search with body cursor and body incremental",
        rest(
            method="POST",
            body={"filters": [{"value": None}]},
            paginator={"type": "cursor", "cursor_path": "next", "cursor_body_path": "after"},
            incremental={
                "cursor_path": "updated",
                "initial_value": "2024-01-01T00:00:00Z",
                "body_path": "filters.0.value",
                "send_as": "epoch_milliseconds",
            },
        ),
    ),
    (
        "oauth2 auth",
        lambda a: a.update(
            auth={
                "model": "oauth2_client_credentials",
                "credentials": {"client_id": "X_ID", "client_secret": "X_SECRET"},
                "token_url": "https://auth.example.com/token",
            }
        ),
    ),
    (
        "github-style webhook",
        webhook(
            signature_prefix="sha256=",
            encoding="hex",
            signed_content="{body}",
            timestamp_header=None,
            delivery_id_header="X-GitHub-Delivery",
        ),
    ),
    ("no webhook", lambda a: a.pop("webhook")),
]

INVALID = [
    (
        "warning share above the tolerance",
        lambda a: a.update(tolerated_failure_share=0.05, warning_failure_share=0.07),
        r"warning_failure_share",
        "0.07",
        "expected at most the tolerance",
    ),
    ("min_rows zero", lambda a: a.update(min_rows=0), r"min_rows", "0", "greater than 0"),
    (
        "unknown field type",
        lambda a: field_entry(a, "budget_amount").update(type="money"),
        r"fields\.9\.type",
        "money",
        "'string', 'integer', 'decimal'",
    ),
    (
        "unknown status",
        lambda a: a.update(status="live"),
        r"status",
        "live",
        "'planned', 'connected'",
    ),
    ("plain owner name", lambda a: a.update(owner="Ana"), r"owner", "Ana", "pattern"),
    (
        "bad jmespath",
        lambda a: field_entry(a, "service").update(source="answers[?"),
        r"fields\.8\.source",
        "answers[?",
        "not a valid JMESPath",
    ),
    (
        "target not a column",
        lambda a: field_entry(a, "message").update(target="notes"),
        r"fields\[12\]\.target `notes`",
        "notes",
        "valid: [",
    ),
    (
        "required column unmapped",
        lambda a: a.update(fields=a["fields"][1:]),
        r"quote_request\.external_id must be mapped",
        "external_id",
        "required: true",
    ),
    (
        "category without values",
        lambda a: field_entry(a, "status").pop("values"),
        r"category and needs a `values` map",
        "status",
        "values",
    ),
    (
        "wrong type for column",
        lambda a: field_entry(a, "submitted_at").update(type="date"),
        r"fields\[2\]\.type `date`",
        "date",
        "expected one of ['datetime']",
    ),
    (
        "secret value instead of env name",
        lambda a: a["auth"].update(credentials={"token": "abc123"}),
        r"auth\.credentials\.token",
        "abc123",
        "pattern",
    ),
    ("unknown key", lambda a: a.update(colour="blue"), r"colour", "blue", "Extra inputs"),
    (
        "metric without unit",
        lambda a: a["metrics"][0].pop("unit"),
        r"metrics\.0\.unit",
        "unit",
        "Field required",
    ),
    (
        "metric without period",
        lambda a: a["metrics"][0].pop("period"),
        r"metrics\.0\.period",
        "period",
        "Field required",
    ),
    (
        "metric without source",
        lambda a: a["metrics"][0].pop("source"),
        r"metrics\.0\.source",
        "source",
        "Field required",
    ),
    (
        "metric without meaning",
        lambda a: a["metrics"][0].pop("client_meaning"),
        r"metrics\.0\.client_meaning",
        "client_meaning",
        "Field required",
    ),
    (
        "metric on unmapped field",
        lambda a: a["metrics"][1].update(field="fax"),
        r"metrics\[1\]\.field `fax`",
        "fax",
        "valid:",
    ),
    (
        "unknown source kind",
        lambda a: a.update(source={"kind": "ftp", "path": "x"}),
        r"source",
        "ftp",
        "'file', 'rest_api'",
    ),
    (
        "unknown paginator",
        rest(paginator={"type": "link"}),
        r"source\.rest_api\.paginator",
        "link",
        "'single_page', 'page_number', 'offset', 'cursor', 'json_link', 'header_link'",
    ),
    (
        "cursor without a place to send it",
        rest(paginator={"type": "cursor", "cursor_path": "next"}),
        r"source\.rest_api\.paginator\.cursor",
        "next",
        "exactly one of cursor_param, cursor_body_path",
    ),
    (
        "base_url with a query",
        rest(base_url="https://api.example.com/v1?key=1"),
        r"source\.rest_api\.base_url",
        "key=1",
        "should match pattern",
    ),
    (
        "credential header outside auth",
        rest(headers={"Authorization": "Bearer abc"}),
        r"source\.rest_api\.headers",
        "Authorization",
        "declare it under `auth`",
    ),
    (
        "credential query parameter outside auth",
        rest(params={"access_token": "EAAB-not-here"}),
        r"source\.rest_api\.params",
        "access_token",
        "declare it under `auth`",
    ),
    (
        "secret header the model sets itself",
        lambda a: a.update(
            auth={
                "model": "bearer",
                "credentials": {"token": "T"},
                "secret_headers": {"authorization": "OTHER"},
            }
        ),
        r"auth",
        "authorization",
        "its model's own header",
    ),
    (
        "secret header spelt twice",
        lambda a: a.update(
            auth={
                "model": "none",
                "secret_headers": {"Developer-Token": "A", "developer-token": "B"},
            }
        ),
        r"auth",
        "developer-token",
        "named twice",
    ),
    (
        "header both plain and secret",
        lambda a: (
            a.update(source=REST | {"headers": {"Developer-Token": "x"}}),
            a.update(auth={"model": "none", "secret_headers": {"developer-token": "DEV"}}),
        ),
        r"source\.headers",
        "Developer-Token",
        "also in auth.secret_headers",
    ),
    (
        "header value of two lines",
        rest(headers={"login-customer-id": "123\r\nX-Injected: 1"}),
        r"source\.rest_api\.headers",
        "X-Injected",
        "should match pattern",
    ),
    (
        "header name with a space",
        rest(headers={"login customer id": "123"}),
        r"source\.rest_api\.headers",
        "login customer id",
        "should match pattern",
    ),
    (
        "text_path window on an integer cursor",
        rest(
            method="POST",
            body={"query": "WHERE id BETWEEN {start} AND {end}"},
            incremental={
                "cursor_path": "id",
                "cursor_type": "integer",
                "initial_value": "0",
                "send_as": "integer",
                "text_path": "query",
            },
        ),
        r"source\.rest_api\.incremental",
        "text_path",
        "(end_param, end_body_path, text_path) needs a datetime cursor",
    ),
    (
        "api key header name with a space",
        lambda a: a.update(
            auth={
                "model": "api_key",
                "credentials": {"api_key": "K"},
                "api_key_name": "X Api Key",
                "api_key_location": "header",
            }
        ),
        r"auth",
        "X Api Key",
        "is not a header name",
    ),
    (
        "json_param without the window's end",
        rest(
            incremental={
                "cursor_path": "date_start",
                "initial_value": "2026-01-01",
                "param": "since",
                "json_param": "time_range",
                "send_as": "date",
            }
        ),
        r"source\.rest_api\.incremental",
        "json_param",
        "json_param takes param and end_param (its keys",
    ),
    (
        "bearer without token",
        lambda a: a.update(auth={"model": "bearer", "credentials": {}}),
        r"auth",
        "bearer",
        "needs credentials ['token']",
    ),
    (
        "api_key without its name",
        lambda a: a.update(auth={"model": "api_key", "credentials": {"api_key": "K"}}),
        r"auth",
        "api_key",
        "needs api_key_name",
    ),
    (
        "oauth2 without token_url",
        lambda a: a.update(
            auth={
                "model": "oauth2_client_credentials",
                "credentials": {"client_id": "I", "client_secret": "S"},
            }
        ),
        r"auth",
        "oauth2_client_credentials",
        "needs token_url",
    ),
    (
        "incremental initial value not a datetime",
        rest(incremental={"cursor_path": "u", "initial_value": "last week", "param": "since"}),
        r"source\.rest_api\.incremental",
        "last week",
        "is not a datetime",
    ),
    (
        "body on a GET",
        rest(body={"limit": 10}),
        r"source\.rest_api",
        "limit",
        "needs method POST",
    ),
    (
        "body cursor without a body",
        rest(
            method="POST",
            paginator={"type": "cursor", "cursor_path": "n", "cursor_body_path": "after"},
        ),
        r"source\.rest_api",
        "after",
        "needs a `body`",
    ),
    (
        "two rates",
        rest(rate_limit={"requests_per_second": 1, "requests_per_minute": 60}),
        r"source\.rest_api\.rate_limit",
        "60",
        "not both",
    ),
    (
        "webhook without secrets",
        webhook(secrets=[]),
        r"webhook\.secrets",
        "secrets",
        "at least 1 item",
    ),
    (
        "webhook secret value instead of env name",
        webhook(secrets=["whsec_abc"]),
        r"webhook\.secrets\.0",
        "whsec_abc",
        "pattern",
    ),
    (
        "webhook signing without the body",
        webhook(signed_content="{id}.{timestamp}"),
        r"webhook",
        "{id}.{timestamp}",
        "must include {body}",
    ),
    (
        "webhook unknown placeholder",
        webhook(signed_content="{method}.{body}"),
        r"webhook",
        "{method}",
        "may only use the placeholders",
    ),
    (
        "webhook timestamp signed but no header",
        webhook(timestamp_header=None),
        r"webhook",
        "{timestamp}",
        "set timestamp_header",
    ),
    (
        "webhook id in header and body",
        webhook(delivery_id_path="event_id"),
        r"webhook",
        "event_id",
        "exactly one of delivery_id_header, delivery_id_path",
    ),
    (
        "tolerance above one",
        lambda a: a.update(tolerated_failure_share=1.5),
        r"tolerated_failure_share",
        "1.5",
        "less than or equal to 1",
    ),
]


@pytest.mark.parametrize(("case", "edit"), VALID, ids=[v[0] for v in VALID])
def test_valid_specs_load(case: str, edit: Any) -> None:
    assert ProviderSpec.model_validate(edited(edit)).key == "quote_request"


@pytest.mark.parametrize(
    ("case", "edit", "path", "value", "expected"), INVALID, ids=[i[0] for i in INVALID]
)
def test_invalid_specs_are_refused_with_path_value_and_expectation(
    case: str, edit: Any, path: str, value: str, expected: str
) -> None:
    with pytest.raises(pydantic.ValidationError) as refused:
        ProviderSpec.model_validate(edited(edit))
    message = str(refused.value)
    assert re.search(path, message), message
    assert value in message, message
    assert expected in message, message


def test_spec_version_changes_with_content() -> None:
    shipped = ProviderSpec.model_validate(shipped_attributes())
    again = ProviderSpec.model_validate(shipped_attributes())
    changed = ProviderSpec.model_validate(edited(lambda a: a.update(stale_after_hours=12)))
    assert shipped.version == again.version != changed.version


def test_published_json_schema_is_current() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render(), (
        "run `python -m zartsalgo_pipelines.specs.schema` and commit docs/provider_spec.schema.json"
    )


def _property_names(node: object) -> set[str]:
    names: set[str] = set()
    if isinstance(node, dict):
        names |= set(node.get("properties", {}))
        for value in node.values():
            names |= _property_names(value)
    elif isinstance(node, list):
        for value in node:
            names |= _property_names(value)
    return names


def test_every_spec_key_is_documented() -> None:
    reference = (SCHEMA_PATH.parent / "provider_spec.md").read_text(encoding="utf-8")
    undocumented = {n for n in _property_names(json.loads(render())) if f"`{n}`" not in reference}
    assert not undocumented, f"document these keys in docs/provider_spec.md: {sorted(undocumented)}"


@pytest.mark.parametrize(
    ("spec_value", "env_value", "expected"),
    [(50, "700", 50), (None, "700", 700), (None, None, 8000)],
    ids=["spec", "environment", "default"],
)
def test_the_effective_chunk_size(
    monkeypatch: pytest.MonkeyPatch, spec_value: int | None, env_value: str | None, expected: int
) -> None:
    if env_value is None:
        monkeypatch.delenv("ZARTSALGO_CHUNK_SIZE", raising=False)
    else:
        monkeypatch.setenv("ZARTSALGO_CHUNK_SIZE", env_value)
    spec = ProviderSpec.model_validate(shipped_attributes() | {"chunk_size": spec_value})
    assert spec.effective_chunk_size == expected
