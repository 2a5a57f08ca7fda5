"""A metric's unit: a share in percent, money in a currency, or a counted thing with its plural
forms, so a card says "1 request" and "5 requests" in the client's language."""

import re
from dataclasses import dataclass, field
from typing import Annotated, Literal

import pydantic

from zartsalgo_pipelines.specs.types import Frozen

UnitKind = Literal["percent", "currency", "count"]
# A unit as a spec writes it in one word: `percent`, `EUR`, `requests`.
UnitWord = Annotated[str, pydantic.StringConstraints(min_length=1, max_length=40)]
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class UnitForms(Frozen):
    """What is counted, per CLDR plural category; `other` is required."""

    zero: str | None = None
    one: str | None = None
    two: str | None = None
    few: str | None = None
    many: str | None = None
    other: str = pydantic.Field(min_length=1, max_length=40)


@dataclass(frozen=True)
class Unit:
    kind: UnitKind
    name: str  # percent, the currency code, or the plural word (stored beside values)
    forms: dict[str, str] = field(default_factory=dict)  # plural category -> word
    # Whose plural rules pick the form: English for forms derived from an English plural (a
    # French "0 request" would otherwise follow French rules); None: the client's locale.
    plural_locale: str | None = None

    def word(self, category: str) -> str:
        """The counted word for a CLDR plural category (``other`` when not declared)."""
        return self.forms.get(category) or self.name


def english_singular(plural: str) -> str:
    """`requests` -> `request`, `enquiries` -> `enquiry`; other words as they are."""
    if plural.endswith("ies") and len(plural) > 3:
        return plural[:-3] + "y"
    if plural.endswith("s") and not plural.endswith("ss"):
        return plural[:-1]
    return plural


def _known_currency(code: str) -> bool:
    from babel.numbers import list_currencies  # the CLDR list; loaded only for a 3-letter unit

    return code in list_currencies()


def unit_of(declared: "str | UnitForms") -> Unit:
    """The unit a spec declares: `percent`, an ISO 4217 code, a plural word or its forms."""
    if isinstance(declared, UnitForms):
        forms = {k: v for k, v in declared.model_dump().items() if v}
        return Unit("count", declared.other, forms)
    if declared == "percent":
        return Unit("percent", declared)
    if _CURRENCY.match(declared) and _known_currency(declared):
        return Unit("currency", declared)
    forms = {"one": english_singular(declared), "other": declared}
    return Unit("count", declared, forms, plural_locale="en")
