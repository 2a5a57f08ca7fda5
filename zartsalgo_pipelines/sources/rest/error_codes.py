"""Answers whose JSON body, not their HTTP status, says what went wrong (``source.error_codes``):
Meta's Graph API answers throttling with HTTP 400 and `error.code` 17, an expired token with 400
and code 190. Which declared rule an answer matches, if any."""

from collections.abc import Sequence
from typing import Literal

import requests

from zartsalgo_pipelines.jsonpaths import ExpressionFailure, compile_safe_getter
from zartsalgo_pipelines.sources import jsontext
from zartsalgo_pipelines.specs.rest import ErrorCodeRule

Meaning = Literal["rate_limited", "auth_failed"]


def meaning_of(rules: Sequence[ErrorCodeRule], response: requests.Response) -> Meaning | None:
    """What the first rule matching ``response`` (its status, then the code at its path) says
    the answer means; None when no rule matches or the body is not JSON."""
    candidates = [r for r in rules if r.status == response.status_code]
    if not candidates:
        return None
    try:
        body = jsontext.loads(response.content)
    except (ValueError, RecursionError):  # not JSON (or too deep to read): no rule applies
        return None
    for rule in candidates:
        code = compile_safe_getter(rule.path)(body)
        if code is None or isinstance(code, ExpressionFailure | dict | list):
            continue
        if str(code) in {str(v) for v in rule.values}:
            return rule.means
    return None
