"""The provider spec: one declarative YAML document per provider, validated once at load.

After validation the rest of the code trusts the shape (the dlt habit): every cross-field rule
lives here, and every message names the field path, the bad value and what was expected.
"""

import hashlib
from typing import Annotated, Any, Literal

import pydantic
import sqlalchemy as sa

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.specs.errors import SpecFieldError
from zartsalgo_pipelines.specs.metrics import MetricSpec
from zartsalgo_pipelines.specs.rest import RestSource
from zartsalgo_pipelines.specs.types import (
    EnvVarName,
    Frozen,
    Identifier,
    JmesPath,
    Owner,
    Regex,
)
from zartsalgo_pipelines.specs.webhooks import WebhookSpec
from zartsalgo_pipelines.storage.models import RECORD_MODELS, SYSTEM_COLUMNS, table_of

FieldType = Literal["string", "integer", "decimal", "boolean", "date", "datetime", "category"]
ConnectionStatus = Literal["planned", "connected", "paused", "disconnected"]
AuthModel = Literal["none", "bearer", "api_key", "http_basic", "oauth2_client_credentials"]
_NUMERIC = frozenset({"integer", "decimal"})

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


class FieldMapEntry(Frozen):
    """One provider field -> one field of the ZartsAlgo record."""

    source: JmesPath = pydantic.Field(
        description="JMESPath into the provider record, e.g. `contact.email` or "
        "`answers[?field.ref=='budget'].number | [0]`."
    )
    target: Identifier = pydantic.Field(description="Column of the ZartsAlgo record it fills.")
    type: FieldType
    required: bool = False
    label: str = pydantic.Field(min_length=1, max_length=60, description="Simple portal label.")
    unit: str | None = pydantic.Field(None, max_length=40, description="e.g. EUR, requests.")
    values: dict[str, str] | None = pydantic.Field(
        None, description="Value map: provider value -> ZartsAlgo value (statuses, categories)."
    )
    format: Literal["email"] | None = pydantic.Field(None, description="A named format check.")
    pattern: Regex | None = None
    min: float | None = None
    max: float | None = None
    max_length: pydantic.PositiveInt | None = None
    casefold: bool = pydantic.Field(
        False,
        description="Compare and store the text case-folded (`QR-1` and `qr-1` are one value). "
        "On external_id it is the id rule: ids are otherwise compared exactly, after trimming.",
    )

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> "FieldMapEntry":
        if self.type == "category" and not self.values:
            raise ValueError(f"field `{self.target}` has type category and needs a `values` map")
        numeric = self.type in {"integer", "decimal"}
        if (self.min is not None or self.max is not None) and not numeric:
            raise ValueError(f"field `{self.target}`: min/max apply to integer or decimal only")
        textual = self.type in {"string", "category"}
        if (self.format or self.pattern or self.max_length or self.casefold) and not textual:
            raise ValueError(
                f"field `{self.target}`: format/pattern/max_length/casefold apply to string only"
            )
        return self


class IgnoreRule(Frozen):
    """Rows the provider sends that the spec skips on purpose (test submissions, spam)."""

    when: JmesPath = pydantic.Field(description="JMESPath that is truthy for rows to ignore.")
    reason: str = pydantic.Field(min_length=3)


# Credential roles each auth model needs (the names dlt's `auth` uses).
AUTH_ROLES: dict[str, tuple[str, ...]] = {
    "none": (),
    "bearer": ("token",),
    "api_key": ("api_key",),
    "http_basic": ("username", "password"),
    "oauth2_client_credentials": ("client_id", "client_secret"),
}


class AuthSpec(Frozen):
    """How the provider authenticates; secrets only by environment variable name."""

    model: AuthModel = "none"
    scopes: list[str] = []
    credentials: dict[Identifier, EnvVarName] = pydantic.Field(
        {}, description="Credential role -> NAME of the environment variable holding it."
    )
    api_key_name: str | None = pydantic.Field(
        None, description="api_key: the header or query parameter that carries the key."
    )
    api_key_location: Literal["header", "query"] = "header"
    token_url: Annotated[str, pydantic.StringConstraints(pattern=r"^https?://\S+$")] | None = (
        pydantic.Field(None, description="oauth2_client_credentials: the token endpoint.")
    )

    @pydantic.model_validator(mode="after")
    def _roles(self) -> "AuthSpec":
        missing = [r for r in AUTH_ROLES[self.model] if r not in self.credentials]
        if missing:
            raise ValueError(
                f"auth model {self.model} needs credentials {missing} "
                "(role -> environment variable name)"
            )
        if self.model == "api_key" and not self.api_key_name:
            raise ValueError("auth model api_key needs api_key_name (the header or parameter)")
        if self.model == "oauth2_client_credentials" and not self.token_url:
            raise ValueError("auth model oauth2_client_credentials needs token_url")
        return self


