"""The HTTP mechanics of a REST source: a ``requests`` session whose adapter retries with
urllib3's ``Retry``, a request budget, the spec's auth, and secret-free log lines.

Why urllib3's ``Retry`` and not dlt's REST client: the session is all we need from a client
(pagination and record selection are ours, driven by the spec), ``Retry`` already does
exponential backoff with jitter, ``Retry-After`` and per-status retries, and requests/urllib3 are
already dependencies. A small subclass adds what ``Retry`` lacks: a cap on the total wait of a
sync, a shared request budget, and a record of how often and how long it waited.
"""

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
import requests.auth
import urllib3

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.sources.rest.auth import AuthContext, OAuth2ClientCredentials, build_auth
from zartsalgo_pipelines.sources.rest.error_codes import meaning_of
from zartsalgo_pipelines.sources.rest.errors import RetryBudgetExceededError
from zartsalgo_pipelines.sources.rest.redaction import RedactingFilter, Redactor
from zartsalgo_pipelines.sources.rest.sessions import retry_after, retrying_session
from zartsalgo_pipelines.specs.models import AuthSpec
from zartsalgo_pipelines.specs.rest import ErrorCodeRule, HttpRetrySpec

# Loggers urllib3 writes retried URLs to (query strings included); a filter applies only to
# records logged on its own logger, so each one gets it.
_URLLIB3_LOGGERS = ("urllib3", "urllib3.connectionpool", "urllib3.util.retry")


@dataclass
class HttpStats:
    """What a sync's HTTP traffic cost; stored on the batch and shown in Dagster metadata."""

    requests: int = 0  # attempts, retries included
    retries: int = 0
    rate_limit_hits: int = 0  # 429 answers
    rate_limit_wait_seconds: float = 0.0  # waited after 429s (Retry-After or backoff)
    retry_wait_seconds: float = 0.0  # waited after 5xx, timeouts and connection errors
    budget_wait_seconds: float = 0.0  # spacing the request budget added

    def as_metadata(self) -> dict[str, float | int]:
        """The counters under the names the batch and the Dagster metadata use."""
        return {
            "http_requests": self.requests,
            "http_retries": self.retries,
            "rate_limit_hits": self.rate_limit_hits,
            "rate_limit_wait_seconds": round(self.rate_limit_wait_seconds, 3),
            "retry_wait_seconds": round(self.retry_wait_seconds, 3),
            "budget_wait_seconds": round(self.budget_wait_seconds, 3),
        }


class RequestBudget:
    """Spaces requests at least ``interval`` seconds apart (the provider's published limit)."""

    def __init__(
        self,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self, at_least: float = 0.0) -> float:
        """Wait for the next slot (and at least ``at_least`` seconds); returns the wait."""
        with self._lock:
            now = self._clock()
            wait = max(at_least, self._next - now, 0.0)
            if wait:
                self._sleep(wait)
            self._next = now + wait + self.interval
            return wait


