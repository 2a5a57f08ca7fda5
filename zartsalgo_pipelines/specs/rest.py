"""The `rest_api` source: requests, pagination, incremental cursor, request budget and HTTP
retries, declared in the spec with the words dlt's `rest_api` users already know."""

import datetime as dt
from typing import Annotated, Any, Literal

import pydantic

from zartsalgo_pipelines.specs.types import Frozen, JmesPath

# A dotted path into a JSON request body; numbers index lists: `filterGroups.0.filters.0.value`.
BodyPath = Annotated[
    str, pydantic.StringConstraints(pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")
]
ParamValue = str | int | float | bool
# Headers that carry credentials belong in `auth`, where they are read from the environment.
_SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "x-api-key", "api-key"}


class SinglePage(Frozen):
    """One request returns everything."""

    type: Literal["single_page"] = "single_page"


class _StopConditions(Frozen):
    stop_after_empty_page: bool = pydantic.Field(
        True, description="An empty page ends the sync (always true for cursors and links)."
    )
    has_more_path: JmesPath | None = pydantic.Field(
        None, description="JMESPath to a boolean in the response; false ends the sync."
    )


class PageNumberPaginator(_StopConditions):
    """`?page=1`, `?page=2`, ...; stops on an empty page, `has_more` false or the last page."""

    type: Literal["page_number"]
    page_param: str = "page"
    base_page: int = pydantic.Field(1, ge=0, description="Number of the first page (0 or 1).")
    page_size_param: str | None = None
    page_size: pydantic.PositiveInt | None = None
    total_path: JmesPath | None = pydantic.Field(
        None, description="JMESPath to the total number of pages in the response."
    )
    maximum_page: pydantic.PositiveInt | None = pydantic.Field(
        None, description="Never request a page above this (a guard for endless APIs)."
    )

    @pydantic.model_validator(mode="after")
    def _size_pair(self) -> "PageNumberPaginator":
        if (self.page_size_param is None) != (self.page_size is None):
            raise ValueError("page_size_param and page_size go together")
        return self


class OffsetPaginator(_StopConditions):
    """`?offset=0&limit=100`, then offset 100, ...; stops on a short or empty page, has_more
    false, or when the offset reaches the total."""

    type: Literal["offset"]
    limit: pydantic.PositiveInt
    offset_param: str = "offset"
    limit_param: str = "limit"
    total_path: JmesPath | None = pydantic.Field(
        None, description="JMESPath to the total number of records in the response."
    )


class CursorPaginator(Frozen):
    """The response names the next cursor (`paging.next.after`); it is sent back as a query
    parameter or in the request body. No cursor ends the sync; a repeated cursor fails it."""

    type: Literal["cursor"]
    cursor_path: JmesPath = pydantic.Field(description="JMESPath to the next cursor.")
    cursor_param: str | None = pydantic.Field(None, description="Query parameter to send it in.")
    cursor_body_path: BodyPath | None = pydantic.Field(
        None, description="Or: where to put it in the request body (POST searches)."
    )
    has_more_path: JmesPath | None = None

    @pydantic.model_validator(mode="after")
    def _one_place(self) -> "CursorPaginator":
        if (self.cursor_param is None) == (self.cursor_body_path is None):
            raise ValueError(
                "a cursor paginator needs exactly one of cursor_param, cursor_body_path"
            )
        return self


class JsonLinkPaginator(Frozen):
    """The response body holds the URL of the next page (`links.next`)."""

    type: Literal["json_link"]
    next_url_path: JmesPath


class HeaderLinkPaginator(Frozen):
    """The `Link: <...>; rel="next"` response header holds the URL of the next page (RFC 8288)."""

    type: Literal["header_link"]
    links_next_key: str = "next"


Paginator = Annotated[
    SinglePage
    | PageNumberPaginator
    | OffsetPaginator
    | CursorPaginator
    | JsonLinkPaginator
    | HeaderLinkPaginator,
    pydantic.Field(discriminator="type"),
]


