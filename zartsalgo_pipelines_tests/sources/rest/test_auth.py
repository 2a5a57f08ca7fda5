"""Every auth model against a real HTTP server on 127.0.0.1: accepted with the right secret,
refused (without the secret in the message) with a wrong one, a missing secret named at run
time, the OAuth2 token reused (until shortly before it expires) and refreshed after a 401, token
calls inside the request budget and its count, a rotated refresh token kept for the next run
(0600, never logged); the registry refuses an unknown model and lists the valid ones."""

import datetime as dt
import logging
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from zartsalgo_pipelines.settings import MissingSecretError
from zartsalgo_pipelines.sources.rest import AuthFailedError, iter_pages, open_provider_session
from zartsalgo_pipelines.sources.rest.auth import OAuth2ClientCredentials
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests.fake_api import FakeApi, Fault
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


def _oauth_spec(
    make_spec: Callable[..., ProviderSpec], api: FakeApi, **source: Any
) -> ProviderSpec:
    return rest_spec(
        make_spec,
        api,
        path="/items/page",
        paginator={"type": "page_number"},
        auth=_auth(AUTH_CASES[-1].values[0], api),
        **source,
    )


@pytest.fixture
def oauth_api(fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    fake_api.items = [quote(n) for n in range(1, 10)]
    fake_api.auth = ("oauth2", "client-1", "s3cret")
    monkeypatch.setenv("T_CLIENT", "client-1")
    monkeypatch.setenv("T_SECRET", "s3cret")
    return fake_api


def test_a_short_lived_token_is_reused_until_shortly_before_it_expires(
    oauth_api: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    """`expires_in: 60` once meant a token per page: it was renewed a minute before expiry."""
    oauth_api.token_lifetime = 60
    spec = _oauth_spec(make_spec, oauth_api)
    with open_provider_session(spec) as http:
        assert isinstance(http.auth, OAuth2ClientCredentials)
        start = dt.datetime(2026, 9, 3, 12, 0, tzinfo=dt.UTC)
        now = [start]
        http.auth.clock = lambda: now[0]
        assert len([r for p in iter_pages(spec, http) for r in p.records]) == 9  # 4 pages
        assert oauth_api.token_requests == 1
        now[0] = start + dt.timedelta(seconds=50)  # 10 s left: still used
        next(iter_pages(spec, http))
        assert oauth_api.token_requests == 1
        now[0] = start + dt.timedelta(seconds=55)  # 5 s left: renewed before the request
        next(iter_pages(spec, http))
        assert oauth_api.token_requests == 2
    assert all(uses > 0 for uses in oauth_api.tokens.values())


def test_a_token_the_server_expired_early_is_fetched_again_once(
    oauth_api: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    """The client thinks its token good for an hour; the server's clock says it is over."""
    spec = _oauth_spec(make_spec, oauth_api)
    with open_provider_session(spec) as http:
        pages = iter_pages(spec, http)
        first = next(pages)
        oauth_api.expire_tokens()
        rest = [r for page in pages for r in page.records]
    assert len(first.records) + len(rest) == 9
    assert oauth_api.token_requests == 2
    assert [s.path for s in oauth_api.seen].count("/oauth/token") == 2


def test_token_calls_are_within_the_request_budget_and_counted(
    oauth_api: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    oauth_api.revoke_after_uses = 2  # a second token after the first 401
    spec = _oauth_spec(make_spec, oauth_api, rate_limit={"requests_per_second": 1000})
    with open_provider_session(spec) as http:
        slots = []
        acquire = http.budget.acquire
        http.budget.acquire = lambda at_least=0.0: slots.append(at_least) or acquire(at_least)  # type: ignore[method-assign]
        records = [r for p in iter_pages(spec, http) for r in p.records]
        stats = http.stats
    assert len(records) == 9 and oauth_api.token_requests == 2
    assert stats.requests == len(oauth_api.seen)  # token calls included
    assert len(slots) == len(oauth_api.seen)  # each one took a slot of the budget


REFRESH_AUTH = {
    "model": "oauth2_refresh_token",
    "credentials": {
        "client_id": "T_CLIENT",
        "client_secret": "T_SECRET",
        "refresh_token": "T_REFRESH",
    },
    "token_url": "TOKEN_URL",
}


def test_a_rotated_refresh_token_is_kept_where_the_next_run_finds_it(
    oauth_api: FakeApi,
    make_spec: Callable[..., ProviderSpec],
    monkeypatch: pytest.MonkeyPatch,
    data_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    oauth_api.refresh_token = "rt-first-consent"
    monkeypatch.setenv("T_REFRESH", "rt-first-consent")
    spec = rest_spec(
        make_spec, oauth_api, path="/items/page", paginator={"type": "page_number"},
        auth=_auth(REFRESH_AUTH, oauth_api),
    )  # fmt: skip
    issued = []
    for _ in range(3):  # three runs; each rotation makes the one before it useless
        assert len(read_all(spec)) == 9
        issued.append(oauth_api.refresh_token)
    assert len(set(issued)) == 3 and "rt-first-consent" not in issued
    stored = data_dir / "credentials" / f"{spec.key}.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    assert issued[-1] in stored.read_text(encoding="utf-8")
    # The provider revokes it: the refusal says so in the provider's words, without the token.
    oauth_api.refresh_token = "rt-revoked-elsewhere"
    with pytest.raises(AuthFailedError) as refused:
        read_all(spec)
    assert "invalid_grant" in str(refused.value) and "refresh token is not valid" in str(
        refused.value
    )
    # The owner consents again and sets the variable: the new value wins over the kept one.
    oauth_api.refresh_token = "rt-second-consent"
    monkeypatch.setenv("T_REFRESH", "rt-second-consent")
    assert len(read_all(spec)) == 9
    secrets = [*issued, "rt-first-consent", "rt-second-consent", oauth_api.refresh_token]
    logged = caplog.text + str(refused.value)
    assert not [s for s in secrets if s in logged]


def test_a_declared_auth_failure_code_fetches_the_token_anew_once(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_api.items = [quote(n) for n in range(1, 10)]
    fake_api.auth = ("oauth2", "client-1", "s3cret")
    monkeypatch.setenv("T_CLIENT", "client-1")
    monkeypatch.setenv("T_SECRET", "s3cret")
    expired = b'{"error": {"message": "Error validating access token", "code": 190}}'
    rule = {"status": 400, "path": "error.code", "values": [190], "means": "auth_failed"}
    fake_api.faults = {3: Fault(400, expired)}  # the second page's first attempt
    spec = _oauth_spec(make_spec, fake_api, error_codes=[rule])
    assert len(read_all(spec)) == 9
    assert fake_api.token_requests == 2  # one at the start, one after the code 190
