"""Scenario: the project has one error hierarchy. Every exception class defined in the package
derives from ``ZartsalgoError`` (found by walking every module, so a new class without it
fails here), and each public one says whether a later attempt may succeed (``retryable``),
while keeping the built-in base callers and pydantic rely on (table-driven)."""

import importlib
import inspect
import pkgutil

import pydantic
import pytest

import zartsalgo_pipelines
from zartsalgo_pipelines.errors import TooLongError, UnknownNameError, ZartsalgoError
from zartsalgo_pipelines.mapping.errors import SchemaLevelError
from zartsalgo_pipelines.ops.manual_files import ManualFileError
from zartsalgo_pipelines.pipeline.landing import LandingExistsError
from zartsalgo_pipelines.proof.explain import NotFoundError
from zartsalgo_pipelines.proof.fact_tallies import MissingPeerError
from zartsalgo_pipelines.proof.golive import GoLiveRefusedError
from zartsalgo_pipelines.settings import MissingSecretError
from zartsalgo_pipelines.sources.files import NoExportFileError
from zartsalgo_pipelines.sources.rest.errors import (
    AuthFailedError,
    ExtractError,
    MalformedResponseError,
    PaginationLoopError,
    RateLimitedError,
    RetryBudgetExceededError,
    UnreachableError,
)
from zartsalgo_pipelines.sources.webhooks import DeliveryRefusedError
from zartsalgo_pipelines.specs.errors import ProviderSpecError, SpecFieldError, SpecFieldsError
from zartsalgo_pipelines.storage.engine import PacketTooSmallError
from zartsalgo_pipelines.storage.import_batches import BatchLostError, BatchNotClaimedError
from zartsalgo_pipelines.storage.mysql_bulk import LoadWarningError, ShortLoadError

# class, the built-in base it also keeps (or None), retryable
CLASSES: list[tuple[type[ZartsalgoError], type[Exception] | None, bool]] = [
    (ExtractError, None, False),
    (AuthFailedError, None, False),
    (UnreachableError, None, True),
    (RetryBudgetExceededError, None, True),
    (MalformedResponseError, None, False),
    (RateLimitedError, None, True),
    (PaginationLoopError, None, False),
    (UnknownNameError, ValueError, False),
    (TooLongError, ValueError, False),
    (SchemaLevelError, None, False),
    (MissingSecretError, RuntimeError, False),
    (DeliveryRefusedError, None, False),
    (ProviderSpecError, None, False),
    (SpecFieldError, ValueError, False),
    (SpecFieldsError, ValueError, False),
    (LandingExistsError, FileExistsError, True),
    (NoExportFileError, FileNotFoundError, True),
    (NotFoundError, LookupError, False),
    (MissingPeerError, LookupError, False),
    (GoLiveRefusedError, ValueError, False),
    (BatchLostError, RuntimeError, True),
    (BatchNotClaimedError, RuntimeError, True),
    (ShortLoadError, None, False),
    (LoadWarningError, None, False),
    (ManualFileError, ValueError, False),
    (PacketTooSmallError, None, False),
]


def _package_exception_classes() -> list[type[BaseException]]:
    found = []
    for info in pkgutil.walk_packages(zartsalgo_pipelines.__path__, "zartsalgo_pipelines."):
        if ".defs." in info.name or info.name.endswith(".defs"):
            continue  # component folders, loaded by Dagster, define no exceptions
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == module.__name__:
                found.append(value)
    return found


def test_every_exception_class_of_the_package_derives_from_the_root() -> None:
    classes = _package_exception_classes()
    assert ZartsalgoError in classes and len(classes) > len(CLASSES)
    outside = [
        f"{c.__module__}.{c.__qualname__}" for c in classes if not issubclass(c, ZartsalgoError)
    ]
    assert outside == []


def test_the_table_lists_every_public_class() -> None:
    public = {c for c in _package_exception_classes() if not c.__name__.startswith("_")}
    assert public - {ZartsalgoError} == {c for c, _, _ in CLASSES}


@pytest.mark.parametrize(
    ("cls", "builtin", "retryable"), CLASSES, ids=lambda v: getattr(v, "__name__", str(v))
)
def test_each_class_has_its_base_and_retryable(
    cls: type[ZartsalgoError], builtin: type[Exception] | None, retryable: bool
) -> None:
    assert issubclass(cls, ZartsalgoError)
    assert cls.retryable is retryable
    if builtin is not None:
        assert issubclass(cls, builtin)


def test_a_spec_field_error_is_still_a_pydantic_validation_error() -> None:
    class Model(pydantic.BaseModel):
        value: int

        @pydantic.field_validator("value")
        @classmethod
        def _check(cls, value: int) -> int:
            raise SpecFieldError(("value",), "value is refused")

    with pytest.raises(pydantic.ValidationError, match="value is refused"):
        Model(value=1)
