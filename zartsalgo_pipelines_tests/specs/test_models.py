"""Scenario: provider specs are validated once, at load. Good specs pass; each bad one is
refused with the field path, the bad value and what was expected; the published JSON Schema
matches the models."""

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


VALID = [
    ("shipped spec", lambda a: None),
    ("no metrics", lambda a: a.update(metrics=[])),
    ("csv source", lambda a: a.update(source={"kind": "file", "path": "x.csv", "format": "csv"})),
    ("team owner", lambda a: a.update(owner="team:data")),
    ("partial next actions", lambda a: a["metrics"][0].update(next_actions={"steady": "Fine."})),
]

INVALID = [
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
