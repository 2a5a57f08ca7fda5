"""Applying a field map to a chunk of provider rows: extract, value-map, cast, validate.

Every row of the chunk leaves with exactly one outcome: ``ignored`` (a spec ignore rule),
``failed`` (with every failure: field, check, value) or ``valid`` (typed values in ``valid``).
Whether a valid row is created, updated or a duplicate is for storage to decide.
"""

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.jsonpaths import ExpressionFailure, compile_safe_getter, top_level_key
from zartsalgo_pipelines.mapping.bounds import (
    REASON_MAX_CHARS,
    canonical_json,
    too_deep,
    too_large,
)
from zartsalgo_pipelines.mapping.casting import cast, failed_check
from zartsalgo_pipelines.mapping.columnar import validate_columnar
from zartsalgo_pipelines.mapping.columns import FieldColumn, Problem
from zartsalgo_pipelines.mapping.errors import SchemaLevelError
from zartsalgo_pipelines.mapping.failures import add_failures, schema_failures
from zartsalgo_pipelines.mapping.ids import normalise_id
from zartsalgo_pipelines.mapping.outcomes import (
    DUPLICATE,
    FAILED,
    IGNORED,
    NESTING_CHECK,
    SIZE_CHECK,
    VALID,
    Failure,
    KnownFailure,
    MappedChunk,
    dead_letter_payload,
    fingerprints,
    payload_hash,
)
from zartsalgo_pipelines.mapping.schema import build_schema
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.models import ProviderSpec

__all__ = [
    "DUPLICATE",
    "FAILED",
    "IGNORED",
    "NESTING_CHECK",
    "VALID",
    "Failure",
    "FieldMap",
    "KnownFailure",
    "MappedChunk",
    "canonical_json",
    "dead_letter_payload",
    "payload_hash",
]


