"""The REST source's registries (paginator type -> class, auth model -> builder): each holds
exactly the names the spec accepts, and an unknown name is refused with the valid ones listed."""

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, get_args

import pytest
import requests

from zartsalgo_pipelines.sources.rest import Redactor, UnknownNameError
from zartsalgo_pipelines.sources.rest.auth import AUTH_BUILDERS, AuthContext, build_auth
from zartsalgo_pipelines.sources.rest.paginators import PAGINATORS, create_paginator
from zartsalgo_pipelines.specs.models import AuthModel, AuthSpec
from zartsalgo_pipelines.specs.rest import Paginator


def _paginator(name: str) -> Any:
    return create_paginator(SimpleNamespace(type=name))


def _auth(name: str) -> Any:
    context = AuthContext(requests.Session(), 1.0, "p", Redactor([], []), lambda: None)
    return build_auth(AuthSpec.model_construct(model=name), {}, context)


UNKNOWN = [
    pytest.param(
        _paginator,
        "next_token",
        "unknown paginator type 'next_token'; valid names: single_page, page_number, offset, "
        "cursor, json_link, header_link",
        id="paginator",
    ),
    pytest.param(
        _auth,
        "digest",
        "unknown auth model 'digest'; valid names: none, bearer, api_key, http_basic, "
        "oauth2_client_credentials, oauth2_refresh_token",
        id="auth",
    ),
]


@pytest.mark.parametrize(("build", "name", "message"), UNKNOWN)
def test_an_unknown_name_is_refused_with_the_valid_names(
    build: Callable[[str], Any], name: str, message: str
) -> None:
    with pytest.raises(UnknownNameError) as refused:
        build(name)
    assert str(refused.value) == message
    assert refused.value.retryable is False


def test_the_registries_hold_exactly_the_names_the_spec_accepts() -> None:
    union = get_args(Paginator)[0]  # Annotated[A | B | ..., discriminator]
    paginator_types = {get_args(cls.model_fields["type"].annotation)[0] for cls in get_args(union)}
    assert set(PAGINATORS) == paginator_types
    assert set(AUTH_BUILDERS) == set(get_args(AuthModel))
