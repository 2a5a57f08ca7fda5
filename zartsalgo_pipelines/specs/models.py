"""The provider spec: one declarative YAML document per provider, validated once at load.

After validation the rest of the code trusts the shape (the dlt habit): every cross-field rule
lives here, and every message names the field path, the bad value and what was expected. The
parts of a spec live in their own modules (``fields``, ``auth``, ``sources``, ``operations``,
``rest``, ``webhooks``, ``metrics``) and are imported here, so ``from
zartsalgo_pipelines.specs.models import X`` keeps working for each of them.
"""

import hashlib
from typing import Annotated, Any, Literal

import pydantic
import sqlalchemy as sa

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.specs.auth import AUTH_ROLES, AuthModel, AuthSpec
from zartsalgo_pipelines.specs.errors import SpecFieldError
from zartsalgo_pipelines.specs.fields import NUMERIC_TYPES, FieldMapEntry, FieldType, IgnoreRule
from zartsalgo_pipelines.specs.metrics import MetricSpec
from zartsalgo_pipelines.specs.operations import (
    AlertSpec,
    FreshnessSpec,
    RetrySpec,
    ScheduleSpec,
)
from zartsalgo_pipelines.specs.rest import RestSource
from zartsalgo_pipelines.specs.sources import FileSource, Source
from zartsalgo_pipelines.specs.types import (
    Frozen,
    Identifier,
    Owner,
    check_locale,
    check_timezone,
)
from zartsalgo_pipelines.specs.webhooks import WebhookSpec
from zartsalgo_pipelines.tables import RECORD_MODELS, SYSTEM_COLUMNS, table_of

__all__ = [
    "AUTH_ROLES",
    "AlertSpec",
    "AuthModel",
    "AuthSpec",
    "ConnectionStatus",
    "FieldMapEntry",
    "FieldType",
    "FileSource",
    "IgnoreRule",
    "ProviderSpec",
    "RestSource",
    "RetrySpec",
    "ScheduleSpec",
    "Source",
    "spec_json_schema",
]

ConnectionStatus = Literal["planned", "connected", "paused", "disconnected"]

# SQLAlchemy column type -> field types that may fill it.
_COMPATIBLE_TYPES: dict[type, frozenset[str]] = {
    sa.String: frozenset({"string", "category"}),
    sa.Text: frozenset({"string", "category"}),
    sa.DateTime: frozenset({"datetime"}),
    sa.Date: frozenset({"date"}),
    sa.Numeric: frozenset({"decimal", "integer"}),
    sa.Integer: frozenset({"integer"}),
    sa.Boolean: frozenset({"boolean"}),
}


class ProviderSpec(Frozen):
    """Everything ZartsAlgo knows about one provider connection."""

    key: Identifier = pydantic.Field(description="Provider key; also the Dagster asset group.")
    display_name: str = pydantic.Field(min_length=1, max_length=200)
    status: ConnectionStatus
    owner: Owner = pydantic.Field(
        description="Owns setup, verification, incident response and the client-facing summary "
        "(an email or team:<name>); also the Dagster asset owner."
    )
    reason: str = pydantic.Field(min_length=10, description="Why this provider is connected.")
    object_type: Identifier = pydantic.Field(description="ZartsAlgo record type it maps into.")
    auth: AuthSpec = AuthSpec()
    source: Source
    webhook: WebhookSpec | None = pydantic.Field(
        None, description="Signed pushes, received by `zartsalgo webhooks serve`."
    )
    fields: list[FieldMapEntry] = pydantic.Field(min_length=1)
    ignore: list[IgnoreRule] = []
    stale_after_hours: pydantic.PositiveFloat = pydantic.Field(
        24, description="A provider whose last successful batch is older than this is stale."
    )
    tolerated_failure_share: float = pydantic.Field(
        0.05,
        ge=0,
        le=1,
        description="Share of failed rows per field above which its check fails with ERROR and "
        "client_metrics is blocked.",
    )
    warning_failure_share: float | None = pydantic.Field(
        None,
        ge=0,
        le=1,
        description="Share of failed rows per field above which its check fails with WARN "
        "(not blocking); at most tolerated_failure_share; default half of it.",
    )
    min_rows: pydantic.PositiveInt = pydantic.Field(
        1,
        description="Failed shares are computed over at least this many rows, so a small batch "
        "(an incremental sync, a webhook burst) is judged leniently: failed / max(rows, min_rows).",
    )
    schedule: ScheduleSpec | None = pydantic.Field(
        None, description="Cron schedule of the sync; none means syncs are started by hand."
    )
    retries: RetrySpec = RetrySpec()
    alerts: AlertSpec = AlertSpec()
    batch_timeout_minutes: pydantic.PositiveFloat = pydantic.Field(
        60,
        description="A batch that is extracting or running with no progress (a landed page or "
        "file, a committed chunk) for this long is failed as stuck by the crash sweep, even if "
        "its owner seems alive (docs/crash_safety.md).",
    )
    chunk_size: pydantic.PositiveInt | None = pydantic.Field(
        None, description="Rows per chunk; defaults to ZARTSALGO_CHUNK_SIZE or 8000."
    )
    timezone: Annotated[str, pydantic.AfterValidator(check_timezone)] = pydantic.Field(
        "UTC", description="IANA zone the client's periods (days, weeks, months) are counted in."
    )
    locale: Annotated[str, pydantic.AfterValidator(check_locale)] = pydantic.Field(
        "en_GB",
        description="How the client reads numbers, money and dates (CLDR name, e.g. de_DE).",
    )
    freshness: FreshnessSpec = FreshnessSpec()
    metrics: list[MetricSpec] = []

    @pydantic.field_validator("warning_failure_share", mode="after")
    @classmethod
    def _warning_within_tolerance(
        cls, value: float | None, info: pydantic.ValidationInfo
    ) -> float | None:
        tolerated = info.data.get("tolerated_failure_share")
        if value is not None and tolerated is not None and value > tolerated:
            raise ValueError(
                f"is above tolerated_failure_share {tolerated}; expected at most the tolerance "
                "(WARN comes before ERROR)"
            )
        return value

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> "ProviderSpec":
        _check_targets(self.object_type, self.fields)
        types = {e.target: e.type for e in self.fields}
        keys: set[str] = set()
        for index, metric in enumerate(self.metrics):
            if metric.key in keys:
                raise SpecFieldError(
                    ("metrics", index, "key"),
                    f"metrics[{index}].key `{metric.key}` is declared twice",
                )
            keys.add(metric.key)
            _check_metric(index, metric, types)
        field = self.freshness.field
        if field is not None and types.get(field) not in {"date", "datetime"}:
            raise SpecFieldError(
                ("freshness", "field"),
                f"freshness.field `{field}` must be a mapped date or datetime target; valid: "
                f"{sorted(k for k, v in types.items() if 'date' in v)}",
            )
        return self

    @property
    def freshness_field(self) -> str | None:
        """The target whose newest value says when the latest record arrived."""
        if self.freshness.field is not None:
            return self.freshness.field
        return next((m.time_field for m in self.metrics), None)

    @property
    def version(self) -> str:
        """Content hash of the spec: what ``integration_field_mappings`` records as applied."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]

    @property
    def file_source(self) -> FileSource:
        """The file source; a TypeError for a provider whose source is an API."""
        if not isinstance(self.source, FileSource):
            raise TypeError(f"provider `{self.key}` has a {self.source.kind} source, not a file")
        return self.source

    @property
    def rest_source(self) -> RestSource:
        """The REST API source; a TypeError for a provider whose source is files."""
        if not isinstance(self.source, RestSource):
            raise TypeError(f"provider `{self.key}` has a {self.source.kind} source, not rest_api")
        return self.source

    @property
    def effective_chunk_size(self) -> int:
        """Rows per chunk: the spec's ``chunk_size``, else ZARTSALGO_CHUNK_SIZE, else 8000."""
        return self.chunk_size or settings.chunk_size()

    @property
    def text_encoding(self) -> str:
        """Encoding of files entered for this provider (its exports, manual entries)."""
        return self.source.encoding if isinstance(self.source, FileSource) else "utf-8"

    def field(self, target: str) -> FieldMapEntry | None:
        return next((e for e in self.fields if e.target == target), None)


