"""The accounts of a fan-out (``source.fan_out``): listed in the spec, or read from the parent
endpoint (dlt's `resolve`), each with the ZartsAlgo client key it belongs to; and how an
account enters a request and tags its records."""

import copy
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from zartsalgo_pipelines.jsonpaths import compile_safe_getter
from zartsalgo_pipelines.sources.rest.client import HttpSession
from zartsalgo_pipelines.sources.rest.errors import MalformedResponseError
from zartsalgo_pipelines.sources.rest.paginators import set_body_path
from zartsalgo_pipelines.sources.rest.series import PageGuard, follow
from zartsalgo_pipelines.specs.fan_out import ACCOUNT_KEY, ACCOUNT_PLACEHOLDER, FanOutSpec
from zartsalgo_pipelines.specs.rest import RestSource


@dataclass(frozen=True)
class Account:
    """One account of a fan-out; ``client_key`` None when neither the spec nor the parent
    says whose it is (its rows then fail `client_key` as required, with a dead letter)."""

    id: str
    client_key: str | None

    def tag(self, records: list[Any], where: str) -> list[Any]:
        """The records, each object with ``_account`` added (other records as they are).

        Raises:
            MalformedResponseError: a record already has an ``_account`` key of its own.
        """
        tag = {"id": self.id, "client_key": self.client_key}
        tagged = []
        for record in records:
            if isinstance(record, dict):
                if ACCOUNT_KEY in record:
                    raise MalformedResponseError(
                        f"{where}: a record has a key `{ACCOUNT_KEY}` of its own, which the "
                        "fan-out reserves for the account; nothing was overwritten"
                    )
                record = record | {ACCOUNT_KEY: tag}
            tagged.append(record)
        return tagged

    def place(self, fan_out: FanOutSpec, request: requests.Request) -> None:
        """Put the account id where the spec says: the path, a parameter or the body."""
        if ACCOUNT_PLACEHOLDER in request.url:
            request.url = request.url.replace(ACCOUNT_PLACEHOLDER, quote(self.id, safe=""))
        elif fan_out.param is not None:
            request.params = (request.params or {}) | {fan_out.param: self.id}
        elif fan_out.body_path is not None and isinstance(request.json, dict):
            request.json = copy.deepcopy(request.json)
            set_body_path(request.json, fan_out.body_path, self.id)


def accounts_of(source: RestSource, http: HttpSession, guard: PageGuard) -> list[Account | None]:
    """The accounts to call, in order, each once; ``[None]`` for a source without fan-out."""
    fan_out = source.fan_out
    if fan_out is None:
        return [None]
    if fan_out.accounts is not None:
        return [Account(a.id, a.client_key) for a in fan_out.accounts]
    assert fan_out.parent is not None  # exactly one of the two, checked at load
    parent = fan_out.parent
    url = source.base_url.rstrip("/") + "/" + parent.path.lstrip("/")
    # The parent is an endpoint of the same API: the source's headers go with it too.
    request = requests.Request("GET", url, headers=dict(source.headers), params=dict(parent.params))
    id_of = compile_safe_getter(parent.id_path)
    client_of = compile_safe_getter(parent.client_key_path) if parent.client_key_path else None
    found: dict[str, Account] = {}
    for where, records in follow(http, request, parent.paginator, parent.records_path, guard):
        for position, record in enumerate(records, start=1):
            account_id = _text(id_of(record))
            if account_id is None:
                raise MalformedResponseError(
                    f"Provider `{guard.provider_key}`: {where}: fan_out.parent.id_path "
                    f"`{parent.id_path}` found no account id in record {position}"
                )
            # The spec's own map first: it is the owner's word on whose an account is.
            client = fan_out.client_keys.get(account_id)
            client = client or (_text(client_of(record)) if client_of else None)
            found.setdefault(account_id, Account(account_id, client))
    return list(found.values())


def _text(value: Any) -> str | None:
    if type(value) is int:
        return str(value)
    if type(value) is str and value.strip():
        return value.strip()
    return None
