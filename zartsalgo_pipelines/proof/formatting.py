"""Every number, amount, date and period a client reads, formatted in one place for the client's
locale (Babel, CLDR data): plural forms per unit ("1 request", "5 requests"), percent points for
shares, one sign and never two, money with its currency, dates in the locale's long form.
Never `NaN`, `Infinity`, `None` or four decimals."""

import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal, format_percent

from zartsalgo_pipelines.specs.units import Unit

NO_VALUE = "-"
PERCENT = Unit("percent", "percent")


@functools.lru_cache(maxsize=16)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


@functools.lru_cache(maxsize=16)
def _percent_pattern(name: str) -> str:
    """The locale's own percent pattern (its spacing and sign) with one decimal."""
    pattern = _locale(name).percent_formats[None].pattern
    return pattern.replace("#,##0", "#,##0.0", 1).split(";")[0]


def _round(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _sign(shown: Decimal) -> str:
    return "+" if shown > 0 else "-" if shown < 0 else ""


def _finite(value: Decimal | None) -> bool:
    return value is not None and value.is_finite()


@dataclass(frozen=True)
class Formatter:
    """Formats for one locale (a CLDR name such as `en_GB` or `de_DE`)."""

    locale: str = "en_GB"

    def number(self, value: Decimal, places: int = 0) -> str:
        pattern = "#,##0" + ("." + "0" * places if places else "")
        return format_decimal(_round(value, places), pattern, locale=self.locale)

    def count(self, records: int | Decimal, unit: Unit) -> str:
        """`1 request`, `5 requests`, `1,204 requests` (the unit's plural form for the number)."""
        amount = Decimal(records)
        places = 0 if amount == amount.to_integral_value() else 1
        shown = _round(amount, places)
        category = _locale(unit.plural_locale or self.locale).plural_form(shown)
        return f"{self.number(shown, places)} {unit.word(category)}"

    def percent(self, value: Decimal) -> str:
        """A share given in percent (75 for 75 %): `75.0%` in en_GB, `75,0 %` in de_DE."""
        fraction = _round(value, 1) / 100
        return format_percent(fraction, _percent_pattern(self.locale), locale=self.locale)

    def money(self, value: Decimal, currency: str) -> str:
        return format_currency(_round(value, 2), currency, locale=self.locale)

    def points(self, value: Decimal) -> str:
        """A difference of two percentages: `8.9 points` (always positive; the caller words
        the direction)."""
        shown = _round(abs(value), 1)
        word = "point" if _locale(self.locale).plural_form(shown) == "one" else "points"
        return f"{self.number(shown, 1)} {word}"

    def value(self, value: Decimal | None, unit: Unit) -> str:
        """``11 requests``, ``75.0%``, ``€1,200.50``; a dash for no value."""
        if value is None or not _finite(value):
            return NO_VALUE
        if unit.kind == "percent":
            return self.percent(value)
        if unit.kind == "currency":
            return self.money(value, unit.name)
        return self.count(value, unit)

    def magnitude(self, value: Decimal | None, unit: Unit) -> str:
        """The size of a change, without a sign: `2 requests`, `8.9 points`, `€40.00`."""
        if value is None or not _finite(value):
            return NO_VALUE
        if unit.kind == "percent":
            return self.points(value)
        return self.value(abs(value), unit)

    def signed(self, value: Decimal | None, unit: Unit) -> str:
        """A change with exactly one sign: `+2 requests`, `-8.9 points`, `+€40.00`; one that
        rounds to nothing has none (never `-0.0 points`)."""
        if value is None or not _finite(value):
            return NO_VALUE
        places = {"percent": 1, "currency": 2}.get(unit.kind, 1)
        return _sign(_round(value, places)) + self.magnitude(value, unit)

    def relative(self, change_pct: Decimal | None) -> str:
        """A relative change, unsigned: `22.2%` (the sentence says up or down)."""
        if change_pct is None or not _finite(change_pct):
            return NO_VALUE
        return self.percent(abs(change_pct))

    def change(self, change: Decimal | None, change_pct: Decimal | None, unit: Unit) -> str:
        """`+2 requests (+22.2%)`; a share changes in points only (a relative change of a
        percentage reads as a second, different percentage)."""
        text = self.signed(change, unit)
        if text == NO_VALUE or unit.kind == "percent" or not _finite(change_pct):
            return text
        assert change_pct is not None
        return f"{text} ({_sign(_round(change_pct, 1))}{self.relative(change_pct)})"

    def date(self, day: dt.date) -> str:
        """`30 November 2026` (en_GB), `30. November 2026` (de_DE)."""
        return format_date(day, "long", locale=self.locale)

    def month(self, day: dt.date) -> str:
        """`November 2026`."""
        return format_date(day, "LLLL y", locale=self.locale)

    def moment(self, moment: dt.datetime | None, zone: str) -> str:
        """A stored (naive UTC) moment in ``zone``: `7 Dec 2026, 09:15 (Europe/Berlin)`."""
        if moment is None:
            return NO_VALUE
        aware = moment.replace(tzinfo=dt.UTC).astimezone(zoneinfo.ZoneInfo(zone))
        day = format_date(aware.date(), "medium", locale=self.locale)
        return f"{day}, {format_time(aware, 'HH:mm', locale=self.locale)} ({zone})"