class FieldMap:
    """A provider's field map, compiled once and applied to many chunks."""

    def __init__(self, spec: ProviderSpec, *, columnar: bool | None = None) -> None:
        self.spec = spec
        # The columnar path (mapping/columnar.py) unless the setting or the caller says rows.
        self.columnar = settings.columnar_mapping() if columnar is None else columnar
        self.columnar_rows = 0  # rows the columnar path mapped itself (the tests ask)
        self.columns = {e.target: FieldColumn(e) for e in spec.fields}
        self.labels = {e.target: e.label for e in spec.fields}
        self.types = {e.target: e.type for e in spec.fields}
        self.ignore = [(compile_safe_getter(rule.when), rule.reason) for rule in spec.ignore]
        self.mapped_keys = {top_level_key(e.source) for e in spec.fields if e.source}
        id_entry = next(e for e in spec.fields if e.target == "external_id")
        assert id_entry.source is not None  # a constant id is refused at load
        self._raw_id = compile_safe_getter(id_entry.source)
        self.casefold = {e.target for e in spec.fields if e.casefold}
        self.schema: pa.DataFrameSchema = build_schema(spec)
        # False: the schema's failures from pandera's lazy report (the tests compare the two)
        self.own_failure_cases = True

    def external_id(self, record: Any) -> str | None:
        """The record's external id under the id rule (``mapping/ids.py``); None if unusable
        (its source expression failing on the record included)."""
        raw = self._raw_id(record)
        if type(raw) is ExpressionFailure:
            return None
        return normalise_id(raw, "external_id" in self.casefold)[0]

    def external_ids(self, rows: Sequence[SourceRow]) -> list[str]:
        """The distinct external ids a chunk mentions (to look up stored versions first)."""
        ids = {self.external_id(r.record) for r in rows if r.record is not None}
        return [i for i in ids if i is not None]

    def fingerprints(self, rows: Sequence[SourceRow]) -> tuple[list[bytes], list[str]]:
        """Canonical payload and its hash per row (an unparseable line hashes its text)."""
        return fingerprints(rows)

    def apply(
        self,
        rows: Sequence[SourceRow],
        stored: AbstractSet[str] | None = None,
        *,
        failed_before: Mapping[str, KnownFailure] | None = None,
        fingerprints: tuple[list[bytes], list[str]] | None = None,
    ) -> MappedChunk:
        """Map one chunk of rows; raises SchemaLevelError when the export itself is wrong.

        ``stored`` holds payload hashes already stored: a row whose payload is among them is a
        ``duplicate`` without being validated again (a re-run of an unchanged export costs
        hashing, not mapping). ``failed_before`` holds payloads that already failed under this
        same field map, with their reason and failures: validation is a pure function of the
        payload and the map, so they fail again exactly as recorded, without pandas or pandera.
        """
        payloads, hashes = fingerprints or self.fingerprints(rows)
        chunk = MappedChunk(
            rows=rows,
            payloads=payloads,
            hashes=hashes,
            external_ids=[None] * len(rows),
            outcomes=[VALID] * len(rows),
            reasons=[None] * len(rows),
        )
        candidates: list[int] = []
        for index, row in enumerate(rows):
            known = failed_before.get(hashes[index]) if failed_before else None
            if known is not None:
                if row.record is not None:
                    chunk.external_ids[index] = self.external_id(row.record)
                chunk.outcomes[index], chunk.reasons[index] = FAILED, known.reason
                chunk.failures[index] = list(known.failures)
                chunk.known_failures.add(index)
                continue
            refused = self._refused(row, payloads[index])
            if refused is not None:  # nothing else is checked
                if row.record is not None:
                    chunk.external_ids[index] = self.external_id(row.record)
                self._fail(chunk, index, [refused])
                continue
            reason = self._ignored(row.record)
            if isinstance(reason, Failure):
                chunk.external_ids[index] = self.external_id(row.record)
                self._fail(chunk, index, [reason])
                continue
            if reason is not None:
                chunk.outcomes[index], chunk.reasons[index] = IGNORED, f"ignored: {reason}"
                continue
            if stored and chunk.hashes[index] in stored:
                chunk.outcomes[index] = DUPLICATE
                chunk.external_ids[index] = self.external_id(row.record)
                continue
            candidates.append(index)
        if candidates and self.columnar:
            validate_columnar(self, chunk, candidates)
        elif candidates:
            self._validate(chunk, candidates)
        return chunk

    @staticmethod
    def _refused(row: SourceRow, payload: bytes) -> Failure | None:
        """Why a row fails before its fields are read: no record could be parsed, no statement
        could write it (too large), or no JSON column could store it (too deep)."""
        if row.record is None:
            return Failure.of("record", "parseable record", row.error)
        size = too_large(payload)
        if size is not None:
            return Failure.of("record", SIZE_CHECK, f"{size} bytes")
        depth = too_deep(payload, row.record)
        if depth is not None:
            return Failure.of("record", NESTING_CHECK, f"{depth} levels")
        return None

    def _ignored(self, record: Any) -> str | Failure | None:
        """The reason of the first ignore rule that holds, or the failure of one that could
        not be evaluated on the record (it cannot be told whether the row is to be ignored)."""
        for test, why in self.ignore:
            verdict = test(record)
            if type(verdict) is ExpressionFailure:
                return Failure.of("record", verdict.check("ignore rule"), None)
            if verdict:
                return why
        return None

    def _validate(
        self, chunk: MappedChunk, candidates: list[int], only: pa.DataFrameSchema | None = None
    ) -> None:
        records = [chunk.rows[i].record or {} for i in candidates]
        columns = {target: column.read(records) for target, column in self.columns.items()}
        if only is None:  # else the columnar path's rows: it checked the whole chunk for this
            self._refuse_missing_required(columns, chunk, candidates)
        failures: dict[int, list[Failure]] = {}

        def note(target: str, problems: list[Problem]) -> None:
            for position, check, value in problems:
                index = candidates[position]
                if not any(f.field == target for f in failures.get(index, [])):
                    failures.setdefault(index, []).append(Failure.of(target, check, value))

        for target, column in self.columns.items():
            note(target, column.failed_expressions(columns[target]))
        ids = self._normalise_ids(columns, candidates, failures)
        labels = pd.Index(candidates)  # once: each series gets the same index object
        typed = {}
        for target, values in columns.items():
            column = self.columns[target]
            if target == "external_id":
                values = ids
            elif target in self.casefold:
                values = [v.casefold() if type(v) is str else v for v in values]
            values, outside = column.map_values(values)
            note(target, outside)
            series, bad = cast(values, self.types[target], column.rules)
            series.index = labels
            typed[target] = series
            problems = []
            for p in np.flatnonzero(bad):
                value = columns[target][p]
                check = failed_check(self.types[target], value) or column.rules.describe(
                    self.types[target]
                )
                problems.append((int(p), check, value))
            note(target, problems)
        frame = pd.DataFrame(typed, index=labels)
        schema, checked = (self.schema, frame) if only is None else (only, frame[[*only.columns]])
        cases = schema_failures(schema, checked, self.spec.key, own=self.own_failure_cases)
        add_failures(cases, columns, candidates, failures)
        # every spec maps external_id (checked when the spec loads)
        for index, external_id in zip(candidates, ids, strict=True):
            chunk.external_ids[index] = external_id
            if index in failures:
                self._fail(chunk, index, failures[index])
        valid_index = [i for i in candidates if i not in failures]
        chunk.valid = frame.loc[valid_index]
        for index in valid_index:
            record = chunk.rows[index].record or {}
            context = {k: v for k, v in record.items() if k not in self.mapped_keys}
            if context:
                chunk.contexts[index] = context

    def _normalise_ids(
        self,
        columns: dict[str, list[Any]],
        candidates: list[int],
        failures: dict[int, list[Failure]],
    ) -> list[str | None]:
        """The chunk's ids under the id rule; an id that breaks it fails its row here, and the
        record's column gets the same id the lookups and every other table use."""
        casefold = "external_id" in self.casefold
        ids: list[str | None] = []
        for index, value in zip(candidates, columns["external_id"], strict=True):
            external_id, refused = normalise_id(value, casefold)
            if refused is not None:
                failures.setdefault(index, []).append(Failure.of("external_id", refused, value))
            ids.append(external_id)
        return ids

    def _refuse_missing_required(
        self, columns: dict[str, list[Any]], chunk: MappedChunk, candidates: list[int]
    ) -> None:
        if len(candidates) < 2:
            return
        first = chunk.rows[candidates[0]]
        for entry in self.spec.fields:
            if entry.required and all(v is None for v in columns[entry.target]):
                raise SchemaLevelError(
                    f"Provider `{self.spec.key}`: required field `{entry.target}` (source "
                    f"`{entry.described_source}`) is missing from every row of "
                    f"{first.source_ref} from row {first.position}; the export does not match "
                    "the field map, so the batch stops instead of dead-lettering every row"
                )

    def _fail(self, chunk: MappedChunk, index: int, failures: list[Failure]) -> None:
        chunk.outcomes[index] = FAILED
        chunk.failures[index] = failures
        reason = "; ".join(f.describe(self.labels.get(f.field, f.field)) for f in failures)
        if len(reason) > REASON_MAX_CHARS:
            reason = f"{reason[:REASON_MAX_CHARS]}… ({len(failures)} failures)"
        chunk.reasons[index] = reason
