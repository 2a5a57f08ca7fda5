"""The demo export for a given day: nine weeks of website quote requests up to the day before.

Weeks W-8..W-1 are finished, W0 (the week holding ``today``, Monday first, Europe/Berlin) runs
up to yesterday. Each client has a story in the last weeks, laid over its ordinary weeks
(``scenario.py``):

- ``acme-roofing``: 10-13 a week, steady; W-1 differs from W-2 in count and email share, within
  chance.
- ``nordlicht-solar``: 11-13 a week; W-1 drops to 2, which is beyond chance.
- ``casa-verde``: 7-9 a week; in W-1 its form was broken from Monday to Wednesday: 4-5 rows
  with an email the field map refuses, then 6 good requests.
- ``kuchen-kraft``: 9-11 a week, nothing in the last 8 days: its newest request is from 9 days
  before ``today``.
- ``blue-harbor-hvac``: 0-2 a week.

Around them the usual mix: a few exact duplicates and later status updates, test submissions
every 23 days (ignored by the spec), and one failing row of each other kind (missing id,
unparseable date, negative budget, unknown status) in one older client-week each.

A request's content and id (client code, Berlin date and time, index in the day) depend only on
its client and its day; the story only leaves requests out or adds failing rows. So the demo
made a day later, in the same week, sends every line again and adds the new day's (and
kuchen-kraft's day that leaves its silent stretch); when a new week starts, the story moves on a
week. The same day always gives byte-identical output.
"""

import contextlib
import dataclasses
import datetime as dt
import json
import os
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from zartsalgo_pipelines.samples import scenario
from zartsalgo_pipelines.samples.quote_request import MESSAGES, NAMES, SAMPLE_PATH, broken
from zartsalgo_pipelines.samples.scenario import CASA, CLIENTS, KUCHEN, NORDLICHT, Client

# The day the README's example is for, and the one every test and the benchmark generate: never
# the real today, so what they see does not move with the calendar.
EXAMPLE_DAY = dt.date(2026, 12, 7)
QUIET_DAYS = 9  # kuchen-kraft's newest request is this many days before today
CASA_GOOD_ROWS = 6  # casa-verde's requests in W-1 after its form was mended
DUPLICATE_SHARE = 0.025
UPDATE_SHARE = 0.05
TEST_EVERY_DAYS = 23
# One failing row of each other kind, in one older client-week each (relative week, kind).
OLDER_FAILURES = {
    "acme-roofing": (5, "missing_id"),
    "nordlicht-solar": (3, "negative_budget"),
    "kuchen-kraft": (4, "unknown_status"),
    "blue-harbor-hvac": (6, "bad_date"),
}
OTHER_CURRENCIES = ("USD", "GBP", "CHF")
Outcome = Literal["created", "updated", "duplicate", "ignored", "failed"]


@dataclasses.dataclass(frozen=True)
class DemoRow:
    """One line of the export and what it becomes when synced into an empty database."""

    client: str
    day: dt.date  # the Berlin date the request was submitted (for an update: the original's)
    outcome: Outcome
    emitted_at: dt.datetime  # aware UTC; the export is in this order
    record: dict[str, Any]
    failure: str | None = None  # the kind of a failed row


def demo_rows(today: dt.date) -> list[DemoRow]:
    """Every line of the demo export for ``today``, in export order."""
    current = scenario.week_start(today)
    rows: list[DemoRow] = []
    for client in CLIENTS:
        for weeks_ago in range(scenario.WEEKS, -1, -1):
            monday = current - dt.timedelta(weeks=weeks_ago)
            requests = _story(client, weeks_ago, today, _ordinary_requests(client, monday, today))
            for request in requests:
                rows.extend(_with_echoes(request, today))
            rows.extend(_failing_rows(client, weeks_ago, monday, today))
    rows.extend(_test_submissions(current - dt.timedelta(weeks=scenario.WEEKS), today))
    return sorted(rows, key=lambda r: (r.emitted_at, r.client, json.dumps(r.record)))


def demo_records(today: dt.date) -> Iterator[dict[str, Any]]:
    """The provider records of the demo export for ``today``, in export order."""
    for row in demo_rows(today):
        yield row.record


