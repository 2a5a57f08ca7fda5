"""The spec's ``auth.model`` as a ``requests`` auth: one builder per model in ``AUTH_BUILDERS``,
so a new model is one function and one registry line. Secrets arrive as values read by the
client at run time; nothing here reads the environment."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import requests
import requests.auth

from zartsalgo_pipelines.errors import UnknownNameError
from zartsalgo_pipelines.sources.rest.errors import (
    AuthFailedError,
    ExtractError,
    UnreachableError,
)
from zartsalgo_pipelines.specs.models import AuthSpec

_REFRESH_MARGIN = dt.timedelta(seconds=60)


class _HeaderAuth(requests.auth.AuthBase):
    def __init__(self, name: str, value: str) -> None:
        self.name, self.value = name, value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers[self.name] = self.value
        return request


class _QueryAuth(requests.auth.AuthBase):
    def __init__(self, name: str, value: str) -> None:
        self.name, self.value = name, value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.prepare_url(request.url, {self.name: self.value})
        return request


class OAuth2ClientCredentials(requests.auth.AuthBase):
    """Fetches a token from ``token_url`` with the client id and secret, caches it until a
    minute before it expires, and fetches a new one when the API says 401."""

    def __init__(
        self,
        session: requests.Session,
        token_url: str,
        client_id: str,
        client_secret: str,
        scopes: list[str],
        timeout: float,
        describe: Callable[[str], str],
    ) -> None:
        self.session = session
        self.token_url = token_url
        self.client_id, self.client_secret = client_id, client_secret
        self.scopes = scopes
        self.timeout = timeout
        self.describe = describe
        self.token: str | None = None
        self.expires_at = dt.datetime.min.replace(tzinfo=dt.UTC)
        self.fetched = 0

    def invalidate(self) -> None:
        """Forget the token, so the next request fetches a new one (after a 401)."""
        self.token = None

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self.token is None or dt.datetime.now(dt.UTC) >= self.expires_at - _REFRESH_MARGIN:
            self._fetch()
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request

    def _fetch(self) -> None:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        if self.scopes:
            form["scope"] = " ".join(self.scopes)
        where = self.describe(f"POST {self.token_url}")
        try:
            response = self.session.post(self.token_url, data=form, timeout=self.timeout)
        except requests.RequestException as error:
            raise UnreachableError(
                f"{where}: token endpoint unreachable ({type(error).__name__})"
            ) from None
        if response.status_code in (400, 401, 403):
            raise AuthFailedError(
                f"{where}: the token endpoint refused the client credentials "
                f"(HTTP {response.status_code})",
                f"token endpoint HTTP {response.status_code}",
            )
        self._keep(response, where)

    def _keep(self, response: requests.Response, where: str) -> None:
        try:
            body = response.json()
            token = body["access_token"]
        except (ValueError, KeyError, TypeError):
            raise ExtractError(
                f"{where}: the token endpoint answered HTTP {response.status_code} without an "
                "access_token"
            ) from None
        self.token = str(token)
        lifetime = float(body.get("expires_in") or 3600)
        self.expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=lifetime)
        self.fetched += 1


@dataclass(frozen=True)
class AuthContext:
    """What a builder may need beside the spec and the secrets (the OAuth2 token fetch)."""

    session: requests.Session
    timeout: float
    describe: Callable[[str], str]  # "POST <url>" -> a secret-free message prefix


AuthBuilder = Callable[[AuthSpec, dict[str, str], AuthContext], requests.auth.AuthBase | None]


def _no_auth(auth: AuthSpec, values: dict[str, str], context: AuthContext) -> None:
    return None


def _bearer(auth: AuthSpec, values: dict[str, str], context: AuthContext) -> _HeaderAuth:
    return _HeaderAuth("Authorization", f"Bearer {values['token']}")


def _api_key(
    auth: AuthSpec, values: dict[str, str], context: AuthContext
) -> requests.auth.AuthBase:
    assert auth.api_key_name is not None  # checked at load
    cls = _QueryAuth if auth.api_key_location == "query" else _HeaderAuth
    return cls(auth.api_key_name, values["api_key"])


def _http_basic(
    auth: AuthSpec, values: dict[str, str], context: AuthContext
) -> requests.auth.HTTPBasicAuth:
    return requests.auth.HTTPBasicAuth(values["username"], values["password"])


def _oauth2(
    auth: AuthSpec, values: dict[str, str], context: AuthContext
) -> OAuth2ClientCredentials:
    assert auth.token_url is not None  # checked at load
    return OAuth2ClientCredentials(
        context.session,
        auth.token_url,
        values["client_id"],
        values["client_secret"],
        list(auth.scopes),
        context.timeout,
        context.describe,
    )


AUTH_BUILDERS: dict[str, AuthBuilder] = {
    "none": _no_auth,
    "bearer": _bearer,
    "api_key": _api_key,
    "http_basic": _http_basic,
    "oauth2_client_credentials": _oauth2,
}


def build_auth(
    auth: AuthSpec, values: dict[str, str], context: AuthContext
) -> requests.auth.AuthBase | None:
    """The ``requests`` auth for the spec's ``auth.model`` (None for ``none``).

    Args:
        auth: The provider's auth spec.
        values: Credential role -> secret value, read from the environment by the caller.
        context: The session, timeout and message prefix an OAuth2 token fetch needs.

    Raises:
        UnknownNameError: ``auth.model`` is not in ``AUTH_BUILDERS``; the message lists them.
    """
    builder = AUTH_BUILDERS.get(auth.model)
    if builder is None:
        raise UnknownNameError("auth model", auth.model, list(AUTH_BUILDERS))
    return builder(auth, values, context)
