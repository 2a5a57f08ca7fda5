"""The auth part of a spec: the model, its scopes and the environment variables of its secrets."""

import re
from typing import Annotated, Literal

import pydantic

from zartsalgo_pipelines.specs.types import EnvVarName, Frozen, Identifier

AuthModel = Literal[
    "none", "bearer", "api_key", "http_basic", "oauth2_client_credentials", "oauth2_refresh_token"
]
# Models that fetch an access token from `token_url`.
OAUTH2_MODELS = frozenset({"oauth2_client_credentials", "oauth2_refresh_token"})


# Credential roles each auth model needs (the names dlt's `auth` uses).
AUTH_ROLES: dict[str, tuple[str, ...]] = {
    "none": (),
    "bearer": ("token",),
    "api_key": ("api_key",),
    "http_basic": ("username", "password"),
    "oauth2_client_credentials": ("client_id", "client_secret"),
    # The refresh token's variable holds the first one; a provider that rotates them gets each
    # new one kept under the data folder (docs/intake.md, "Refresh tokens").
    "oauth2_refresh_token": ("client_id", "client_secret", "refresh_token"),
}


# An HTTP header name (RFC 9110 token characters that header names use in practice).
HEADER_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]*$"
HeaderName = Annotated[str, pydantic.StringConstraints(pattern=HEADER_NAME_PATTERN)]


class AuthSpec(Frozen):
    """How the provider authenticates; secrets only by environment variable name."""

    model: AuthModel = "none"
    scopes: list[str] = []
    credentials: dict[Identifier, EnvVarName] = pydantic.Field(
        {}, description="Credential role -> NAME of the environment variable holding it."
    )
    api_key_name: str | None = pydantic.Field(
        None, description="api_key: the header or query parameter that carries the key."
    )
    api_key_location: Literal["header", "query"] = "header"
    token_url: Annotated[str, pydantic.StringConstraints(pattern=r"^https?://\S+$")] | None = (
        pydantic.Field(None, description="oauth2_*: the token endpoint.")
    )
    secret_headers: dict[HeaderName, EnvVarName] = pydantic.Field(
        {},
        description="Further headers that carry secrets, beside the model's own (Google Ads' "
        "developer-token): header -> NAME of the environment variable holding the value. Sent "
        "with every API request, never to token_url; masked like every credential.",
    )

    @pydantic.model_validator(mode="after")
    def _roles(self) -> "AuthSpec":
        missing = [r for r in AUTH_ROLES[self.model] if r not in self.credentials]
        if missing:
            raise ValueError(
                f"auth model {self.model} needs credentials {missing} "
                "(role -> environment variable name)"
            )
        if self.model == "api_key" and not self.api_key_name:
            raise ValueError("auth model api_key needs api_key_name (the header or parameter)")
        header = self.model == "api_key" and self.api_key_location == "header"
        if header and not re.match(HEADER_NAME_PATTERN, self.api_key_name or ""):
            # Refused at load: http.client would refuse it at the first request.
            raise ValueError(
                f"api_key_name `{self.api_key_name}` is not a header name (letters, digits, -)"
            )
        if self.model in OAUTH2_MODELS and not self.token_url:
            raise ValueError(f"auth model {self.model} needs token_url")
        self._secret_headers_apart()
        return self

    def _secret_headers_apart(self) -> None:
        # Header names are case-insensitive: two spellings of one name, or the model's own
        # header, would leave one value silently overwritten on the wire.
        own = self.model_header
        seen: set[str] = set()
        for name in self.secret_headers:
            if name.lower() in seen or name.lower() == own:
                whose = "its model's own header" if name.lower() == own else "named twice"
                raise ValueError(f"auth.secret_headers `{name}` is {whose} (names ignore case)")
            seen.add(name.lower())

    @property
    def model_header(self) -> str | None:
        """The header the model itself sets (lower case), if any."""
        if self.model == "api_key":
            in_header = self.api_key_location == "header" and self.api_key_name
            return self.api_key_name.lower() if in_header and self.api_key_name else None
        return None if self.model == "none" else "authorization"
