"""The leak check: no raw payload value appears in any portal-facing text.

For every provider, the values a payload holds that identify a person or a record (external
ids, every string the field map reads except client keys and value-mapped categories, and any
string that looks like an email or a phone number) are looked up in the texts of
``portal_cards``, ``report_notes`` and the incidents' client impact. The payloads come from the
batches the stored metric values were built from. A finding names the table, row, column and
the kind of value, never the value itself.
"""

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.jsonpaths import compile_safe_getter
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.proof.metrics import batch_range
from zartsalgo_pipelines.storage.proof.scan import payload_rows, portal_texts

MIN_LENGTH = 4  # shorter strings ("new", "EUR") are too common to be evidence of a leak
# An @ between two characters that are neither @ nor space. Written as `[^@\s]+@[^@\s]+` it
# said the same, but a search tried every start of a long run without an @ to its end: time
# grew with the square of the length (40,000 characters: 14 s) and one long text held every
# client's cards. Each start now costs three characters at most.
_EMAIL = re.compile(r"[^@\s]@[^@\s]")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{6,}$")  # anchored: one pass over the text


def looks_like_email(text: str) -> bool:
    """Whether ``text`` holds something@something (in time proportional to its length)."""
    return "@" in text and _EMAIL.search(text) is not None


@dataclass(frozen=True)
class Finding:
    table: str
    row_id: int
    column: str
    provider_key: str
    kind: str  # external_id, a target field name, email, phone


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, str):
        yield value


@functools.cache
def _getter(expression: str) -> Callable[[Any], Any]:
    return compile_safe_getter(expression)  # compiled once per expression, not per payload


def _sensitive(
    spec: ProviderSpec, external_id: str, payload: dict[str, Any]
) -> Iterator[tuple[str, str]]:
    yield "external_id", external_id
    for entry in spec.fields:
        if entry.type == "string" and entry.target != "client_key" and entry.source:
            # A source that fails on this payload (a row that failed on it) yields a failure
            # object, which is no value to look for.
            found = _getter(entry.source)(payload)
            if isinstance(found, str | int) and not isinstance(found, bool):
                yield entry.target, str(found)
    for leaf in _leaves(payload):
        if looks_like_email(leaf):
            yield "email", leaf
        elif _PHONE.match(leaf.strip()):
            yield "phone", leaf


def scan(conn: sa.Connection, specs: list[ProviderSpec]) -> list[Finding]:
    """Every place a payload value of the covered batches appears in a portal-facing text."""
    texts = [(t, i, c, text.casefold()) for t, i, c, text in portal_texts(conn)]
    if not texts:
        return []
    # One joined text for the fast "anywhere?" test; the rows are searched only on a hit.
    everything = "\x00".join(text for *_, text in texts)
    findings: set[Finding] = set()
    for spec in specs:
        first, last = batch_range(conn, spec.key)
        if first is None or last is None:
            continue
        for external_id, payload in payload_rows(conn, spec.key, first, last):
            for kind, value in _sensitive(spec, external_id, payload):
                needle = value.strip().casefold()
                if len(needle) < MIN_LENGTH or needle not in everything:
                    continue
                for table, row_id, column, text in texts:
                    if needle in text:
                        findings.add(Finding(table, row_id, column, spec.key, kind))
    return sorted(findings, key=lambda f: (f.table, f.row_id, f.column, f.kind))
