"""The demo's five clients and their ordinary weeks: how many requests each sends on each day.

An ordinary week is a function of the client and the week alone (never of the day the demo is
made for), so the requests of a past day are the same whenever the demo is generated. The story
of the last weeks (a drop, a broken form, a client who went quiet) is laid over these weeks by
``demo.py``, relative to the day the demo is made for.
"""

import datetime as dt
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Europe/Berlin")  # the spec's timezone: weeks start on Monday 00:00 in Berlin
WEEKS = 8  # finished weeks before the current one


@dataclass(frozen=True)
class Client:
    slug: str
    code: str  # in the client's request ids
    service: str  # what most of its requests ask for
    won: float  # chance that a request is marked won when it is exported
    budget: tuple[int, int]  # EUR
    week: tuple[int, ...]  # requests per weekday, Monday first, in an ordinary week
    wobble_day: int | None = None  # a weekday with one request more or less, week by week


ACME = Client("acme-roofing", "ACME", "roof repair", 0.26, (800, 25000), (3, 2, 2, 2, 2, 1, 1))
NORDLICHT = Client(
    "nordlicht-solar", "NORD", "solar install", 0.2, (6000, 30000), (2, 2, 2, 2, 2, 1, 1), 1
)
CASA = Client("casa-verde", "CASA", "garden design", 0.14, (300, 9000), (2, 1, 2, 1, 1, 1, 0), 2)
KUCHEN = Client(
    "kuchen-kraft", "KUCH", "kitchen remodel", 0.22, (2000, 18000), (2, 2, 1, 2, 1, 1, 1), 0
)
BLUE = Client("blue-harbor-hvac", "BLUE", "hvac service", 0.2, (200, 6000), (0,) * 7)
CLIENTS = (ACME, NORDLICHT, CASA, KUCHEN, BLUE)

# acme-roofing's weeks alternate: 13 requests all with an email, then 10 of which 2 have none.
# Week to week that is a swing of a quarter in the count and 20 points in the email share, and
# neither is beyond chance on so few requests.
ACME_SHORT_WEEK = (2, 2, 2, 1, 1, 1, 1)
ACME_SHORT_WEEK_NO_EMAIL = 2
# blue-harbor-hvac sends 0-2 requests a week, never two empty weeks in a row.
BLUE_COUNTS = (1, 2, 0, 1)


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def local_day(moment: dt.datetime) -> dt.date:
    """The Berlin date of a naive-UTC (as ``clock`` gives it) or aware moment."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(ZONE).date()


def rng_for(*parts: object) -> random.Random:
    # Seeded with a string, random.Random hashes it with SHA-512: the same in every process
    # (unlike hash(), which is salted per process).
    return random.Random("|".join(str(p) for p in parts))


def _week_number(monday: dt.date) -> int:
    return monday.toordinal() // 7


def ordinary_week(client: Client, monday: dt.date) -> list[int]:
    """Requests per weekday of ``client`` in the week starting ``monday``."""
    if client is ACME:
        return list(ACME_SHORT_WEEK if _week_number(monday) % 2 else client.week)
    if client is BLUE:
        counts = [0] * 7
        rng = rng_for(client.slug, monday, "days")
        for day in rng.sample(range(5), BLUE_COUNTS[_week_number(monday) % len(BLUE_COUNTS)]):
            counts[day] += 1
        return counts
    counts = list(client.week)
    if client.wobble_day is not None:
        counts[client.wobble_day] += rng_for(client.slug, monday, "wobble").choice((-1, 0, 1))
    return counts


def without_email(client: Client, monday: dt.date, total: int) -> set[int]:
    """Which of the week's requests (0-based, in time order) leave no email address."""
    rng = rng_for(client.slug, monday, "email")
    if client is ACME:
        missing = ACME_SHORT_WEEK_NO_EMAIL if _week_number(monday) % 2 else 0
    else:
        missing = 1 if total and rng.random() < 0.4 else 0
    return set(rng.sample(range(total), min(missing, total)))


def times_of_day(client: Client, day: dt.date, count: int) -> list[dt.time]:
    """``count`` submission times on ``day``, in order, over working hours (08:00-19:59)."""
    rng = rng_for(client.slug, day, "times", count)
    minutes = sorted(rng.randrange(8 * 60, 20 * 60) for _ in range(count))
    return [dt.time(m // 60, m % 60) for m in minutes]


def at(day: dt.date, time: dt.time) -> dt.datetime:
    """A Berlin wall-clock time as an aware UTC datetime (DST included)."""
    return dt.datetime.combine(day, time, tzinfo=ZONE).astimezone(dt.UTC)
