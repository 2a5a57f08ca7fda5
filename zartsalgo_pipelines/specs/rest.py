"""The `rest_api` source: requests, pagination, incremental cursor, request budget and HTTP
retries, declared in the spec with the words dlt's `rest_api` users already know."""

import datetime as dt
from typing import Annotated, Any, Literal

import pydantic

from zartsalgo_pipelines.specs.auth import HeaderName
from zartsalgo_pipelines.specs.fan_out import ACCOUNT_PLACEHOLDER, FanOutSpec
from zartsalgo_pipelines.specs.paginators import (
    BodyPath,
    CursorPaginator,
    HeaderLinkPaginator,
    JsonLinkPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    Paginator,
    ParamValue,
    SinglePage,
    body_value,
)
from zartsalgo_pipelines.specs.types import Frozen, JmesPath

__all__ = [
    "BodyPath", "CursorPaginator", "HeaderLinkPaginator", "HttpRetrySpec", "IncrementalSpec",
    "JsonLinkPaginator", "OffsetPaginator", "PageNumberPaginator", "Paginator", "ParamValue",
    "RateLimitSpec", "RestSource", "SinglePage",
]  # fmt: skip

# A header value as it can go on the wire: one line, not starting with a space.
HeaderValue = Annotated[str, pydantic.StringConstraints(pattern=r"^([^\s][^\r\n]*)?$")]
# Headers that carry credentials belong in `auth`, where they are read from the environment.
_SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "x-api-key", "api-key"}
# ... and so do query parameters with these names (a token pasted into `params` would sit in
# the spec file and in every URL a message shows).
_SECRET_PARAMS = {"access_token", "api_key", "apikey", "client_secret", "refresh_token", "password"}


class IncrementalSpec(Frozen):
    """Ask only for what changed since the last successful batch.

    The highest `cursor_path` value of a batch is stored on the connection when the batch
    succeeds, and sent (minus `lookback_seconds`) on the next sync; the first sync sends
    `initial_value` itself. With an end (`end_param`) each request names a window, and with
    `window_days` a long range is read as many windows of at most so many days.
    """

    cursor_path: JmesPath = pydantic.Field(description="JMESPath to the value in each record.")
    cursor_type: Literal["datetime", "integer"] = "datetime"
    initial_value: str = pydantic.Field(
        min_length=1,
        description="Sent when nothing is stored yet, e.g. 2024-01-01T00:00:00Z or 2025-09-01.",
    )
    param: str | None = pydantic.Field(None, description="Query parameter that carries it.")
    body_path: BodyPath | None = pydantic.Field(None, description="Or: where in the body.")
    send_as: Literal["iso", "date", "epoch_seconds", "epoch_milliseconds", "integer"] = (
        pydantic.Field("iso", description="How the value is written into the request.")
    )
    format: str | None = pydantic.Field(
        None,
        description="send_as date: the strftime format of the dates sent and of the records' "
        "cursor values (default %Y-%m-%d).",
    )
    lookback_seconds: float = pydantic.Field(
        0, ge=0, description="Re-read this much before the stored value (late-arriving edits)."
    )
    end_param: str | None = pydantic.Field(
        None, description="Query parameter of the window's end (a date: its last day)."
    )
    end_body_path: BodyPath | None = pydantic.Field(None, description="Or: where in the body.")
    window_days: pydantic.PositiveInt | None = pydantic.Field(
        None, description="At most this many days per window; a longer range is many windows."
    )
    json_param: str | None = pydantic.Field(
        None,
        description="Query parameter carrying the window as one JSON object keyed by param and "
        'end_param (Meta\'s time_range={"since":...,"until":...}).',
    )
    text_path: BodyPath | None = pydantic.Field(
        None,
        description="Or: a text in the body whose `{start}` and `{end}` are replaced by the "
        "window's bounds (Google Ads' GAQL query: WHERE segments.date BETWEEN '{start}' AND "
        "'{end}').",
    )

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> "IncrementalSpec":
        errors: list[str] = []
        try:
            if self.cursor_type == "integer":
                int(self.initial_value)
            else:
                dt.datetime.fromisoformat(self.initial_value)
        except ValueError:
            errors.append(
                f"initial_value `{self.initial_value}` is not a {self.cursor_type} "
                "(ISO 8601 for datetime, e.g. 2024-01-01T00:00:00Z or 2025-09-01)"
            )
        places = [self.param, self.body_path, self.text_path]
        if sum(p is not None for p in places) != 1:
            errors.append("incremental needs exactly one of param, body_path, text_path")
        if self.cursor_type == "integer" and self.send_as != "integer":
            errors.append("an integer cursor is sent as `integer`")
        if self.cursor_type == "datetime" and self.send_as == "integer":
            errors.append(
                "a datetime cursor is sent as iso, date, epoch_seconds or epoch_milliseconds"
            )
        errors += self._window_errors()
        if errors:
            raise ValueError("; ".join(errors))
        return self

    def _window_errors(self) -> list[str]:
        errors = []
        if self.format is not None and self.send_as != "date":
            errors.append("format goes with send_as: date")
        if self.format is not None and not _is_date_format(self.format):
            errors.append(
                f"format `{self.format}` is not a strftime format of a date (e.g. %Y%m%d)"
            )
        has_end = self.has_end
        if self.text_path is not None and (self.end_param or self.end_body_path):
            errors.append("with text_path the window's end is `{end}` in the text")
        if self.end_param is not None and self.end_body_path is not None:
            errors.append("the window's end goes in one place: end_param or end_body_path")
        if has_end and self.cursor_type != "datetime":
            errors.append("a window (end_param, end_body_path, text_path) needs a datetime cursor")
        if self.window_days is not None and not has_end:
            errors.append("window_days needs end_param or end_body_path (where the end goes)")
        if self.json_param is not None and (self.param is None or self.end_param is None):
            errors.append("json_param takes param and end_param (its keys: both bounds go in it)")
        return errors

    @property
    def has_end(self) -> bool:
        """Whether each request names the window's end (so a range is read in windows)."""
        return any(p is not None for p in (self.end_param, self.end_body_path, self.text_path))

    @property
    def date_format(self) -> str:
        """The strftime format of the dates sent with ``send_as: date``."""
        return self.format or "%Y-%m-%d"


