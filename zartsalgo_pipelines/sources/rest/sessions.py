"""The ``requests`` session of a sync: urllib3's retries mounted, the default headers, the
credentials kept to the API's own origin; and an answer's Retry-After read as urllib3 reads it.

requests drops `Authorization` when a redirect leaves the host, and no other header: an API key
in `X-Api-Key` or a secret header (Google Ads' `developer-token`) went along to wherever the
provider's answer pointed. ``OriginBoundSession`` drops those too. A next-page link to another
origin is refused by the paginator (``paginators.py``), as the auth hook would sign it."""

from collections.abc import Iterable
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url``, lower case, the default port filled in (`:443` named
    or not is one origin): where credentials may go."""
    parts = urlsplit(url)
    try:
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:  # not a port number: an origin of its own, never the API's
        return f"{parts.scheme}://{parts.netloc}".lower()
    return f"{parts.scheme}://{parts.hostname}:{port}".lower()


class OriginBoundSession(requests.Session):
    """A session that drops ``credential_headers`` where requests drops `Authorization`: on a
    redirect to another host or port, or from https to http."""

    def __init__(self, credential_headers: Iterable[str] = ()) -> None:
        super().__init__()
        self.credential_headers = frozenset(credential_headers)

    def rebuild_auth(
        self, prepared_request: requests.PreparedRequest, response: requests.Response
    ) -> None:
        super().rebuild_auth(prepared_request, response)
        if self.should_strip_auth(response.request.url, prepared_request.url):
            for name in self.credential_headers:
                prepared_request.headers.pop(name, None)


def retrying_session(
    retry: urllib3.Retry, credential_headers: Iterable[str] = ()
) -> OriginBoundSession:
    """A session retrying with ``retry`` on http and https, asking for JSON."""
    session = OriginBoundSession(credential_headers)
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "zartsalgo-pipelines"
    session.headers["Accept"] = "application/json"
    return session


def retry_after(response: requests.Response) -> float | None:
    """Seconds an answer's Retry-After asks for, read as urllib3 reads it (ASCII digits or an
    HTTP date); None when absent or unreadable (`soon`, `1.5`, or `\u00b2`, which
    ``str.isdigit`` takes for a digit)."""
    after = response.headers.get("Retry-After")
    try:
        return None if after is None else urllib3.Retry(0).parse_retry_after(after)
    except urllib3.exceptions.InvalidHeader:
        return None