def _check_targets(object_type: str, fields: list[FieldMapEntry]) -> None:
    """Every target is a field of the record, mapped once, with a type that fits its column,
    and every column the record cannot leave empty is mapped as required."""
    model = RECORD_MODELS.get(object_type)
    if model is None:
        raise SpecFieldError(
            ("object_type",),
            f"object_type `{object_type}` is unknown; valid: {sorted(RECORD_MODELS)}",
        )
    columns = {c.name: c for c in table_of(model).columns}
    seen: set[str] = set()
    for index, entry in enumerate(fields):
        where = f"fields[{index}].target `{entry.target}`"
        if entry.target in seen:
            raise SpecFieldError(("fields", index, "target"), f"{where} is mapped twice")
        seen.add(entry.target)
        column = columns.get(entry.target)
        if column is None or entry.target in SYSTEM_COLUMNS:
            valid = sorted(set(columns) - SYSTEM_COLUMNS)
            raise SpecFieldError(
                ("fields", index, "target"),
                f"{where} is not a field of {object_type}; valid: {valid}",
            )
        allowed = next(
            (v for k, v in _COMPATIBLE_TYPES.items() if isinstance(column.type, k)), None
        )
        if allowed is not None and entry.type not in allowed:
            raise SpecFieldError(
                ("fields", index, "type"),
                f"fields[{index}].type `{entry.type}` cannot fill {object_type}."
                f"{entry.target}; expected one of {sorted(allowed)}",
            )
    for name, column in columns.items():
        if name in SYSTEM_COLUMNS or column.nullable:
            continue
        if not any(e.target == name and e.required for e in fields):
            raise SpecFieldError(
                ("fields",),
                f"fields: {object_type}.{name} must be mapped with required: true",
            )


def _check_metric(index: int, metric: MetricSpec, types: dict[str, FieldType]) -> None:
    """A metric measures mapped targets: a numeric one for sums and averages, a date for time."""
    measured = {
        ("field",): metric.field,
        ("filter", "field"): metric.filter.field if metric.filter else None,
    }
    for field_path, target in measured.items():
        if target and target not in types:
            raise SpecFieldError(
                ("metrics", index, *field_path),
                f"metrics[{index}].{'.'.join(field_path)} `{target}` is not a mapped "
                "target; "
                f"valid: {sorted(types)}",
            )
    numeric = sorted(k for k, v in types.items() if v in NUMERIC_TYPES)
    if metric.measure in {"sum", "average"} and metric.field not in numeric:
        raise SpecFieldError(
            ("metrics", index, "field"),
            f"metrics[{index}].field `{metric.field}`: {metric.measure} needs an integer "
            f"or decimal target; valid: {numeric}",
        )
    if types.get(metric.time_field) not in {"date", "datetime"}:
        raise SpecFieldError(
            ("metrics", index, "time_field"),
            f"metrics[{index}].time_field `{metric.time_field}` must be a mapped date or "
            f"datetime target; valid: {sorted(k for k, v in types.items() if 'date' in v)}",
        )


def spec_json_schema() -> dict[str, Any]:
    """The JSON Schema editors use for ``defs.yaml`` attributes (published under docs/)."""
    return ProviderSpec.model_json_schema()
