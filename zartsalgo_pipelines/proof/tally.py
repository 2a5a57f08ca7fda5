"""One client's tally of one metric in one period: what records (or facts) it holds, for the
metric's value and the test that compares it with a baseline."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class Tally:
    """One client's records in one period."""

    records: int = 0
    present: int = 0
    matching: int = 0
    total: Decimal = Decimal(0)
    squares: Decimal = Decimal(0)
    values: int = 0
    batch_ids: list[int] = field(default_factory=list)
    first_day: dt.date | None = None  # the earliest local day holding one of its records
    # A ratio (proof/fact_tallies.py): the numerator is ``total``; what it is divided by, and
    # where a test fits, the whole count and the exposure it is compared at.
    denominator: Decimal = Decimal(0)
    count: int | None = None
    count_exposure: Decimal | None = None
    per_day: bool = False  # a sum of facts: ``values`` days, ``squares`` daily totals squared
