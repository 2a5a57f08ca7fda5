"""Secret-free text: the secret values and secret query parameters of a provider removed from
messages, exceptions and urllib3's log lines."""

import logging
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
import requests

_SAID_CHARS = 300  # of a provider's error message, in ours


class Redactor:
    """Removes secret values from text: messages, exceptions and urllib3's log lines."""

    def __init__(self, secrets: list[str], query_names: list[str]) -> None:
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._query_names = {n.lower() for n in query_names}

    def add(self, secret: str) -> None:
        """Mask ``secret`` from now on (a token fetched during the sync)."""
        if secret and secret not in self._secrets:
            self._secrets = sorted([*self._secrets, secret], key=len, reverse=True)

    def text(self, value: str) -> str:
        """``value`` with every secret replaced by ``***``."""
        for secret in self._secrets:
            value = value.replace(secret, "***")
        return value

    def url(self, url: str) -> str:
        """The URL with secret query parameters masked (and any secret value removed)."""
        parts = urlsplit(url)
        query = [
            (k, "***" if k.lower() in self._query_names else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
        clean = urlunsplit(parts._replace(query=urlencode(query, safe="*:,"), fragment=""))
        return self.text(clean)


class RedactingFilter(logging.Filter):
    """A logging filter that passes every record with its secrets removed."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redactor.text(record.getMessage())
        record.args = ()
        return True


def provider_says(response: requests.Response, redactor: Redactor) -> str:
    """``: the provider says "..."`` with the error message an answer carries (a JSON error's
    `message`, `error` and `error_description`, `errors[0].message`, `detail`, or a short plain
    text), secrets masked and cut short; empty when it carries none (an HTML page, say)."""
    try:
        said = _message_in(orjson.loads(response.content))
    except orjson.JSONDecodeError:
        content_type = response.headers.get("Content-Type", "")
        said = response.text if content_type.startswith("text/plain") else None
    if not said:
        return ""
    text = " ".join("".join(c if c.isprintable() else " " for c in said).split())
    if len(text) > _SAID_CHARS:
        text = text[:_SAID_CHARS] + "..."
    return f': the provider says "{redactor.text(text)}"'


def _message_in(data: Any) -> str | None:
    if isinstance(data, str):
        return data
    if not isinstance(data, dict):
        return None
    error, errors = data.get("error"), data.get("errors")
    parts = [error] if isinstance(error, str) else []
    if isinstance(error, dict):
        parts.append(_message_in(error.get("message")) or _message_in(error.get("errors")) or "")
    if isinstance(errors, list) and errors:
        first = errors[0]
        parts.append(first if isinstance(first, str) else _message_in(first) or "")
    parts += [
        data[k]
        for k in ("error_description", "message", "detail", "title")
        if isinstance(data.get(k), str)
    ]
    return ": ".join(dict.fromkeys(p for p in parts if p)) or None
