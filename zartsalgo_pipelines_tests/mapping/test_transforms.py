"""Scenario: an ad platform's daily report rows mapped through declared transforms. Cost arrives
in micros and is scaled to euros exactly (never through a binary float), the currency is a
constant, a missing value takes its default, a compact date (`20260829`) is read by its declared
format, numbers are parsed strictly per type (`"12.5e6"` is an integer only where exponents are
declared), and a value outside a value map is reported with the provider values the map accepts.
Each transform is checked in memory and through a real sync on SQLite and MySQL."""

import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pydantic
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings

from zartsalgo_pipelines.mapping.apply import FAILED, VALID, FieldMap
from zartsalgo_pipelines.mapping.casting import CastRules, cast
from zartsalgo_pipelines.pipeline.run import extract_files, process_extract
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests.helpers import assert_every_row_accounted, quote

DEAL_FIELDS: list[dict[str, Any]] = [
    {"source": "id", "target": "external_id", "type": "string", "required": True, "label": "ID"},
    {"source": "client", "target": "client_key", "type": "string", "required": True, "label": "C"},
    {
        "source": "stage",
        "target": "stage",
        "type": "category",
        "required": True,
        "label": "S",
        "values": {"open": "open", "closedwon": "won"},
    },
    {
        "source": "created",
        "target": "source_created_at",
        "type": "datetime",
        "required": True,
        "label": "Created",
    },
]


def deal_spec(*fields: dict[str, Any], **top: Any) -> ProviderSpec:
    """A small `deal` spec reading a JSON-lines export, with extra field entries."""
    return ProviderSpec.model_validate(
        {
            "key": "ads_report",
            "display_name": "Ad platform report",
            "status": "connected",
            "owner": "data-team@zartsalgo.example",
            "reason": "Cost and clicks per client account and day, for the portal.",
            "object_type": "deal",
            "source": {"kind": "file", "path": "*.jsonl", "format": "jsonl"},
            "fields": [*DEAL_FIELDS, *fields],
        }
        | top
    )


def row(number: int, **values: Any) -> dict[str, Any]:
    return {
        "id": f"r{number}",
        "client": "acme-roofing",
        "stage": "open",
        "created": "2026-08-29T00:00:00Z",
    } | values


def apply(spec: ProviderSpec, *records: Any):  # type: ignore[no-untyped-def]
    return FieldMap(spec).apply([SourceRow("x.jsonl", i, r) for i, r in enumerate(records, 1)])


COST = {
    "source": "cost_micros",
    "target": "amount",
    "type": "decimal",
    "label": "Cost",
    "unit": "EUR",
    "scale": 0.000001,
}


def test_micros_are_scaled_to_euros() -> None:
    chunk = apply(
        deal_spec(COST),
        row(1, cost_micros=1536240000),
        row(2, cost_micros="1536240000"),
        row(3, cost_micros=1),  # 0.000001 EUR: more decimals than the column holds, no round
        row(4),  # no cost: stays empty
    )
    assert chunk.outcomes == [VALID, VALID, FAILED, VALID]
    assert chunk.valid.loc[0, "amount"] == chunk.valid.loc[1, "amount"] == 1536.24
    assert chunk.failures[2][0].check == "at most 2 decimal places"
    assert chunk.failures[2][0].value == 1  # the value as the provider sent it


@settings(max_examples=300, deadline=None)
@given(micros=st.integers(min_value=-(10**19), max_value=10**19))
def test_scale_and_round_are_exact_for_any_amount_of_micros(micros: int) -> None:
    spec = deal_spec(COST | {"round": 2})
    chunk = apply(spec, row(1, cost_micros=micros), row(2, cost_micros=str(micros)))
    expected = (Decimal(micros) / 10**6).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if abs(expected) >= 10**12:  # beyond DECIMAL(14, 2): refused, never cut
        assert chunk.outcomes == [FAILED, FAILED]
        return
    assert chunk.outcomes == [VALID, VALID]
    for index in (0, 1):
        # The frame holds the nearest float of the exact result: its text is the decimal.
        assert Decimal(repr(float(chunk.valid.loc[index, "amount"]))) == expected


