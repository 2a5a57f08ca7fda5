"""The page loop against a real HTTP server on 127.0.0.1: an HTML page, malformed JSON or records
that are not a list fail the extract with the provider, the secret-free URL and what was wrong."""

from collections.abc import Callable

import pytest

from zartsalgo_pipelines.sources.rest import (
    MalformedResponseError,
)
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests.fake_api import FakeApi, Fault
from zartsalgo_pipelines_tests.helpers import quote
from zartsalgo_pipelines_tests.sources.rest.helpers import read_all, rest_spec


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        pytest.param(
            Fault(200, b"<html><body>Maintenance</body></html>", content_type="text/html"),
            r"the response is an HTML page \(HTTP 200, Content-Type text/html",
            id="html-page",
        ),
        pytest.param(
            Fault(200, b'{"data": [1, 2'), "the response is not valid JSON", id="malformed-json"
        ),
        pytest.param(
            Fault(200, b'{"data": {"id": "QR-1"}}'),
            "records_path `data` found a JSON object, not a list of records",
            id="records-not-a-list",
        ),
        pytest.param(
            Fault(200, b'{"items": []}'), "records_path `data` found nothing", id="records-missing"
        ),
    ],
)
def test_an_unexpected_response_fails_with_provider_url_and_what_was_wrong(
    fake_api: FakeApi,
    make_spec: Callable[..., ProviderSpec],
    monkeypatch: pytest.MonkeyPatch,
    fault: Fault,
    expected: str,
) -> None:
    fake_api.items = [quote(n) for n in range(1, 8)]
    fake_api.faults = {2: fault}
    fake_api.auth = ("api_key_query", "api_key", "very-secret-key")
    monkeypatch.setenv("T_KEY", "very-secret-key")
    spec = rest_spec(
        make_spec,
        fake_api,
        path="/items/page",
        paginator={"type": "page_number"},
        auth={
            "model": "api_key",
            "credentials": {"api_key": "T_KEY"},
            "api_key_name": "api_key",
            "api_key_location": "query",
        },
    )
    with pytest.raises(MalformedResponseError, match=expected) as failed:
        read_all(spec)
    message = str(failed.value)
    assert message.startswith("Provider `quote_request`: GET http://127.0.0.1:")
    assert "/items/page?page=2" in message and "very-secret-key" not in message
