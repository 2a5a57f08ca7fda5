"""Scenario: a reporting provider is declared in YAML alone (`object_type: metric_fact` and a
`facts` block), and what does not fit is refused at load with the file, the line, the field path
and what is valid: a target for a dimension or measure that is not declared, a declared one that
is not mapped, an hour on a daily grain, money mixed into a unit that is not its currency, a
ratio dividing by money, a ratio on records, and a ratio whose other provider's metric does not
exist, is not a count or counts per another period. The JSON Schema offers the object types and
each one's targets, and the reference tables in docs/provider_spec.md are what the models say."""

import contextlib
import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from zartsalgo_pipelines.specs.errors import ProviderSpecError
from zartsalgo_pipelines.specs.loading import load_spec_file, load_specs
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.specs.reference import REFERENCE_PATH, blocks, render
from zartsalgo_pipelines.specs.schema import render as render_schema
from zartsalgo_pipelines.specs.targets import OBJECT_TYPES, target_columns
from zartsalgo_pipelines_tests.ads import ADS_DEFS, shipped_ads
from zartsalgo_pipelines_tests.conftest import SHIPPED_SPEC

Edit = Callable[[dict[str, Any]], None]


def ads_document() -> dict[str, Any]:
    return yaml.safe_load(ADS_DEFS.read_text(encoding="utf-8"))


def write_spec(folder: Path, document: dict[str, Any], key: str | None = None) -> Path:
    key = key or document["attributes"]["key"]
    path = folder / key / "defs.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def edited(change: Edit) -> dict[str, Any]:
    document = copy.deepcopy(ads_document())
    change(document["attributes"])
    return document


