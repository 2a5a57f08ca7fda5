"""The provider spec: one declarative YAML document per provider, validated once at load.

After validation the rest of the code trusts the shape (the dlt habit): every cross-field rule
lives here or in ``consistency`` (rules across entries), and every message names the field
path, the bad value and what was expected. The parts of a spec live in their own modules
(``fields``, ``auth``, ``sources``, ``operations``, ``rest``, ``webhooks``, ``metrics``) and are
imported here, so ``from zartsalgo_pipelines.specs.models import X`` keeps working for each.
"""

import hashlib
import math
from typing import Annotated, Any, Literal

import pydantic

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.specs.auth import AUTH_ROLES, AuthModel, AuthSpec
from zartsalgo_pipelines.specs.consistency import cross_field_errors
from zartsalgo_pipelines.specs.errors import SpecFieldError, raise_all
from zartsalgo_pipelines.specs.facts import FACT_OBJECT_TYPE, FactsSpec
from zartsalgo_pipelines.specs.fields import FieldMapEntry, FieldType, IgnoreRule
from zartsalgo_pipelines.specs.metrics import MetricSpec
from zartsalgo_pipelines.specs.operations import (
    AlertSpec,
    FreshnessSpec,
    RetrySpec,
    ScheduleSpec,
)
from zartsalgo_pipelines.specs.rest import RestSource
from zartsalgo_pipelines.specs.sources import FileSource, Source
from zartsalgo_pipelines.specs.targets import OBJECT_TYPES, target_schema
from zartsalgo_pipelines.specs.types import (
    Frozen,
    Identifier,
    Owner,
    check_locale,
    check_timezone,
)
from zartsalgo_pipelines.specs.webhooks import WebhookSpec

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


class ProviderSpec(Frozen):
    """Everything ZartsAlgo knows about one provider connection."""

    # Editors are offered the object types, and per object type the targets (target_schema).
    model_config = pydantic.ConfigDict(json_schema_extra=target_schema)

    key: Identifier = pydantic.Field(description="Provider key; also the Dagster asset group.")
    display_name: str = pydantic.Field(min_length=1, max_length=200)
    status: ConnectionStatus
    owner: Owner = pydantic.Field(
        description="Owns setup, verification, incident response and the client-facing summary "
        "(an email or team:<name>); also the Dagster asset owner."
    )
    reason: str = pydantic.Field(min_length=10, description="Why this provider is connected.")
    object_type: Identifier = pydantic.Field(
        description="ZartsAlgo record type it maps into; `metric_fact` for reporting providers "
        "(ad platforms), with a `facts` block.",
        json_schema_extra={"enum": list[pydantic.JsonValue](OBJECT_TYPES)},
    )
    facts: FactsSpec | None = pydantic.Field(
        None, description="object_type metric_fact: the grain, dimensions and measures reported."
    )
    auth: AuthSpec = AuthSpec()
    source: Source
    sample: FileSource | None = pydantic.Field(
        None,
        description="A sample export of a provider that is not connected: the local demo "
        "(`python3 dev.py start`) loads it through the same pipeline as a `sample` batch.",
    )
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
        errors = cross_field_errors(
            self.object_type,
            list(enumerate(self.fields)),
            list(enumerate(self.metrics)),
            facts=self.facts,
        )
        types = {e.target: e.type for e in self.fields}
        field = self.freshness.field
        if field is not None and types.get(field) not in {"date", "datetime"}:
            errors.append(
                SpecFieldError(
                    ("freshness", "field"),
                    f"freshness.field `{field}` must be a mapped date or datetime target; "
                    f"valid: {sorted(k for k, v in types.items() if 'date' in v)}",
                )
            )
        errors += self._restate_errors()
        errors += self._header_errors()
        raise_all(errors)
        return self

    def _header_errors(self) -> list[SpecFieldError]:
        """A header both in source.headers and auth.secret_headers: one of the two values
        would be dropped on the wire without a word."""
        if not isinstance(self.source, RestSource):
            return []
        secret = {name.lower() for name in self.auth.secret_headers}
        return [
            SpecFieldError(
                ("source", "headers"),
                f"source.headers `{name}` is also in auth.secret_headers: declare it once",
            )
            for name in self.source.headers
            if name.lower() in secret
        ]

    def _restate_errors(self) -> list[SpecFieldError]:
        """A period must stay open to late records for as long as records take to arrive, or
        the last day's records are never counted."""
        delay = self.freshness.delay_hours
        hours = self.stale_after_hours if delay is None else delay
        return [
            SpecFieldError(
                ("metrics", index, "restate_days"),
                f"metrics[{index}].restate_days {metric.restate_days}: records may take up to "
                f"{hours:g} h to arrive (freshness.delay_hours, default stale_after_hours), so "
                f"a period must stay open at least {math.ceil(hours / 24)} day(s) after it ends",
            )
            for index, metric in enumerate(self.metrics)
            if metric.restate_days * 24 < hours
        ]

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

    @property
    def reports_facts(self) -> bool:
        """A reporting provider: its rows are metric facts (``tables/facts.py``)."""
        return self.object_type == FACT_OBJECT_TYPE


def spec_json_schema() -> dict[str, Any]:
    """The JSON Schema editors use for ``defs.yaml`` attributes (published under docs/)."""
    return ProviderSpec.model_json_schema()