def write_demo(today: dt.date, path: Path = SAMPLE_PATH) -> int:
    """Write the demo export for ``today`` to ``path`` (atomically); returns the line count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(record, ensure_ascii=False) for record in demo_records(today)]
    _replace(path, "".join(line + "\n" for line in lines).encode("utf-8"))
    return len(lines)


@contextlib.contextmanager
def demo_export(today: dt.date, path: Path = SAMPLE_PATH) -> Iterator[Path]:
    """The demo export for ``today`` at ``path`` while the block runs; whatever was there
    before (a demo made for another day, or nothing) is put back afterwards."""
    before = path.read_bytes() if path.exists() else None
    write_demo(today, path)
    try:
        yield path
    finally:
        if before is None:
            path.unlink(missing_ok=True)
        else:
            _replace(path, before)


def _replace(path: Path, content: bytes) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_bytes(content)
    os.replace(partial, path)  # a sync reading the folder never sees half a file


def _story(
    client: Client, weeks_ago: int, today: dt.date, requests: list[DemoRow]
) -> list[DemoRow]:
    if client is NORDLICHT and weeks_ago == 1:
        return requests[-2:]  # the drop: only the weekend's two requests came in
    if client is CASA and weeks_ago == 1:
        return requests[-CASA_GOOD_ROWS:]  # after the form was mended (see _failing_rows)
    if client is KUCHEN:
        last = today - dt.timedelta(days=QUIET_DAYS)
        return [r for r in requests if r.day <= last]
    return requests


def _ordinary_requests(client: Client, monday: dt.date, today: dt.date) -> list[DemoRow]:
    counts = scenario.ordinary_week(client, monday)
    no_email = scenario.without_email(client, monday, sum(counts))
    requests: list[DemoRow] = []
    for offset, count in enumerate(counts):
        day = monday + dt.timedelta(days=offset)
        if day >= today:
            break
        for index, time in enumerate(scenario.times_of_day(client, day, count)):
            record = _request(client, day, time, index, len(requests) not in no_email)
            requests.append(DemoRow(client.slug, day, "created", scenario.at(day, time), record))
    return requests


def _request(
    client: Client, day: dt.date, time: dt.time, index: int, email: bool
) -> dict[str, Any]:
    rng = scenario.rng_for(client.slug, day, index, "request")
    name = rng.choice(NAMES)
    first = unicodedata.normalize("NFKD", name.split()[0]).encode("ascii", "ignore").decode()
    stamp = _iso(scenario.at(day, time))
    service = client.service if rng.random() < 0.85 else rng.choice(("repair", "maintenance"))
    currency = "EUR" if rng.random() < 0.95 else rng.choice(OTHER_CURRENCIES)
    roll = rng.random()
    status = "won" if roll < client.won else rng.choice(("new", "in_review", "quoted", "lost"))
    return {
        "id": f"QR-{client.code}-{day:%Y%m%d}-{time:%H%M}-{index}",
        "client": {"slug": client.slug},
        "submitted_at": stamp,
        "updated_at": stamp,
        "status": status,
        "contact": {
            "name": name,
            "email": f"{first.lower() or 'kunde'}.{client.code.lower()}{day:%m%d}{index}"
            "@example.org"
            if email
            else None,
            "phone": f"+49 30 {rng.randrange(1000000, 9999999)}",
        },
        "answers": [
            {"field": {"ref": "service"}, "type": "choice", "text": service},
            {"field": {"ref": "callback"}, "type": "boolean", "boolean": rng.random() < 0.5},
        ],
        "budget": {"amount": round(rng.uniform(*client.budget), 2), "currency": currency},
        "postal_code": f"{rng.randrange(10000, 99999)}",
        "message": rng.choice(MESSAGES),
        "page": {
            "url": f"https://www.example.org/angebot/{service.replace(' ', '-')}",
            "utm_source": rng.choice(("google", "newsletter", "direct")),
        },
        "form_version": "v3",
        "is_test": False,
    }


def _with_echoes(request: DemoRow, today: dt.date) -> Iterator[DemoRow]:
    """The request, an exact duplicate of it now and then (the export sent it twice), and a
    later status update once the update's day is over."""
    yield request
    rng = scenario.rng_for(request.record["id"], "echoes")
    if rng.random() < DUPLICATE_SHARE:
        again = request.emitted_at + dt.timedelta(minutes=47)
        yield dataclasses.replace(request, outcome="duplicate", emitted_at=again)
    if rng.random() < UPDATE_SHARE:
        later = scenario.at(
            request.day + dt.timedelta(days=rng.randint(1, 6)),
            dt.time(rng.randrange(9, 18), rng.randrange(60)),
        )
        if scenario.local_day(later) < today:
            record = json.loads(json.dumps(request.record))
            record["status"] = rng.choice(("quoted", "won", "won", "lost"))
            record["updated_at"] = _iso(later)
            yield DemoRow(request.client, request.day, "updated", later, record)


def _failing_rows(
    client: Client, weeks_ago: int, monday: dt.date, today: dt.date
) -> Iterator[DemoRow]:
    kinds: list[tuple[int, str]] = []  # (weekday, kind)
    if client is CASA and weeks_ago == 1:
        # Broken from Monday until it was mended on Wednesday.
        extra = scenario.rng_for(client.slug, monday, "broken form").randint(0, 1)
        kinds = [(n // 2, "bad_email") for n in range(4 + extra)]
    elif OLDER_FAILURES.get(client.slug, (None,))[0] == weeks_ago:
        kinds = [(2, OLDER_FAILURES[client.slug][1])]  # a Wednesday
    for number, (weekday, kind) in enumerate(kinds):
        day = monday + dt.timedelta(days=weekday)
        if day >= today:
            continue
        time = dt.time(10 + 2 * number, 5 * number)
        record = broken(_request(client, day, time, 90 + number, email=True), kind)
        yield DemoRow(client.slug, day, "failed", scenario.at(day, time), record, kind)


def _test_submissions(first: dt.date, today: dt.date) -> Iterator[DemoRow]:
    day = first
    while day < today:
        if day.toordinal() % TEST_EVERY_DAYS == 0:
            time = dt.time(7, 30)
            record = _request(CLIENTS[0], day, time, 99, email=True)
            record |= {"id": f"QR-TEST-{day:%Y%m%d}", "is_test": True}
            record["contact"]["email"] = "qa@zartsalgo.test"
            yield DemoRow(CLIENTS[0].slug, day, "ignored", scenario.at(day, time), record)
        day += dt.timedelta(days=1)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