def test_a_constant_and_a_default_stand_in_for_the_provider_value() -> None:
    spec = deal_spec(
        {
            "constant": "EUR",
            "target": "currency",
            "type": "category",
            "label": "Currency",
            "values": {"EUR": "EUR"},
        },
        {
            "source": "pipeline",
            "default": "paid_search",
            "target": "pipeline",
            "type": "string",
            "label": "Channel",
        },
        {"source": "cost", "default": 0, "target": "amount", "type": "decimal", "label": "Cost"},
    )
    chunk = apply(spec, row(1), row(2, pipeline="display", cost=None), row(3, cost="2.5"))
    assert chunk.outcomes == [VALID, VALID, VALID]
    assert list(chunk.valid["currency"]) == ["EUR", "EUR", "EUR"]
    assert list(chunk.valid["pipeline"]) == ["paid_search", "display", "paid_search"]
    assert list(chunk.valid["amount"]) == [0, 0, 2.5]


@pytest.mark.parametrize(
    ("field_type", "fmt", "sent", "expected"),
    [
        ("date", "%Y%m%d", "20260829", "2026-08-29 00:00:00+00:00"),
        ("date", "%Y%m%d", 20260829, "2026-08-29 00:00:00+00:00"),
        ("date", "%d.%m.%Y", "29.08.2026", "2026-08-29 00:00:00+00:00"),
        ("datetime", "%Y-%m-%d %H:%M:%S", "2026-08-29 13:45:00", "2026-08-29 13:45:00+00:00"),
        (
            "datetime",
            "%Y-%m-%d %H:%M:%S%z",
            "2026-08-29 13:45:00+0200",
            "2026-08-29 11:45:00+00:00",
        ),
        ("date", "%Y%m%d", "2026-08-29", None),  # not in the declared format
        ("date", "%Y%m%d", "20261329", None),  # no 13th month
    ],
)
def test_a_declared_date_format_reads_the_providers_dates(
    field_type: str, fmt: str, sent: Any, expected: str | None
) -> None:
    target = "close_date" if field_type == "date" else "source_updated_at"
    entry = {"source": "day", "target": target, "type": field_type, "label": "Day", "format": fmt}
    chunk = apply(deal_spec(entry), row(1, day=sent))
    if expected is None:
        assert chunk.outcomes == [FAILED]
        (failure,) = chunk.failures[0]
        assert failure.check == f"not a valid {field_type} in the format {fmt}"
        assert failure.value == sent
    else:
        assert chunk.outcomes == [VALID]
        assert str(chunk.valid.loc[0, target]) == expected


NUMBERS = [
    # (type, allow_exponent, sent, accepted value or None for refused)
    ("integer", False, "12", 12),
    ("integer", False, " -12 ", -12),
    ("integer", False, "12.0", 12),
    ("integer", False, 12.0, 12),
    ("integer", False, "12.5e6", None),
    ("integer", True, "12.5e6", 12_500_000),
    ("integer", True, "1.25e1", None),  # 12.5 is not whole
    ("integer", False, "12.5", None),
    ("decimal", False, "1e3", None),
    ("decimal", True, "1e3", 1000),
    ("decimal", False, "12.50", 12.5),
    ("decimal", False, ".5", 0.5),
    ("decimal", False, "1,000", None),
    ("decimal", False, "0x10", None),
    ("decimal", False, "inf", None),
    ("decimal", True, "Infinity", None),
    ("decimal", False, "NaN", None),
    ("decimal", False, "1_000", None),
    ("decimal", False, "١٢", None),  # Arabic-Indic digits
    ("decimal", False, True, None),
]


