"""Turning a failed definitions load into one message that names the spec problem."""

import pydantic


class ProviderSpecError(Exception):
    """A provider spec (defs.yaml) was refused; the message names file, field path and value."""


def explain_load_error(error: BaseException) -> BaseException:
    """The first pydantic validation error in ``error``'s chain as a ProviderSpecError.

    Dagster's own exception shows only the component tree; the file, line, field path, bad
    value and expected values sit in a chained pydantic error, which this surfaces.
    """
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, pydantic.ValidationError):
            return ProviderSpecError(f"Provider spec refused:\n{cause}")
        cause = cause.__cause__ or cause.__context__
    return error