class FileSource(Frozen):
    """A provider export on disk: CSV, a JSON array or JSON lines, by path or glob."""

    kind: Literal["file"] = "file"
    path: str = pydantic.Field(
        min_length=1, description="Path or glob, relative to the spec's folder."
    )
    format: Literal["csv", "json", "jsonl"]
    encoding: str = "utf-8"


def _source_kind(value: Any) -> str:
    # `kind` may be left out for a file source (specs written before REST sources existed).
    kind = value.get("kind", "file") if isinstance(value, dict) else getattr(value, "kind", "")
    return str(kind)


Source = Annotated[
    Annotated[FileSource, pydantic.Tag("file")] | Annotated[RestSource, pydantic.Tag("rest_api")],
    pydantic.Discriminator(_source_kind),
]


def _check_cron(expression: str) -> str:
    parts = expression.split()
    if len(parts) != 5:
        raise ValueError("a cron expression has five fields: minute hour day month weekday")
    return expression


def _check_timezone(name: str) -> str:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone `{name}` (use an IANA name, e.g. Europe/Berlin)"
        ) from None
    return name


class ScheduleSpec(Frozen):
    """When the provider's sync runs on its own; paused or disconnected providers never run."""

    cron: Annotated[str, pydantic.AfterValidator(_check_cron)] = pydantic.Field(
        description="Five-field cron expression, e.g. `0 6 * * *`."
    )
    timezone: Annotated[str, pydantic.AfterValidator(_check_timezone)] = "UTC"


class RetrySpec(Frozen):
    """Dagster step retries of the extract (separate from HTTP-level retries)."""

    max_retries: int = pydantic.Field(3, ge=0, le=20)
    delay_seconds: float = pydantic.Field(30, ge=0)
    backoff: Literal["linear", "exponential"] = "exponential"
    jitter: Literal["none", "full", "plus_minus"] = "plus_minus"


class AlertSpec(Frozen):
    """When the owner is alerted (each opens one incident until it clears)."""

    max_failed_share: float | None = pydantic.Field(
        None, ge=0, le=1, description="Batch failed share that opens an alert; default tolerance."
    )
    failed_batches_in_a_row: pydantic.PositiveInt = pydantic.Field(
        3, description="This many failed batches in a row open an alert."
    )
    failed_runs_in_a_row: pydantic.PositiveInt = pydantic.Field(
        3,
        description="This many failed runs in a row that materialized the provider's assets "
        "(any job) open an alert.",
    )
    max_rate_limited_minutes: pydantic.PositiveFloat = pydantic.Field(
        10, description="A sync that waited longer than this on rate limits opens an alert."
    )


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
    timezone: Annotated[str, pydantic.AfterValidator(_check_timezone)] = pydantic.Field(
        "UTC", description="IANA zone the client's periods (days, weeks, months) are counted in."
    )
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
        model = RECORD_MODELS.get(self.object_type)
        if model is None:
            raise SpecFieldError(
                ("object_type",),
                f"object_type `{self.object_type}` is unknown; valid: {sorted(RECORD_MODELS)}",
            )
        columns = {c.name: c for c in table_of(model).columns}
        seen: set[str] = set()
        for index, entry in enumerate(self.fields):
            where = f"fields[{index}].target `{entry.target}`"
            if entry.target in seen:
                raise SpecFieldError(("fields", index, "target"), f"{where} is mapped twice")
            seen.add(entry.target)
            column = columns.get(entry.target)
            if column is None or entry.target in SYSTEM_COLUMNS:
                valid = sorted(set(columns) - SYSTEM_COLUMNS)
                raise SpecFieldError(
                    ("fields", index, "target"),
                    f"{where} is not a field of {self.object_type}; valid: {valid}",
                )
            allowed = next(
                (v for k, v in _COMPATIBLE_TYPES.items() if isinstance(column.type, k)), None
            )
            if allowed is not None and entry.type not in allowed:
                raise SpecFieldError(
                    ("fields", index, "type"),
                    f"fields[{index}].type `{entry.type}` cannot fill {self.object_type}."
                    f"{entry.target}; expected one of {sorted(allowed)}",
                )
        for name, column in columns.items():
            if name in SYSTEM_COLUMNS or column.nullable:
                continue
            if not any(e.target == name and e.required for e in self.fields):
                raise SpecFieldError(
                    ("fields",),
                    f"fields: {self.object_type}.{name} must be mapped with required: true",
                )
        types = {e.target: e.type for e in self.fields}
        keys: set[str] = set()
        for index, metric in enumerate(self.metrics):
            if metric.key in keys:
                raise SpecFieldError(
                    ("metrics", index, "key"),
                    f"metrics[{index}].key `{metric.key}` is declared twice",
                )
            keys.add(metric.key)
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
            numeric = sorted(k for k, v in types.items() if v in _NUMERIC)
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
        return self

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


def spec_json_schema() -> dict[str, Any]:
    """The JSON Schema editors use for ``defs.yaml`` attributes (published under docs/)."""
    return ProviderSpec.model_json_schema()
