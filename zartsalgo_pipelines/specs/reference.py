"""The reference tables of docs/provider_spec.md that are read off the models, so they cannot
drift: ``python -m zartsalgo_pipelines.specs.reference`` rewrites them between their markers
(``<!-- generated: NAME -->`` ... ``<!-- /generated -->``), and a test fails when they are not
what the models say now.

- ``object types``: each object type, the table its rows land in, and every target with the
  field types that may fill it, its limit and whether it must be mapped as required;
- ``fact tables``: the columns of the three tables reporting providers' facts are stored in;
- ``next actions``: the text each status gets when a metric's `next_actions` leaves it unset.
"""

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from zartsalgo_pipelines.settings import REPOSITORY_DIR
from zartsalgo_pipelines.specs.consistency import COMPATIBLE_TYPES
from zartsalgo_pipelines.specs.facts import FACT_OBJECT_TYPE, FactsSpec, MeasureSpec
from zartsalgo_pipelines.specs.metrics import DEFAULT_NEXT_ACTIONS
from zartsalgo_pipelines.specs.targets import (
    CURRENCY_CHECK,
    FACT_HOUR_CHECK,
    OBJECT_TYPES,
    required_targets,
    target_columns,
)
from zartsalgo_pipelines.tables import OBJECT_MODELS, table_of
from zartsalgo_pipelines.tables.facts import MetricFact, MetricFactRevision, MetricFactValue
from zartsalgo_pipelines.tables.limits import ColumnLimit, column_limit

REFERENCE_PATH = REPOSITORY_DIR / "docs" / "provider_spec.md"
_BLOCK = re.compile(
    r"(<!-- generated: (?P<name>[a-z ]+) -->\n)(?P<body>.*?)(<!-- /generated -->)", re.S
)
# An example facts block, to show the targets it makes (`dimensions.<name>`, `measures.<name>`).
_EXAMPLE = FactsSpec(
    grain="hour",
    dimensions=["name"],
    measures={"name": MeasureSpec(label="Cost", money=True)},
)


def _limit(limit: ColumnLimit) -> str:
    if limit.max_chars is not None:
        return f"{limit.max_chars} characters"
    if limit.max_bytes is not None:
        return f"{limit.max_bytes:,} bytes of UTF-8"
    if limit.whole_digits is not None:
        largest = "9" * limit.whole_digits + "." + "9" * (limit.scale or 0)
        return (
            f"{limit.whole_digits} digits before the point, {limit.scale} after (up to {largest})"
        )
    if limit.max_abs is not None:
        return f"a whole number within ±{limit.max_abs:,}"
    return ""


def _types(column: sa.Column[Any]) -> str:
    allowed = next((v for k, v in COMPATIBLE_TYPES.items() if isinstance(column.type, k)), None)
    return ", ".join(f"`{t}`" for t in sorted(allowed or ()))


def object_types() -> str:
    """One table per object type: target, field types, limit, required."""
    parts = []
    for object_type in OBJECT_TYPES:
        facts = _EXAMPLE if object_type == FACT_OBJECT_TYPE else None
        table = table_of(OBJECT_MODELS[object_type]).name
        required = set(required_targets(object_type, facts))
        lines = [
            f"**`{object_type}`** (rows land in `{table}`)",
            "",
            "| target | field types | limit | required |",
            "|---|---|---|---|",
        ]
        for name, column in target_columns(object_type, facts).items():
            shown = name.replace(".name", ".<name>")
            when = _required_when(object_type, name) if name in required else "no"
            limit = _limit(column_limit(column))
            if object_type == FACT_OBJECT_TYPE:
                limit = {"fact_hour": FACT_HOUR_CHECK, "currency": CURRENCY_CHECK}.get(name, limit)
            lines.append(f"| `{shown}` | {_types(column)} | {limit} | {when} |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def _required_when(object_type: str, target: str) -> str:
    if object_type != FACT_OBJECT_TYPE:
        return "yes"
    return {"fact_hour": "with `grain: hour`", "currency": "with a money measure"}.get(
        target, "yes"
    )


def fact_tables() -> str:
    """The columns of the fact tables, as the models declare them."""
    parts = []
    for model in (MetricFact, MetricFactValue, MetricFactRevision):
        table = table_of(model)
        keys = {c.name for c in table.primary_key.columns}
        about = " ".join((model.__doc__ or "").split())
        lines = [f"**`{table.name}`**: {about}", ""]
        lines += ["| column | type | null | key |", "|---|---|---|---|"]
        for column in table.columns:
            kind = _type_text(column)
            key = "primary" if column.name in keys else ""
            unique = [c for c in table.constraints if isinstance(c, sa.UniqueConstraint)]
            if any(column.name in {k.name for k in c.columns} for c in unique):
                key = "unique (with provider_key)" if column.name == "external_id" else key
            null = "yes" if column.nullable else "no"
            lines.append(f"| `{column.name}` | `{kind}` | {null} | {key} |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def _type_text(column: sa.Column[Any]) -> str:
    """The column's MySQL type, written out here: compiling it would depend on whatever
    compiler hooks are loaded (dagster-mysql's turns every DATETIME into DATETIME(6))."""
    impl = column.type.dialect_impl(mysql.dialect())
    if isinstance(impl, sa.Numeric) and not isinstance(impl, sa.Float):
        return f"DECIMAL({impl.precision}, {impl.scale})"
    if isinstance(impl, sa.String):
        collation = getattr(impl, "collation", None)
        return f"VARCHAR({impl.length})" + (f" COLLATE {collation}" if collation else "")
    if isinstance(impl, sa.DateTime):
        fsp = getattr(impl, "fsp", None)
        return f"DATETIME({fsp})" if fsp else "DATETIME"
    for kind, name in _TYPE_NAMES:
        if isinstance(impl, kind):
            return name
    return type(impl).__name__.upper()


_TYPE_NAMES: list[tuple[type, str]] = [
    (sa.Date, "DATE"),
    (sa.JSON, "JSON"),
    (sa.BigInteger, "BIGINT"),
    (sa.SmallInteger, "SMALLINT"),
    (sa.Integer, "INTEGER"),
]


def next_actions() -> str:
    """The default next action of each status, as a client reads it."""
    lines = ["| status | next action |", "|---|---|"]
    lines += [f"| `{status}` | {text} |" for status, text in DEFAULT_NEXT_ACTIONS.items()]
    return "\n".join(lines) + "\n"


GENERATED = {"object types": object_types, "fact tables": fact_tables, "next actions": next_actions}


def render(text: str) -> str:
    """``text`` with every generated block rewritten from the models."""

    def replace(match: re.Match[str]) -> str:
        return f"{match[1]}{GENERATED[match['name']]()}{match[4]}"

    return _BLOCK.sub(replace, text)


def blocks(text: str) -> set[str]:
    return {m["name"] for m in _BLOCK.finditer(text)}


def main() -> None:
    text = REFERENCE_PATH.read_text(encoding="utf-8")
    REFERENCE_PATH.write_text(render(text), encoding="utf-8")
    print(
        f"rewrote {', '.join(sorted(blocks(text)))} in {REFERENCE_PATH.relative_to(REPOSITORY_DIR)}"
    )


if __name__ == "__main__":
    main()
