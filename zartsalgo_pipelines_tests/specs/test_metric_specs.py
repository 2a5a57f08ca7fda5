"""Scenario: metric declarations are refused at load, with the file and the field path, when a
next-action template uses an unknown placeholder, a measure lacks what it needs, or a filter
names a field the map does not fill; the shipped specs declare metrics with the new keys."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from zartsalgo_pipelines.specs.errors import ProviderSpecError
from zartsalgo_pipelines.specs.loading import load_spec_file, load_specs
from zartsalgo_pipelines_tests.conftest import shipped_attributes

METRIC = {
    "key": "requests",
    "label": "Requests",
    "source": "Website form",
    "period": "week",
    "unit": "requests",
    "client_meaning": "How many people asked for a quote.",
    "measure": "count",
    "time_field": "submitted_at",
}


def write(tmp_path: Path, metric: dict[str, Any]) -> Path:
    path = tmp_path / "defs.yaml"
    document = {
        "type": "zartsalgo_pipelines.factory.component.ProviderComponent",
        "attributes": shipped_attributes() | {"metrics": [METRIC | metric]},
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("metric", "where", "expected"),
    [
        (
            {"next_actions": {"declining": "Down to {currnet}"}},
            "metrics.0.next_actions.declining",
            "unknown placeholder {currnet}",
        ),
        (
            {"next_actions": {"steady": "Unbalanced {current"}},
            "metrics.0.next_actions.steady",
            "not a valid template",
        ),
        (
            {"next_actions": {"sideways": "Fine"}},
            "metrics.0.next_actions.sideways.[key]",
            "Input should be",
        ),
        ({"measure": "share_matching", "field": "status"}, "metrics.0", "`matching`"),
        ({"measure": "sum", "field": "contact_email"}, "attributes", "integer or decimal"),
        ({"filter": {"field": "nope", "values": ["a"]}}, "attributes", "filter.field `nope`"),
        ({"filter": {"field": "status"}}, "metrics.0.filter", "exactly one of"),
        ({"timezone": "Mars/Olympus"}, "metrics.0.timezone", "unknown time zone"),
        ({"baseline": {"kind": "median"}}, "metrics.0.baseline.kind", "Input should be"),
        ({"min_sample": 0}, "metrics.0.min_sample", "greater than or equal to 1"),
    ],
)
def test_bad_metric_is_refused_with_file_and_path(
    tmp_path: Path, metric: dict[str, Any], where: str, expected: str
) -> None:
    path = write(tmp_path, metric)
    with pytest.raises(ProviderSpecError) as refused:
        load_spec_file(path)
    text = str(refused.value)
    assert str(path) in text and where in text and expected in text


def test_valid_templates_are_accepted(tmp_path: Path) -> None:
    actions = {"declining": "{current} against {baseline} ({change_pct}) in the {period}"}
    spec = load_spec_file(write(tmp_path, {"next_actions": actions})).spec
    assert spec.metrics[0].next_actions == actions


def test_shipped_specs_declare_realistic_metrics() -> None:
    specs = {k: s.spec for k, s in load_specs().items()}
    quotes = {m.key: m for m in specs["quote_request"].metrics}
    assert specs["quote_request"].timezone == "Europe/Berlin"
    assert {m.measure for m in quotes.values()} >= {
        "count",
        "share_present",
        "share_matching",
        "average",
    }
    assert quotes["won_share"].target == 20 and quotes["average_budget"].filter is not None
    deals = specs["crm_deals"].metrics
    assert {m.measure for m in deals} >= {"count", "sum"}
    assert all(not m.next_actions for m in deals)  # the defaults apply


def test_a_period_must_stay_open_as_long_as_records_take_to_arrive(make_spec) -> None:
    """Review of issue 19: `restate_days: 0` with a nightly export froze a week before its
    last day's records arrived, and they were never counted."""
    import pydantic

    from zartsalgo_pipelines_tests.proof.portal_helpers import METRICS

    with pytest.raises(pydantic.ValidationError, match=r"restate_days 0: records may take up"):
        make_spec(metrics=[METRICS[0] | {"restate_days": 0}])
    make_spec(metrics=[METRICS[0] | {"restate_days": 0}], freshness={"delay_hours": 0})