def _is_date_format(text: str) -> bool:
    sample = dt.datetime(2026, 8, 29, tzinfo=dt.UTC)
    try:
        return dt.datetime.strptime(sample.strftime(text), text).date() == sample.date()
    except ValueError:
        return False


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


class ErrorCodeRule(Frozen):
    """An answer whose JSON body says what went wrong where its HTTP status does not: Meta's
    Graph API answers throttling with HTTP 400 and `error.code` 17 or 80004, and an expired
    token with 400 and code 190."""

    status: int = pydantic.Field(ge=400, le=599, description="The HTTP status it comes with.")
    path: JmesPath = pydantic.Field(description="JMESPath to the code in the body: error.code.")
    values: list[int | str] = pydantic.Field(
        min_length=1, description="The codes that mean it (compared as text: 17 and '17' match)."
    )
    means: Literal["rate_limited", "auth_failed"] = pydantic.Field(
        description="rate_limited: waited out and retried like a 429 (within http_retries); "
        "auth_failed: the credentials are refused, like a 401 (an OAuth2 token is fetched anew "
        "once)."
    )


class RestSource(Frozen):
    """A provider's REST API, read page by page into a landed extract."""

    kind: Literal["rest_api"]
    base_url: Annotated[str, pydantic.StringConstraints(pattern=r"^https?://[^\s?#]+$")]
    path: str = pydantic.Field("", description="Appended to base_url, e.g. /crm/v3/deals.")
    method: Literal["GET", "POST"] = "GET"
    params: dict[str, ParamValue] = {}
    headers: dict[HeaderName, HeaderValue] = pydantic.Field(
        {}, description="Sent with every API request (the fan-out parent's too); no secrets."
    )
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
    fan_out: FanOutSpec | None = pydantic.Field(
        None, description="Call the source once per client account (listed or from a parent)."
    )
    error_codes: list[ErrorCodeRule] = pydantic.Field(
        [], description="Answers whose body, not their status, says rate limited or refused."
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

    @pydantic.field_validator("params")
    @classmethod
    def _no_secret_params(cls, params: dict[str, Any]) -> dict[str, Any]:
        for name in params:
            if name.lower().replace("-", "_") in _SECRET_PARAMS:
                raise ValueError(
                    f"query parameter `{name}` carries credentials: declare it under `auth` "
                    "(model api_key, api_key_location: query) with the environment variable "
                    "that holds it"
                )
        return params

    @pydantic.model_validator(mode="after")
    def _body_needs_post(self) -> "RestSource":
        uses_body = self.body is not None
        incremental = self.incremental
        body_paths = [
            getattr(self.paginator, "cursor_body_path", None),
            incremental.body_path if incremental else None,
            incremental.end_body_path if incremental else None,
            incremental.text_path if incremental else None,
            self.fan_out.body_path if self.fan_out else None,
        ]
        if any(body_paths) and not uses_body:
            raise ValueError("a body_path (cursor, incremental, end, fan_out) needs a `body`")
        if uses_body and self.method != "POST":
            raise ValueError("a request `body` needs method POST")
        if incremental is not None and incremental.text_path is not None:
            text = body_value(self.body or {}, incremental.text_path)
            if not isinstance(text, str) or "{start}" not in text or "{end}" not in text:
                raise ValueError(
                    f"incremental.text_path `{incremental.text_path}` must name a text of the "
                    "body holding `{start}` and `{end}`"
                )
        self._account_goes_somewhere()
        return self

    def _account_goes_somewhere(self) -> None:
        in_path = ACCOUNT_PLACEHOLDER in self.path
        if self.fan_out is None:
            if in_path:
                raise ValueError(f"path holds {ACCOUNT_PLACEHOLDER} but there is no fan_out")
            return
        places = [self.fan_out.param is not None, self.fan_out.body_path is not None, in_path]
        if sum(places) != 1:
            raise ValueError(
                "fan_out: the account id goes in exactly one place: fan_out.param, "
                f"fan_out.body_path or {ACCOUNT_PLACEHOLDER} in source.path"
            )
