"""The root of the project's exceptions.

Every error the project raises on purpose derives from ``ZartsalgoError``. Callers decide
whether to try again by the class-level ``retryable`` flag, not by listing exception types by
hand: a provider that is down or rate limiting is worth another run later, a refused credential
or a malformed answer is not until someone changes something.
"""

from typing import ClassVar


class ZartsalgoError(Exception):
    """The base of every project error; ``retryable`` says whether a later attempt may succeed."""

    retryable: ClassVar[bool] = False


class UnknownNameError(ZartsalgoError, ValueError):
    """A registry was asked for a name it does not have; the message lists the valid names."""

    retryable: ClassVar[bool] = False

    def __init__(self, what: str, name: object, valid: list[str]) -> None:
        super().__init__(f"unknown {what} {name!r}; valid names: {', '.join(valid)}")
        self.name, self.valid = name, valid


class TooLongError(ZartsalgoError, ValueError):
    """What a person typed (who, why, a note) does not fit its column: refused whole, never
    cut, and nothing is written."""

    retryable: ClassVar[bool] = False