class BudgetedRetry(urllib3.Retry):
    """urllib3's Retry, plus: waits go through the request budget, count into ``HttpStats``
    and stop at the sync's total-wait cap instead of sleeping past it."""

    def __init__(
        self,
        *args: Any,
        stats: HttpStats | None = None,
        budget: RequestBudget | None = None,
        max_total_wait: float = float("inf"),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.stats = stats or HttpStats()
        self.budget = budget or RequestBudget(0.0)
        self.max_total_wait = max_total_wait

    def new(self, **kw: Any) -> "BudgetedRetry":
        retry = super().new(**kw)
        retry.stats, retry.budget, retry.max_total_wait = (
            self.stats,
            self.budget,
            self.max_total_wait,
        )
        return retry

    def sleep(self, response: urllib3.BaseHTTPResponse | None = None) -> None:
        rate_limited = response is not None and response.status == 429
        planned = None
        if response is not None and self.respect_retry_after_header:
            planned = self.get_retry_after(response)
        if planned is None:
            planned = self.get_backoff_time()
        stats = self.stats
        waited = stats.rate_limit_wait_seconds + stats.retry_wait_seconds
        if waited + planned > self.max_total_wait:
            cause = f"HTTP {response.status}" if response is not None else "connection error"
            raise RetryBudgetExceededError(
                f"after {stats.retries} retries ({cause}), waiting {planned:.0f} s more would "
                f"pass http_retries.max_total_wait_seconds ({self.max_total_wait:g} s)"
            )
        stats.retries += 1
        stats.requests += 1
        if rate_limited:
            stats.rate_limit_hits += 1
        slept = self.budget.acquire(at_least=planned)
        if rate_limited:
            stats.rate_limit_wait_seconds += slept
        else:
            stats.retry_wait_seconds += slept


@dataclass
class HttpSession:
    """A configured session and what comes with it; use as a context manager."""

    session: requests.Session
    auth: requests.auth.AuthBase | None
    redactor: Redactor
    stats: HttpStats
    budget: RequestBudget
    timeout: float
    _filter: RedactingFilter
    retries: HttpRetrySpec = field(default_factory=HttpRetrySpec)
    error_codes: Sequence[ErrorCodeRule] = ()
    # auth.secret_headers with their values: sent with API requests only (never to a token
    # endpoint, which shares the session), masked by the redactor like every credential.
    secret_headers: dict[str, str] = field(default_factory=dict)

    def __enter__(self) -> "HttpSession":
        return self

    def __exit__(self, *exc: object) -> None:
        for name in _URLLIB3_LOGGERS:
            logging.getLogger(name).removeFilter(self._filter)
        self.session.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None,
        body: Any,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """One logical request (urllib3 retries inside it); a refusal (401, or a declared
        `auth_failed` body code) fetches an OAuth2 token anew once; a declared `rate_limited`
        body code is waited out and retried like a 429, within ``http_retries``."""
        # urllib3 retries inside each attempt count too: at most max_retries in all, not
        # max_retries of its own per throttled answer.
        refreshed, throttled, retries_before = False, 0, self.stats.retries
        while True:
            self.stats.budget_wait_seconds += self.budget.acquire()
            self.stats.requests += 1
            response = self.session.request(
                method,
                url,
                params=params,
                json=body,
                auth=self.auth,
                timeout=self.timeout,
                headers={**(headers or {}), **self.secret_headers},
            )
            said = meaning_of(self.error_codes, response)
            refused = response.status_code == 401 or said == "auth_failed"
            if refused and isinstance(self.auth, OAuth2ClientCredentials) and not refreshed:
                self.auth.invalidate()
                refreshed = True
                continue
            retried = self.stats.retries - retries_before
            if said == "rate_limited" and retried < self.retries.max_retries:
                throttled += 1
                self._wait_out(response, throttled)
                continue
            return response

    def _wait_out(self, response: requests.Response, attempt: int) -> None:
        """Wait before retrying a throttled answer: its Retry-After, else the backoff; never
        past the sync's total-wait cap."""
        retries, stats = self.retries, self.stats
        backoff = min(retries.backoff_factor * 2 ** (attempt - 1), retries.backoff_max_seconds)
        planned = retry_after(response)
        planned = backoff if planned is None else planned
        waited = stats.rate_limit_wait_seconds + stats.retry_wait_seconds
        if waited + planned > retries.max_total_wait_seconds:
            raise RetryBudgetExceededError(
                f"after {stats.retries} retries (HTTP {response.status_code}, a rate-limit code),"
                f" waiting {planned:.0f} s more would pass http_retries.max_total_wait_seconds "
                f"({retries.max_total_wait_seconds:g} s)"
            )
        stats.retries += 1
        stats.rate_limit_hits += 1
        stats.rate_limit_wait_seconds += self.budget.acquire(at_least=planned)


def open_session(
    auth: AuthSpec,
    retries: HttpRetrySpec,
    *,
    provider_key: str,
    min_interval: float,
    timeout: float,
    error_codes: Sequence[ErrorCodeRule] = (),
) -> HttpSession:
    """A session with the spec's auth, retries and budget.

    Secrets are read here, at run time, through ``settings.secret``.

    Raises:
        MissingSecretError: a credential's environment variable is not set (it is named).
    """
    values = {
        role: settings.credential(env, f"auth.credentials.{role} of provider `{provider_key}`")
        for role, env in auth.credentials.items()
    }
    headers = {
        name: settings.credential(env, f"auth.secret_headers.{name} of provider `{provider_key}`")
        for name, env in auth.secret_headers.items()
    }
    query_names = (
        [auth.api_key_name] if auth.api_key_location == "query" and auth.api_key_name else []
    )
    redactor = Redactor([*values.values(), *headers.values()], query_names)
    stats = HttpStats()
    budget = RequestBudget(min_interval)
    # Credential headers beside `Authorization` (which requests drops itself) stay on the API's
    # origin when a redirect leaves it.
    own = [auth.model_header] if auth.model_header else []
    session = retrying_session(_retry(retries, stats, budget), [*own, *headers])
    # urllib3 logs retried URLs (query strings included) at WARNING: mask them.
    log_filter = RedactingFilter(redactor)
    for name in _URLLIB3_LOGGERS:
        logging.getLogger(name).addFilter(log_filter)

    def spend() -> None:  # a token call: a slot of the budget, and a request of the sync
        stats.budget_wait_seconds += budget.acquire()
        stats.requests += 1

    context = AuthContext(session, timeout, provider_key, redactor, spend)
    http_auth = build_auth(auth, values, context)
    return HttpSession(
        session,
        http_auth,
        redactor,
        stats,
        budget,
        timeout,
        log_filter,
        retries,
        error_codes,
        headers,
    )


def _retry(retries: HttpRetrySpec, stats: HttpStats, budget: RequestBudget) -> BudgetedRetry:
    return BudgetedRetry(
        total=retries.max_retries,
        status_forcelist=retries.statuses,
        allowed_methods=None,  # POST searches are reads: retry them like GETs
        backoff_factor=retries.backoff_factor,
        backoff_max=retries.backoff_max_seconds,
        backoff_jitter=retries.jitter_seconds,
        respect_retry_after_header=True,
        raise_on_status=False,  # the last answer is classified by the caller
        stats=stats,
        budget=budget,
        max_total_wait=retries.max_total_wait_seconds,
    )
