"""Value types every part of the provider spec shares: identifiers, environment variable names,
owners, JMESPath expressions and regular expressions, each checked where it is declared."""

import re
from typing import Annotated

import jmespath
import jmespath.exceptions
import pydantic

Identifier = Annotated[str, pydantic.StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
# Only the NAME of a variable ever appears in a spec; its value is read at run time.
ENV_VAR_NAME_PATTERN = r"^[A-Z][A-Z0-9_]{0,127}$"
EnvVarName = Annotated[str, pydantic.StringConstraints(pattern=ENV_VAR_NAME_PATTERN)]
# Dagster validates owners the same way: an email address or `team:<name>`.
Owner = Annotated[
    str, pydantic.StringConstraints(pattern=r"^(team:[A-Za-z0-9_.-]+|[^@\s]+@[^@\s]+\.[^@\s]+)$")
]


class Frozen(pydantic.BaseModel):
    """Spec sections: unknown keys are refused (a typo must not be silently ignored)."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


def _check_jmespath(expression: str) -> str:
    try:
        jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as error:
        raise ValueError(f"not a valid JMESPath expression ({error})") from None
    return expression


JmesPath = Annotated[str, pydantic.AfterValidator(_check_jmespath)]


def _check_regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as error:
        raise ValueError(f"not a valid regular expression ({error})") from None
    return pattern


Regex = Annotated[str, pydantic.AfterValidator(_check_regex)]


def check_timezone(name: str) -> str:
    """An IANA time zone name (schedules, metric periods), or a clear refusal."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone `{name}` (use an IANA name, e.g. Europe/Berlin)"
        ) from None
    return name


def check_locale(name: str) -> str:
    """A CLDR locale Babel knows (`en_GB`, `de_DE`), or a clear refusal."""
    from babel import localedata  # loaded only when a spec declares a locale

    if not localedata.exists(name):
        raise ValueError(f"unknown locale `{name}` (use a CLDR name, e.g. en_GB or de_DE)")
    return name