def _field(target: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def find(attributes: dict[str, Any]) -> dict[str, Any]:
        return next(f for f in attributes["fields"] if f["target"] == target)

    return find


def _metric(key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def find(attributes: dict[str, Any]) -> dict[str, Any]:
        return next(m for m in attributes["metrics"] if m["key"] == key)

    return find


CASES: list[tuple[str, Edit, str, str]] = [
    (
        "an undeclared measure target",
        lambda a: _field("measures.clicks")(a).update(target="measures.klicks"),
        "target",
        "`measures.klicks` is not a field of metric_fact; valid: ['client_key', 'currency', "
        "'dimensions.campaign', 'dimensions.channel', 'external_id', 'fact_date', "
        "'fact_hour', 'measures.clicks', 'measures.conversions', 'measures.impressions', "
        "'measures.spend']",
    ),
    (
        "a declared measure nobody maps",
        lambda a: a["facts"]["measures"].update(video_views={"label": "Views", "unit": "views"}),
        "attributes.facts.measures.video_views",
        "`video_views` is declared but no field maps `measures.video_views`",
    ),
    (
        "an hour on a daily grain",
        lambda a: a["fields"].append(
            {"source": "segments.hour", "target": "fact_hour", "type": "integer", "label": "Hour"}
        ),
        "target",
        "`fact_hour` goes with facts.grain `hour`",
    ),
    (
        "an hourly grain without its hour",
        lambda a: a["facts"].update(grain="hour"),
        "attributes.fields",
        "metric_fact.fact_hour must be mapped with required: true",
    ),
    (
        "money without its currency",
        lambda a: _field("currency")(a).update(required=False),
        "attributes.fields",
        "metric_fact.currency must be mapped with required: true",
    ),
    (
        "a measure both money and counted",
        lambda a: a["facts"]["measures"]["spend"].update(unit="euros"),
        "attributes.facts.measures.spend",
        "give `money: true` or a `unit`",
    ),
    (
        "spend summed into a count",
        lambda a: _metric("ad_spend")(a).update(unit="euros"),
        "unit",
        "`measures.spend` is money: its unit is the currency counted",
    ),
    (
        "clicks summed as money",
        lambda a: _metric("ad_spend")(a).update(field="measures.clicks"),
        "unit",
        "`measures.clicks` is not money: a currency unit goes with money",
    ),
    (
        "a ratio dividing by money",
        lambda a: _metric("cost_per_click")(a).update(
            numerator="measures.clicks", denominator="measures.spend"
        ),
        "denominator",
        "money divides, it is not divided by",
    ),
    (
        "a ratio of an undeclared measure",
        lambda a: _metric("cost_per_click")(a).update(denominator="measures.taps"),
        "denominator",
        "`measures.taps` is not a declared measure",
    ),
    (
        "a share over facts",
        lambda a: _metric("ad_spend")(a).update(measure="share_present", unit="percent"),
        "measure",
        "facts are measured by ['average', 'count', 'ratio', 'sum']",
    ),
    (
        "a filter on a measure",
        lambda a: _metric("ad_spend")(a).update(
            filter={"field": "measures.clicks", "present": True}
        ),
        "filter.field",
        "facts are filtered on a dimension",
    ),
    (
        "a ratio with both sides from other providers",
        lambda a: (
            _metric("cost_per_click")(a).update(
                numerator={"provider": "crm_deals", "metric": "new_deals"}
            )
            or _metric("cost_per_click")(a).update(
                denominator={"provider": "quote_request", "metric": "requests_received"}
            )
        ),
        "metrics",
        "at most one side of a ratio is another provider's metric",
    ),
]


@pytest.mark.parametrize(("name", "change", "where", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_reporting_spec_is_refused_with_file_line_and_what_is_valid(
    tmp_path: Path, name: str, change: Edit, where: str, expected: str
) -> None:
    path = write_spec(tmp_path, edited(change))
    with pytest.raises(ProviderSpecError) as refused:
        load_spec_file(path)
    text = str(refused.value)
    assert f"{path}:" in text and where in text and expected in text, text


def test_a_ratio_is_refused_on_a_record_provider(tmp_path: Path) -> None:
    document = yaml.safe_load(SHIPPED_SPEC.read_text(encoding="utf-8"))
    document["attributes"]["metrics"].append(
        {
            "key": "budget_per_request",
            "label": "Budget per request",
            "source": "Website form",
            "period": "week",
            "unit": "EUR",
            "client_meaning": "What a request's budget is on average.",
            "measure": "ratio",
            "numerator": "budget_amount",
            "denominator": "budget_amount",
            "time_field": "submitted_at",
        }
    )
    with pytest.raises(ProviderSpecError, match="a ratio reads the measures of an object_type"):
        load_spec_file(write_spec(tmp_path, document))


PEER_CASES: list[tuple[dict[str, Any], str]] = [
    ({"provider": "quote_requests", "metric": "requests_received"}, "no other provider"),
    ({"provider": "quote_request", "metric": "requests"}, "has no metric `requests`; valid:"),
    (
        {"provider": "quote_request", "metric": "valid_contact_email_share"},
        "is a share_present; a ratio's other side is a `count` metric",
    ),
    ({"provider": "crm_deals", "metric": "deals_won"}, "counts per month, this metric per week"),
]


@pytest.mark.parametrize(("ref", "expected"), PEER_CASES)
def test_a_ratio_reading_another_provider_is_checked_when_the_folder_loads(
    tmp_path: Path, ref: dict[str, Any], expected: str
) -> None:
    for shipped in ("quote_request", "crm_deals"):
        source = SHIPPED_SPEC.parent.parent / shipped / "defs.yaml"
        write_spec(tmp_path, yaml.safe_load(source.read_text(encoding="utf-8")), shipped)
    path = write_spec(
        tmp_path, edited(lambda a: _metric("cost_per_quote_request")(a).update(denominator=ref))
    )
    with pytest.raises(ProviderSpecError) as refused:
        load_specs(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    # The cross-provider denominator: a `denominator:` line whose mapping names a provider.
    line = next(n for n in range(1, len(lines)) if lines[n - 1].strip() == "denominator:")
    text = str(refused.value)
    assert f"{path}:{line}: attributes.metrics.2.denominator" in text and expected in text, text


def test_the_shipped_reporting_provider_loads_beside_the_others() -> None:
    specs = load_specs()
    ads = specs["ads_google"].spec
    assert ads.status == "paused" and ads.reports_facts and ads.facts is not None
    assert ads.facts.restatement_days == 3 and set(ads.facts.measures) >= {"spend", "clicks"}
    assert {m.key: m.good_direction for m in ads.metrics} == {
        "ad_spend": "neutral",
        "cost_per_click": "down",
        "cost_per_quote_request": "down",
    }
    peer = ads.metrics[2].peer
    assert peer is not None and (peer.provider, peer.metric) == (
        "quote_request",
        "requests_received",
    )


def test_the_json_schema_offers_each_object_types_targets() -> None:
    schema = json.loads(render_schema())
    assert schema["properties"]["object_type"]["enum"] == OBJECT_TYPES
    offered = {
        case["if"]["properties"]["object_type"]["const"]: case["then"]["properties"]["fields"][
            "items"
        ]["properties"]["target"]
        for case in schema["allOf"]
    }
    assert set(offered) == set(OBJECT_TYPES)
    for object_type in ("quote_request", "deal"):
        assert offered[object_type]["enum"] == sorted(target_columns(object_type))
    fact = offered["metric_fact"]["anyOf"]
    assert fact[0]["enum"] == sorted(target_columns("metric_fact"))
    assert fact[1]["pattern"] == r"^(dimensions|measures)\.[a-z][a-z0-9_]*$"


def test_the_reference_tables_are_what_the_models_say() -> None:
    with contextlib.suppress(ImportError):  # its compiler hook must change nothing here
        import dagster_mysql  # noqa: F401

    text = REFERENCE_PATH.read_text(encoding="utf-8")
    assert blocks(text) == {"object types", "fact tables", "next actions"}
    assert text == render(text), (
        "run `python -m zartsalgo_pipelines.specs.reference` and commit docs/provider_spec.md"
    )
    for column in ("`measures.<name>`", "`dimensions.<name>`", "`metric_fact_revisions`"):
        assert column in text
    # What a client reads when a spec leaves a status's next action unset, without Python.
    assert "| `declining` | We will review the source with you and suggest a fix. |" in text


@pytest.mark.parametrize(
    ("query", "incremental", "expected"),
    [
        ("SELECT x FROM campaign WHERE segments.date >= '{start}'", {}, "holding `{start}` and"),
        ("SELECT x FROM campaign", {}, "holding `{start}` and `{end}`"),
        (
            "SELECT x WHERE segments.date BETWEEN '{start}' AND '{end}'",
            {"end_body_path": "until"},
            "with text_path the window's end is `{end}` in the text",
        ),
        (
            "SELECT x WHERE segments.date BETWEEN '{start}' AND '{end}'",
            {"param": "since"},
            "exactly one of param, body_path, text_path",
        ),
    ],
)
def test_a_gaql_window_must_have_both_bounds_in_its_text(
    query: str, incremental: dict[str, str], expected: str
) -> None:
    data = shipped_ads().model_dump()
    data["source"]["body"]["query"] = query
    data["source"]["incremental"] |= incremental
    with pytest.raises(pydantic.ValidationError, match=re.escape(expected)):
        ProviderSpec.model_validate(data)