@pytest.mark.parametrize(("field_type", "exponent", "sent", "expected"), NUMBERS)
def test_numbers_are_parsed_strictly_per_type(
    field_type: str, exponent: bool, sent: Any, expected: float | None
) -> None:
    entry = {"source": "n", "target": "amount", "type": field_type, "label": "N"}
    declared = {"allow_exponent": True} if exponent else {}
    chunk = apply(deal_spec(entry | declared), row(1, n=sent))
    if expected is None:
        assert chunk.outcomes == [FAILED]
        assert chunk.failures[0][0].check == f"not a valid {field_type}"
    else:
        assert chunk.outcomes == [VALID]
        assert chunk.valid.loc[0, "amount"] == expected


_PLAIN_TEXT = st.from_regex(r"\A[+-]?([0-9]{1,12}(\.[0-9]{0,6})?|\.[0-9]{1,6})\Z")
_EXPONENT_TEXT = st.from_regex(r"\A[+-]?[0-9]{1,4}(\.[0-9]{0,3})?[eE][+-]?[0-9]{1,2}\Z")


_GRAMMAR = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(_PLAIN_TEXT, _EXPONENT_TEXT, st.text(max_size=12)), exponent=st.booleans())
def test_a_decimal_text_casts_exactly_when_it_is_a_number_in_the_declared_grammar(
    text: str, exponent: bool
) -> None:
    series, failed = cast([text], "decimal", CastRules(allow_exponent=exponent))
    stripped = text.strip()
    grammar = _GRAMMAR + (r"([eE][+-]?[0-9]+)?" if exponent else "")
    if re.fullmatch(grammar, stripped):
        assert not failed[0]
        assert series.iloc[0] == float(Decimal(stripped))
    elif stripped:
        assert failed[0]
        assert series.isna().iloc[0]


def test_a_value_outside_the_map_lists_the_provider_values_it_accepts() -> None:
    chunk = apply(
        deal_spec(), row(1, stage="archived"), row(2, stage="closedwon"), row(3, stage=" open ")
    )
    assert chunk.outcomes == [FAILED, VALID, VALID]
    assert list(chunk.valid["stage"]) == ["won", "open"]
    (failure,) = chunk.failures[0]
    assert (failure.field, failure.check) == ("stage", "one of closedwon, open")
    assert failure.value == "archived"


def test_the_map_accepts_its_keys_only(make_spec: Callable[..., ProviderSpec]) -> None:
    """`in_progress` is ZartsAlgo's value, not one the provider sends: it is not let through."""
    chunk = FieldMap(make_spec()).apply(
        [
            SourceRow("x", 1, quote(1, status="in_review")),
            SourceRow("x", 2, quote(2, status="in_progress")),
        ]
    )
    assert chunk.outcomes == [VALID, FAILED]
    assert chunk.failures[1][0].check == "one of in_review, lost, new, quoted, won"
    assert "one of in_review, lost, new, quoted, won; got 'in_progress'" in (chunk.reasons[1] or "")


REFUSED = [
    ({"source": "a", "constant": "x"}, "exactly one of source, constant"),
    ({}, "exactly one of source, constant"),
    ({"constant": "x", "default": "y"}, "default applies to a source"),
    ({"source": "a", "type": "string", "scale": 2}, "scale applies to integer or decimal"),
    ({"source": "a", "type": "decimal", "scale": 0}, "scale must not be 0"),
    ({"source": "a", "type": "string", "round": 2}, "round applies to integer or decimal"),
    ({"source": "a", "type": "string", "allow_exponent": True}, "allow_exponent applies to"),
    ({"source": "a", "type": "date", "format": "email"}, "a strftime format"),
    ({"source": "a", "type": "date", "format": "%Q"}, "a strftime format"),
    ({"source": "a", "type": "string", "format": "%Y"}, "email"),
    ({"source": "a", "type": "decimal", "format": "%Y"}, "format applies to"),
    ({"constant": "abc", "type": "decimal"}, "constant 'abc' is not a valid decimal"),
    ({"source": "a", "default": "1e3", "type": "decimal"}, "default '1e3' is not a valid decimal"),
    (
        {"source": "a", "default": "2026-08-29", "type": "date", "format": "%Y%m%d"},
        "default '2026-08-29' is not a valid date in the format %Y%m%d",
    ),
]


