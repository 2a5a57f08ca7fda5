"""Fan-out of a `rest_api` source: the same request once per client account, each account
mapped to a ZartsAlgo client key (dlt's `resolve` of a parent resource).

The accounts are listed in the spec or read from a parent endpoint. Every record of an account
reaches the field map with a reserved ``_account`` object: ``{"id": ..., "client_key": ...}``,
so ``source: _account.client_key`` fills the record's client key.
"""

from typing import Annotated

import pydantic

from zartsalgo_pipelines.specs.paginators import BodyPath, Paginator, ParamValue, SinglePage
from zartsalgo_pipelines.specs.types import Frozen, JmesPath

ACCOUNT_KEY = "_account"  # the reserved key each record of a fan-out gets
ACCOUNT_PLACEHOLDER = "{account_id}"  # in `source.path`: where the account id goes
ClientKey = Annotated[str, pydantic.StringConstraints(min_length=1, max_length=64)]
AccountId = Annotated[str, pydantic.StringConstraints(min_length=1, max_length=191)]


class FanOutAccount(Frozen):
    """One account of the provider and the client it belongs to."""

    id: AccountId = pydantic.Field(description="The provider's account id, as its API takes it.")
    client_key: ClientKey = pydantic.Field(description="The ZartsAlgo client it belongs to.")

    @pydantic.field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        # YAML reads `id: 1234567890` as a number; an id is the text the API takes.
        return str(value) if type(value) is int else value


class FanOutParent(Frozen):
    """An endpoint listing the accounts (a manager account's clients), read before the others
    on the same base URL, auth, budget and retries."""

    path: str = pydantic.Field(description="Appended to base_url, e.g. /v1/customers.")
    params: dict[str, ParamValue] = {}
    records_path: JmesPath = pydantic.Field("@", description="JMESPath to the list of accounts.")
    paginator: Paginator = SinglePage()
    id_path: JmesPath = pydantic.Field(description="JMESPath to the account id in each record.")
    client_key_path: JmesPath | None = pydantic.Field(
        None, description="JMESPath to the client key in each record (e.g. a label)."
    )


class FanOutSpec(Frozen):
    """Call the source once per account; where the account id goes in each request."""

    accounts: list[FanOutAccount] | None = pydantic.Field(
        None, min_length=1, description="The accounts, listed here ..."
    )
    parent: FanOutParent | None = pydantic.Field(
        None, description="... or read from a parent endpoint (exactly one of the two)."
    )
    client_keys: dict[AccountId, ClientKey] = pydantic.Field(
        {},
        description="Account id -> client key, for parent accounts (before client_key_path). "
        "An account with neither has no client key: its rows fail `client_key` as required.",
    )
    param: str | None = pydantic.Field(None, description="Query parameter of the account id ...")
    body_path: BodyPath | None = pydantic.Field(
        None, description=f"... or where in the body (or `{ACCOUNT_PLACEHOLDER}` in the path)."
    )

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> "FanOutSpec":
        if (self.accounts is None) == (self.parent is None):
            raise ValueError("fan_out needs exactly one of accounts, parent")
        ids = [a.id for a in self.accounts or []]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"fan_out.accounts lists account {repeated[0]} twice")
        if self.param is not None and self.body_path is not None:
            raise ValueError("the account id goes in one place: param, body_path or the path")
        if self.client_keys and self.accounts is not None:
            raise ValueError("client_keys is for parent accounts; listed accounts name theirs")
        return self
