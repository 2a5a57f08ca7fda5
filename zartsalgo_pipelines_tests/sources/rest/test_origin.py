"""Scenario: the provider's API sends the client elsewhere, by a redirect or by a next-page
link to another host. The credentials (the auth model's header, auth.secret_headers) go to the
API's own origin only: a redirect elsewhere loses them, a next link elsewhere is refused."""

import json
from collections.abc import Callable

import pytest

from zartsalgo_pipelines.settings import MissingSecretError
from zartsalgo_pipelines.sources.rest import MalformedResponseError
from zartsalgo_pipelines.sources.rest.sessions import origin
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests.fake_api import FakeApi, Fault, serving
from zartsalgo_pipelines_tests.helpers import quote
from zartsalgo_pipelines_tests.sources.rest.helpers import read_all, rest_spec

SECRETS = {"T_KEY": "key-456-secret", "T_DEV": "dev-token-secret"}
AUTH = {
    "model": "api_key",
    "credentials": {"api_key": "T_KEY"},
    "api_key_name": "X-Api-Key",
    "api_key_location": "header",
    "secret_headers": {"developer-token": "T_DEV"},
}


@pytest.fixture
def keyed(fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    fake_api.auth = ("api_key_header", "X-Api-Key", SECRETS["T_KEY"])
    fake_api.items = [quote(n) for n in range(1, 6)]
    return fake_api


def _leaked(api: FakeApi) -> list[str]:
    return [v for s in api.seen for v in SECRETS.values() if v in str(s.headers)]


def test_a_redirect_to_another_host_carries_no_credential(
    keyed: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    with serving(FakeApi()) as elsewhere:
        elsewhere.items = keyed.items
        location = {"Location": f"{elsewhere.url}/items/single"}
        keyed.faults = {1: Fault(302, b"", location)}
        records = read_all(rest_spec(make_spec, keyed, auth=AUTH))
        assert len(records) == 5 and len(elsewhere.seen) == 1
        assert not _leaked(elsewhere)
    assert set(SECRETS.values()) <= {v for s in keyed.seen for v in s.headers.values()}


def test_a_next_link_to_another_host_is_refused(
    keyed: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    with serving(FakeApi()) as elsewhere:
        link = f"{elsewhere.url}/items/json_link?start=3"
        page = {"data": keyed.items[:3], "links": {"next": link}}
        keyed.faults = {1: Fault(200, json.dumps(page).encode())}
        spec = rest_spec(
            make_spec,
            keyed,
            auth=AUTH,
            path="/items/json_link",
            paginator={"type": "json_link", "next_url_path": "links.next"},
        )
        with pytest.raises(MalformedResponseError, match=r"next link leads to another host"):
            read_all(spec)
        assert not elsewhere.seen


@pytest.mark.parametrize("variable", ["T_KEY", "T_DEV"])
def test_a_secret_with_a_line_break_is_named_not_reported_unreachable(
    keyed: FakeApi,
    make_spec: Callable[..., ProviderSpec],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    # A value read from a file keeps its newline; as a header it cannot be sent at all, and
    # requests' InvalidHeader read as `unreachable` (retried, alerted) sent the owner to the
    # network instead of the variable.
    monkeypatch.setenv(variable, SECRETS[variable] + "\n")
    with pytest.raises(MissingSecretError, match=f"{variable} holds a line break") as refused:
        read_all(rest_spec(make_spec, keyed, auth=AUTH))
    assert SECRETS[variable] not in str(refused.value)
    assert keyed.seen == []


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("https://graph.facebook.com/v19.0/x", "https://graph.facebook.com:443/v19.0/y", True),
        ("https://API.example.com/a", "https://api.example.com/b?c=1", True),
        ("http://api.example.com/a", "http://api.example.com:80/b", True),
        ("https://api.example.com/a", "http://api.example.com/a", False),
        ("https://api.example.com/a", "https://api.example.com:8443/a", False),
        ("https://api.example.com/a", "https://api.example.com.evil.example/a", False),
        ("https://api.example.com/a", "https://user@api.example.com/a", True),
        ("https://api.example.com/a", "https://api.example.com:bad/a", False),
    ],
)
def test_an_origin_is_scheme_host_and_port_with_default_ports_filled_in(
    first: str, second: str, same: bool
) -> None:
    assert (origin(first) == origin(second)) is same