class IncrementalSpec(Frozen):
    """Ask only for what changed since the last successful batch.

    The highest `cursor_path` value of a batch is stored on the connection when the batch
    succeeds, and sent (minus `lookback`) on the next sync; the first sync sends `initial_value`.
    """

    cursor_path: JmesPath = pydantic.Field(description="JMESPath to the value in each record.")
    cursor_type: Literal["datetime", "integer"] = "datetime"
    initial_value: str = pydantic.Field(
        min_length=1, description="Sent when nothing is stored yet, e.g. 2024-01-01T00:00:00Z."
    )
    param: str | None = pydantic.Field(None, description="Query parameter that carries it.")
    body_path: BodyPath | None = pydantic.Field(None, description="Or: where in the body.")
    send_as: Literal["iso", "epoch_seconds", "epoch_milliseconds", "integer"] = pydantic.Field(
        "iso", description="How the value is written into the request."
    )
    lookback_seconds: float = pydantic.Field(
        0, ge=0, description="Re-read this much before the stored value (late-arriving edits)."
    )

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> "IncrementalSpec":
        try:
            if self.cursor_type == "integer":
                int(self.initial_value)
            else:
                dt.datetime.fromisoformat(self.initial_value)
        except ValueError:
            raise ValueError(
                f"initial_value `{self.initial_value}` is not a {self.cursor_type} "
                "(ISO 8601 for datetime, e.g. 2024-01-01T00:00:00Z)"
            ) from None
        if (self.param is None) == (self.body_path is None):
            raise ValueError("incremental needs exactly one of param, body_path")
        if self.cursor_type == "integer" and self.send_as != "integer":
            raise ValueError("an integer cursor is sent as `integer`")
        if self.cursor_type == "datetime" and self.send_as == "integer":
            raise ValueError(
                "a datetime cursor is sent as iso, epoch_seconds or epoch_milliseconds"
            )
        return self


class RateLimitSpec(Frozen):
    """The request budget: requests are spaced so a sync never trips the provider's limit."""

    requests_per_second: pydantic.PositiveFloat | None = None
    requests_per_minute: pydantic.PositiveFloat | None = None

    @pydantic.model_validator(mode="after")
    def _one_rate(self) -> "RateLimitSpec":
        if self.requests_per_second is not None and self.requests_per_minute is not None:
            raise ValueError("give requests_per_second or requests_per_minute, not both")
        return self

    @property
    def min_interval_seconds(self) -> float:
        if self.requests_per_second:
            return 1 / self.requests_per_second
        if self.requests_per_minute:
            return 60 / self.requests_per_minute
        return 0.0


class HttpRetrySpec(Frozen):
    """Retries of 429, 5xx, timeouts and connection errors (urllib3's Retry)."""

    max_retries: int = pydantic.Field(5, ge=0, le=20)
    backoff_factor: float = pydantic.Field(
        0.5, ge=0, description="Exponential backoff: factor * 2^(retry-1) seconds, with jitter."
    )
    backoff_max_seconds: float = pydantic.Field(60, gt=0)
    jitter_seconds: float = pydantic.Field(0.25, ge=0, description="Random extra wait, 0..this.")
    max_total_wait_seconds: float = pydantic.Field(
        600, gt=0, description="All waits of one sync together; beyond it the sync fails."
    )
    statuses: list[int] = pydantic.Field([429, 500, 502, 503, 504], min_length=0)


class RestSource(Frozen):
    """A provider's REST API, read page by page into a landed extract."""

    kind: Literal["rest_api"]
    base_url: Annotated[str, pydantic.StringConstraints(pattern=r"^https?://[^\s?#]+$")]
    path: str = pydantic.Field("", description="Appended to base_url, e.g. /crm/v3/deals.")
    method: Literal["GET", "POST"] = "GET"
    params: dict[str, ParamValue] = {}
    headers: dict[str, str] = {}
    body: dict[str, Any] | None = pydantic.Field(None, description="JSON body of a POST search.")
    timeout_seconds: pydantic.PositiveFloat = 30
    records_path: JmesPath = pydantic.Field(
        "@", description="JMESPath to the list of records in a response; `@` = the whole body."
    )
    paginator: Paginator = SinglePage()
    incremental: IncrementalSpec | None = None
    rate_limit: RateLimitSpec = RateLimitSpec()
    http_retries: HttpRetrySpec = HttpRetrySpec()
    max_pages: pydantic.PositiveInt = pydantic.Field(
        100_000, description="A guard: a sync that needs more pages fails instead of looping."
    )

    @pydantic.field_validator("headers")
    @classmethod
    def _no_secret_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for name in headers:
            if name.lower() in _SECRET_HEADERS:
                raise ValueError(
                    f"header `{name}` carries credentials: declare it under `auth` with the "
                    "environment variable that holds it"
                )
        return headers

    @pydantic.model_validator(mode="after")
    def _body_needs_post(self) -> "RestSource":
        uses_body = self.body is not None
        body_paths = [
            getattr(self.paginator, "cursor_body_path", None),
            self.incremental.body_path if self.incremental else None,
        ]
        if any(body_paths) and not uses_body:
            raise ValueError("a cursor_body_path or incremental body_path needs a `body`")
        if uses_body and self.method != "POST":
            raise ValueError("a request `body` needs method POST")
        return self
