"""Every auth model against a real HTTP server on 127.0.0.1: accepted with the right secret,
refused (without the secret in the message) with a wrong one, a missing secret named at run
time, the OAuth2 token reused and refreshed after a 401; the registry refuses an unknown model
and lists the valid ones."""

from collections.abc import Callable
from typing import Any

import pytest

from zartsalgo_pipelines.settings import MissingSecretError
from zartsalgo_pipelines.sources.rest import (
    AuthFailedError,
)
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests.fake_api import FakeApi
from zartsalgo_pipelines_tests.helpers import quote
from zartsalgo_pipelines_tests.sources.rest.helpers import read_all, rest_spec

AUTH_CASES = [
    pytest.param(
        {"model": "bearer", "credentials": {"token": "T_TOKEN"}},
        {"T_TOKEN": "tok-123"},
        ("bearer", "tok-123"),
        id="bearer",
    ),
    pytest.param(
        {
            "model": "api_key",
            "credentials": {"api_key": "T_KEY"},
            "api_key_name": "X-Api-Key",
            "api_key_location": "header",
        },
        {"T_KEY": "key-456"},
        ("api_key_header", "X-Api-Key", "key-456"),
        id="api_key-header",
    ),
    pytest.param(
        {
            "model": "api_key",
            "credentials": {"api_key": "T_KEY"},
            "api_key_name": "api_key",
            "api_key_location": "query",
        },
        {"T_KEY": "key-789"},
        ("api_key_query", "api_key", "key-789"),
        id="api_key-query",
    ),
    pytest.param(
        {"model": "http_basic", "credentials": {"username": "T_USER", "password": "T_PASS"}},
        {"T_USER": "zartsalgo", "T_PASS": "pa55-word"},
        ("basic", "zartsalgo", "pa55-word"),
        id="http_basic",
    ),
    pytest.param(
        {
            "model": "oauth2_client_credentials",
            "credentials": {"client_id": "T_CLIENT", "client_secret": "T_SECRET"},
            "token_url": "TOKEN_URL",
            "scopes": ["deals.read"],
        },
        {"T_CLIENT": "client-1", "T_SECRET": "s3cret-oauth"},
        ("oauth2", "client-1", "s3cret-oauth"),
        id="oauth2_client_credentials",
    ),
]


def _auth(auth: dict[str, Any], api: FakeApi) -> dict[str, Any]:
    if auth.get("token_url") == "TOKEN_URL":
        auth = auth | {"token_url": f"{api.url}/oauth/token"}
    return auth


@pytest.mark.parametrize(("auth", "env", "expected"), AUTH_CASES)
def test_every_auth_kind_is_accepted_with_the_right_secret_and_refused_with_a_wrong_one(
    fake_api: FakeApi,
    make_spec: Callable[..., ProviderSpec],
    monkeypatch: pytest.MonkeyPatch,
    auth: dict[str, Any],
    env: dict[str, str],
    expected: tuple[str, ...],
) -> None:
    fake_api.items = [quote(n) for n in range(1, 8)]
    fake_api.auth = expected
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = rest_spec(
        make_spec,
        fake_api,
        path="/items/page",
        paginator={"type": "page_number"},
        auth=_auth(auth, fake_api),
    )
    assert len(read_all(spec)) == 7
    # Now a wrong value for the last secret: refused, and no secret in the message.
    wrong = list(env)[-1]
    monkeypatch.setenv(wrong, "wrong-value")
    with pytest.raises(AuthFailedError) as refused:
        read_all(spec)
    message = str(refused.value)
    assert "HTTP 401" in message and "refused" in message
    for secret in [*env.values(), "wrong-value"]:
        assert secret not in message


@pytest.mark.parametrize(("auth", "env", "expected"), AUTH_CASES[:1] + AUTH_CASES[-1:])
def test_a_missing_secret_is_named_at_run_time(
    fake_api: FakeApi,
    make_spec: Callable[..., ProviderSpec],
    monkeypatch: pytest.MonkeyPatch,
    auth: dict[str, Any],
    env: dict[str, str],
    expected: tuple[str, ...],
) -> None:
    for name in env:
        monkeypatch.delenv(name, raising=False)
    spec = rest_spec(make_spec, fake_api, auth=_auth(auth, fake_api))  # loads without them
    with pytest.raises(
        MissingSecretError, match=f"environment variable {next(iter(env))} is not set"
    ):
        read_all(spec)
    assert fake_api.seen == []


def test_oauth2_token_is_fetched_once_reused_and_refreshed_after_a_401(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_api.items = [quote(n) for n in range(1, 10)]
    fake_api.auth = ("oauth2", "client-1", "s3cret")
    fake_api.revoke_after_uses = 2  # the provider revokes each token after two calls
    monkeypatch.setenv("T_CLIENT", "client-1")
    monkeypatch.setenv("T_SECRET", "s3cret")
    spec = rest_spec(
        make_spec,
        fake_api,
        path="/items/page",
        paginator={"type": "page_number"},
        auth=_auth(AUTH_CASES[-1].values[0], fake_api),
    )
    assert len(read_all(spec)) == 9  # 3 full pages + 1 empty page = 4 pages
    assert fake_api.token_requests == 2  # one at the start, one after the first 401
    token_form = next(s for s in fake_api.seen if s.path == "/oauth/token").body
    assert "grant_type=client_credentials" in token_form and "scope=deals.read" in token_form