@pytest.mark.parametrize(("entry", "message"), REFUSED)
def test_a_transform_that_cannot_apply_is_refused_at_load(
    entry: dict[str, Any], message: str
) -> None:
    base = {"target": "deal_name", "type": "string", "label": "Name"}
    target = {"decimal": "amount", "date": "close_date"}.get(entry.get("type", ""), "deal_name")
    with pytest.raises(pydantic.ValidationError, match=message.replace("(", r"\(")):
        deal_spec(base | {"target": target} | entry)


def test_a_constant_category_must_be_a_provider_value_of_its_map() -> None:
    entry = {"constant": "euro", "target": "currency", "type": "category", "label": "Currency",
             "values": {"EUR": "EUR"}}  # fmt: skip
    with pytest.raises(pydantic.ValidationError, match=r"constant 'euro' is not one of EUR"):
        deal_spec(entry)


@pytest.mark.parametrize("key", ["constant", "default"])
def test_external_id_cannot_be_a_constant_or_a_default(key: str) -> None:
    entry = {"source": "id", "target": "external_id", "type": "string", "required": True,
             "label": "ID"} | {key: "x"}  # fmt: skip
    if key == "constant":
        entry.pop("source")
    with pytest.raises(pydantic.ValidationError, match=f"external_id names each record; a {key}"):
        deal_spec(fields=[entry, *DEAL_FIELDS[1:]])


def test_transforms_load_exactly_on_both_databases(
    engine: sa.Engine, write_export: Callable[[list[Any], str], Path]
) -> None:
    spec = deal_spec(
        COST | {"round": 2},
        {
            "constant": "EUR",
            "target": "currency",
            "type": "category",
            "label": "Currency",
            "values": {"EUR": "EUR"},
        },
        {
            "source": "day",
            "target": "close_date",
            "type": "date",
            "label": "Day",
            "format": "%Y%m%d",
        },
        {
            "source": "clicks",
            "target": "deal_name",
            "type": "string",
            "label": "Clicks",
            "default": "none",
        },
    )
    folder = write_export(
        [
            row(1, cost_micros=1536240000, day="20260829", clicks="12"),
            row(2, cost_micros="999999999994999", day=20260830),  # 999,999,999.994999 -> .99
            row(3, cost_micros="12.5e6", day="20260831"),  # no exponents declared: failed
            row(4, cost_micros=5, day="2026-09-01"),  # the date is not in the declared format
        ],
        "report.jsonl",
    )
    result = process_extract(engine, spec, extract_files(engine, spec, folder).batch_id)
    assert (result.rows_created, result.rows_failed) == (2, 2)
    assert_every_row_accounted(engine, result.batch_id, 4)
    with engine.connect() as conn:
        stored = conn.execute(
            sa.text(
                "SELECT external_id, amount, currency, close_date, deal_name FROM crm_deals "
                "ORDER BY external_id"
            )
        ).all()
        reasons = (
            conn.execute(sa.text("SELECT reason FROM integration_dead_letters ORDER BY reason"))
            .scalars()
            .all()
        )
    assert [(r[0], Decimal(str(r[1])), r[2], str(r[3])[:10], r[4]) for r in stored] == [
        ("r1", Decimal("1536.24"), "EUR", "2026-08-29", "12"),
        ("r2", Decimal("999999999.99"), "EUR", "2026-08-30", "none"),
    ]
    assert any("amount (Cost): not a valid decimal; got '12.5e6'" in r for r in reasons)
    assert any("in the format %Y%m%d; got '2026-09-01'" in r for r in reasons)
