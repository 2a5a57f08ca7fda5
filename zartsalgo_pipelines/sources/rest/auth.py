"""The spec's ``auth.model`` as a ``requests`` auth: one builder per model in ``AUTH_BUILDERS``,
so a new model is one function and one registry line. Secrets arrive as values read by the
client at run time; nothing here reads the environment."""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
import requests.auth

from zartsalgo_pipelines.errors import UnknownNameError
from zartsalgo_pipelines.sources.rest.oauth2 import (
    OAuth2ClientCredentials,
    OAuth2RefreshToken,
    TokenEndpoint,
)
from zartsalgo_pipelines.sources.rest.redaction import Redactor
from zartsalgo_pipelines.sources.rest.token_store import RefreshTokenStore
from zartsalgo_pipelines.specs.models import AuthSpec

__all__ = ["AUTH_BUILDERS", "AuthContext", "OAuth2ClientCredentials", "build_auth"]


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
        # A next-page link may carry the key already (Meta's `paging.next` does): replace it
        # rather than send it twice, which some APIs refuse.
        parts = urlsplit(request.url or "")
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        if any(name == self.name for name, _ in pairs):
            query = urlencode([(name, value) for name, value in pairs if name != self.name])
            request.url = urlunsplit(parts._replace(query=query))
        request.prepare_url(request.url, {self.name: self.value})
        return request


@dataclass(frozen=True)
class AuthContext:
    """What a builder may need beside the spec and the secrets (the OAuth2 token calls)."""

    session: requests.Session
    timeout: float
    provider_key: str
    redactor: Redactor  # masks secrets, and the tokens fetched during the sync
    spend: Callable[[], None]  # a token call takes a slot of the request budget and counts


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


def _endpoint(auth: AuthSpec, context: AuthContext) -> TokenEndpoint:
    assert auth.token_url is not None  # checked at load
    return TokenEndpoint(
        context.session,
        auth.token_url,
        context.timeout,
        context.provider_key,
        context.redactor,
        context.spend,
    )


def _oauth2(
    auth: AuthSpec, values: dict[str, str], context: AuthContext
) -> OAuth2ClientCredentials:
    return OAuth2ClientCredentials(
        _endpoint(auth, context), values["client_id"], values["client_secret"], list(auth.scopes)
    )


def _oauth2_refresh(
    auth: AuthSpec, values: dict[str, str], context: AuthContext
) -> OAuth2RefreshToken:
    store = RefreshTokenStore(context.provider_key, values["refresh_token"])
    return OAuth2RefreshToken(
        _endpoint(auth, context),
        values["client_id"],
        values["client_secret"],
        list(auth.scopes),
        store,
    )


AUTH_BUILDERS: dict[str, AuthBuilder] = {
    "none": _no_auth,
    "bearer": _bearer,
    "api_key": _api_key,
    "http_basic": _http_basic,
    "oauth2_client_credentials": _oauth2,
    "oauth2_refresh_token": _oauth2_refresh,
}


def build_auth(
    auth: AuthSpec, values: dict[str, str], context: AuthContext
) -> requests.auth.AuthBase | None:
    """The ``requests`` auth for the spec's ``auth.model`` (None for ``none``).

    Args:
        auth: The provider's auth spec.
        values: Credential role -> secret value, read from the environment by the caller.
        context: The session, timeout, redactor and budget an OAuth2 token call needs.

    Raises:
        UnknownNameError: ``auth.model`` is not in ``AUTH_BUILDERS``; the message lists them.
    """
    builder = AUTH_BUILDERS.get(auth.model)
    if builder is None:
        raise UnknownNameError("auth model", auth.model, list(AUTH_BUILDERS))
    return builder(auth, values, context)
