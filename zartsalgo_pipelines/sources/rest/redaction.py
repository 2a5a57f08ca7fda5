"""Secret-free text: the secret values and secret query parameters of a provider removed from
messages, exceptions and urllib3's log lines."""

import logging
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


class Redactor:
    """Removes secret values from text: messages, exceptions and urllib3's log lines."""

    def __init__(self, secrets: list[str], query_names: list[str]) -> None:
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._query_names = {n.lower() for n in query_names}

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
