"""OAuth2 access tokens for a REST source: fetched from the token endpoint, reused until shortly
before they expire, fetched again after a 401; with client credentials, or with a refresh token
that the provider may rotate (``token_store``).

A token call is a request like any other: it waits for its slot in the request budget, counts
in ``http_requests``, is retried by the session's urllib3 ``Retry``, and every token it brings
(access and refresh) is masked in messages from then on.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
import requests.auth

from zartsalgo_pipelines.sources.rest.errors import (
    AuthFailedError,
    ExtractError,
    RateLimitedError,
    UnreachableError,
)
from zartsalgo_pipelines.sources.rest.redaction import Redactor, provider_says
from zartsalgo_pipelines.sources.rest.token_store import RefreshTokenStore

# A token is renewed this long before it expires: a minute, or a tenth of its lifetime when
# that is shorter (a 60-second token is used for 54 seconds, not fetched before every page).
_MARGIN = dt.timedelta(seconds=60)
_MARGIN_SHARE = 0.1
Clock = Callable[[], dt.datetime]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class TokenEndpoint:
    """The token endpoint and what a call to it goes through (the sync's session and budget)."""

    session: requests.Session
    url: str
    timeout: float
    provider_key: str
    redactor: Redactor
    spend: Callable[[], None]  # take a slot of the request budget and count the request


class OAuth2ClientCredentials(requests.auth.AuthBase):
    """The client credentials grant: a token for the client id and secret."""

    _what = "client credentials"  # what the token endpoint refuses, in its messages

    def __init__(
        self, endpoint: TokenEndpoint, client_id: str, client_secret: str, scopes: list[str]
    ) -> None:
        self.endpoint = endpoint
        self.client_id, self.client_secret = client_id, client_secret
        self.scopes = scopes
        self.clock: Clock = _utcnow
        self.token: str | None = None
        self.renew_at = dt.datetime.min.replace(tzinfo=dt.UTC)
        self.fetched = 0

    def invalidate(self) -> None:
        """Forget the token, so the next request fetches a new one (after a 401)."""
        self.token = None

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self.token is None or self.clock() >= self.renew_at:
            self._fetch()
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request

    def _grant(self) -> dict[str, str]:
        return {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }

    def _fetch(self) -> None:
        self._keep(self._post(self._grant()))

    def _post(self, form: dict[str, str]) -> dict[str, Any]:
        """One token call; the answer's JSON with an access token, or a clear error."""
        endpoint = self.endpoint
        if self.scopes:
            form["scope"] = " ".join(self.scopes)
        where = f"Provider `{endpoint.provider_key}`: POST {endpoint.redactor.url(endpoint.url)}"
        endpoint.spend()
        try:
            response = endpoint.session.post(endpoint.url, data=form, timeout=endpoint.timeout)
        except requests.RequestException as error:
            raise UnreachableError(
                f"{where}: token endpoint unreachable ({type(error).__name__})"
            ) from None
        status, says = response.status_code, provider_says(response, endpoint.redactor)
        if status in (400, 401, 403):
            raise AuthFailedError(
                f"{where}: the token endpoint refused the {self._what} (HTTP {status}){says}",
                f"token endpoint HTTP {status}",
            )
        if status == 429:
            raise RateLimitedError(f"{where}: token endpoint still rate limited{says}")
        if status >= 500:
            raise UnreachableError(f"{where}: token endpoint HTTP {status}{says}")
        try:
            body: dict[str, Any] = response.json()
            str(body["access_token"])
        except (ValueError, KeyError, TypeError):
            raise ExtractError(
                f"{where}: the token endpoint answered HTTP {status} without an access_token"
            ) from None
        return body

    def _keep(self, body: dict[str, Any]) -> None:
        self.token = str(body["access_token"])
        self.endpoint.redactor.add(self.token)
        try:
            lifetime = dt.timedelta(seconds=float(body.get("expires_in") or 3600))
        except (TypeError, ValueError):
            lifetime = dt.timedelta(hours=1)
        self.renew_at = self.clock() + lifetime - min(_MARGIN, lifetime * _MARGIN_SHARE)
        self.fetched += 1


class OAuth2RefreshToken(OAuth2ClientCredentials):
    """The refresh token grant. A provider that rotates refresh tokens sends a new one with
    each access token; it is kept (``token_store``) before the access token is used."""

    _what = "refresh token"

    def __init__(
        self,
        endpoint: TokenEndpoint,
        client_id: str,
        client_secret: str,
        scopes: list[str],
        store: RefreshTokenStore,
    ) -> None:
        super().__init__(endpoint, client_id, client_secret, scopes)
        self.store = store
        endpoint.redactor.add(store.initial)

    def _fetch(self) -> None:
        with self.store.locked():  # another run of the provider waits for the new token
            refresh = self.store.current()
            self.endpoint.redactor.add(refresh)
            body = self._post(
                self._grant() | {"grant_type": "refresh_token", "refresh_token": refresh}
            )
            rotated = body.get("refresh_token")
            if isinstance(rotated, str) and rotated and rotated != refresh:
                self.endpoint.redactor.add(rotated)
                self.store.save(rotated)
        self._keep(body)
