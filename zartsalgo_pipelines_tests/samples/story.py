"""The demo's story as facts about requests and failed rows, checked the same way whether they
come from the generator or from the tables after a sync."""

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass

from zartsalgo_pipelines.samples.scenario import at, local_day, week_start

WEEKS = range(9)  # W-0 (the current week) .. W-8
TOLERATED = 0.05  # the shipped spec's tolerated_failure_share
MIN_ROWS = 20  # and its min_rows


@dataclass(frozen=True)
class Request:
    client: str
    submitted: dt.datetime  # aware UTC
    has_email: bool


@dataclass(frozen=True)
class Failure:
    client: str
    day: dt.date | None  # None: the row's date could not be read


def weeks_ago(today: dt.date, day: dt.date) -> int:
    return (week_start(today) - week_start(day)).days // 7


def poisson_p(a: int, b: int) -> float:
    """Two-sided exact test of two Poisson counts (binomial, a of a + b at one half)."""
    n = a + b
    probability = [math.comb(n, k) / 2**n for k in range(n + 1)]
    return min(1.0, sum(p for p in probability if p <= probability[a] * (1 + 1e-9)))


def fisher_p(yes_a: int, no_a: int, yes_b: int, no_b: int) -> float:
    """Two-sided Fisher exact test of two shares."""
    first, second, yes = yes_a + no_a, yes_b + no_b, yes_a + yes_b

    def p(k: int) -> float:
        return math.comb(first, k) * math.comb(second, yes - k) / math.comb(first + second, yes)

    ks = range(max(0, yes - second), min(yes, first) + 1)
    return sum(p(k) for k in ks if p(k) <= p(yes_a) * (1 + 1e-9))


def silent(requests: list[Request], client: str, now: dt.datetime) -> bool:
    """The freshness rule: silent when the time since the newest request exceeds ln(100)/rate,
    the rate taken over the last 56 days."""
    times = [r.submitted for r in requests if r.client == client]
    rate = sum(1 for t in times if now - t <= dt.timedelta(days=56)) / 56
    return rate == 0 or (now - max(times)) / dt.timedelta(days=1) > math.log(100) / rate


def check_story(today: dt.date, requests: list[Request], failures: list[Failure]) -> None:
    """Assert every client's story for the demo made for ``today``."""
    counts = Counter((r.client, weeks_ago(today, local_day(r.submitted))) for r in requests)
    emails = Counter(
        (r.client, weeks_ago(today, local_day(r.submitted))) for r in requests if r.has_email
    )
    days = [local_day(r.submitted) for r in requests]
    assert min(days) == week_start(today) - dt.timedelta(weeks=8)
    assert max(days) == today - dt.timedelta(days=1)

    acme = [counts["acme-roofing", k] for k in (1, 2)]
    emailed = [emails["acme-roofing", k] for k in (1, 2)]
    assert all(10 <= counts["acme-roofing", k] <= 13 for k in range(1, 9)), counts
    assert acme[0] != acme[1] and poisson_p(*acme) > 0.05, acme  # a visible swing, by chance
    assert emailed[0] / acme[0] != emailed[1] / acme[1]
    assert fisher_p(emailed[0], acme[0] - emailed[0], emailed[1], acme[1] - emailed[1]) > 0.05

    nordlicht = [counts["nordlicht-solar", k] for k in (1, 2)]
    assert nordlicht[0] == 2 and nordlicht[1] >= 11 and poisson_p(*nordlicht) < 0.05, nordlicht

    failed = Counter((f.client, weeks_ago(today, f.day)) for f in failures if f.day is not None)
    assert counts["casa-verde", 1] == 6 and failed["casa-verde", 1] in (4, 5), failed
    for (client, k), number in failed.items():
        share = number / max(MIN_ROWS, counts[client, k] + number)
        assert (share > TOLERATED) == ((client, k) == ("casa-verde", 1)), (client, k, number)
    assert len(failures) - sum(failed.values()) <= 1  # the one unparseable date

    newest = max(local_day(r.submitted) for r in requests if r.client == "kuchen-kraft")
    assert newest == today - dt.timedelta(days=9)
    end_of_today = at(today + dt.timedelta(days=1), dt.time(0))
    for client in {r.client for r in requests}:
        assert silent(requests, client, end_of_today) == (client == "kuchen-kraft"), client

    assert all(counts["blue-harbor-hvac", k] <= 2 for k in WEEKS)
    assert {r.client for r in requests} == {
        "acme-roofing",
        "nordlicht-solar",
        "casa-verde",
        "kuchen-kraft",
        "blue-harbor-hvac",
    }
