"""Website quote-request exports: the demo's (``demo.py``) and the benchmark's, at any size.

``python -m zartsalgo_pipelines.samples`` (``__main__.py``) writes the demo export
(``defs/quote_request/sample/quote_requests.jsonl``, not tracked by git) for today in Berlin, or
for the day ``ZARTSALGO_AS_OF`` names; ``--today 2026-12-07`` for a given day. ``--rows N``
writes the benchmark's synthetic mix instead (``generate_records``), deterministically: per
1,000 rows ~30 fail the field map (missing id, bad email, unparseable date, negative budget,
unknown status, in turn), ~20 exact duplicates, ~20 later updates of earlier ids, ~5 test
submissions the spec ignores, the rest valid and new.
"""

import datetime as dt
import json
import random
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from zartsalgo_pipelines.settings import DEFS_DIR

SAMPLE_PATH = DEFS_DIR / "quote_request" / "sample" / "quote_requests.jsonl"
ANCHOR = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)  # fixed, so the output never drifts

CLIENTS = ["acme-roofing", "nordlicht-solar", "casa-verde", "kuchen-kraft", "blue-harbor-hvac"]
SERVICES = ["roof repair", "solar install", "kitchen remodel", "hvac service", "garden design"]
STATUSES = ["new", "in_review", "quoted", "won", "lost"]
NAMES = [
    "Zoë Müller",
    "Łukasz Nowak",
    "François Dupré",
    "Søren Kjær",
    "José Peña",
    "Çağla Yıldız",
    "Anna Schmidt",
    "Björn Ångström",
    "Chloé Martin",
    "Dmitri Ivanov",
    "佐藤 花子",
    "Mia Jones",
]
MESSAGES = [
    "Bitte um Rückruf, Dachrinne undicht.",
    "Need a quote before winter ❄️",
    "Devis pour une cuisine équipée, merci !",
    "Solar på taget – hvad koster det?",
    "Presupuesto para jardín pequeño 🌿",
    "Klimaanlage macht Geräusche.",
    "",
]
FAILURES = ["missing_id", "bad_email", "bad_date", "negative_budget", "unknown_status"]


def _record(rng: random.Random, number: int) -> dict[str, Any]:
    name = rng.choice(NAMES)
    submitted = ANCHOR - dt.timedelta(minutes=rng.randrange(0, 8 * 7 * 24 * 60))
    local = name.split()[0].lower().encode("ascii", "ignore").decode() or "kunde"
    service = rng.choice(SERVICES)
    return {
        "id": f"QR-{number:07d}",
        "client": {"slug": rng.choice(CLIENTS)},
        "submitted_at": submitted.isoformat().replace("+00:00", "Z"),
        "updated_at": submitted.isoformat().replace("+00:00", "Z"),
        "status": rng.choice(STATUSES[:3]),
        "contact": {
            "name": name,
            "email": f"{local}.{number}@example.org" if rng.random() > 0.08 else None,
            "phone": f"+49 30 {rng.randrange(1000000, 9999999)}",
        },
        "answers": [
            {"field": {"ref": "service"}, "type": "choice", "text": service},
            {"field": {"ref": "callback"}, "type": "boolean", "boolean": rng.random() > 0.5},
        ],
        "budget": {"amount": round(rng.uniform(200, 25000), 2), "currency": "EUR"},
        "postal_code": f"{rng.randrange(10000, 99999)}",
        "message": rng.choice(MESSAGES),
        "page": {
            "url": f"https://www.example.org/angebot/{service.replace(' ', '-')}",
            "utm_source": rng.choice(["google", "newsletter", "direct"]),
        },
        "form_version": "v3",
        "is_test": False,
    }


def broken(record: dict[str, Any], kind: str) -> dict[str, Any]:
    if kind == "missing_id":
        record.pop("id")
    elif kind == "bad_email":
        record["contact"]["email"] = "not-an-email"
    elif kind == "bad_date":
        record["submitted_at"] = "31/02/2026 25:61"
    elif kind == "negative_budget":
        record["budget"]["amount"] = -150.0
    else:
        record["status"] = "archived_by_crm"
    return record


def _updated(earlier: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    record = json.loads(json.dumps(earlier))
    record["status"] = rng.choice(STATUSES[2:])
    stamp = dt.datetime.fromisoformat(record["updated_at"].replace("Z", "+00:00"))
    record["updated_at"] = (stamp + dt.timedelta(days=2)).isoformat().replace("+00:00", "Z")
    return record


def generate_records(rows: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """Yield ``rows`` provider records deterministically; memory stays flat at any size."""
    rng = random.Random(seed)
    recent: deque[dict[str, Any]] = deque(maxlen=500)  # duplicates/updates copy from here
    failures = 0
    for position in range(rows):
        roll = rng.random()
        if recent and roll < 0.02:
            yield json.loads(json.dumps(rng.choice(recent)))
            continue
        if recent and roll < 0.04:
            updated = _updated(rng.choice(recent), rng)
            recent.append(updated)
            yield updated
            continue
        record = _record(rng, position + 1)
        if roll < 0.045:
            record["is_test"] = True
            record["contact"]["email"] = "qa@zartsalgo.test"
            yield record
        elif roll < 0.075:
            failures += 1
            yield broken(record, FAILURES[failures % len(FAILURES)])
        else:
            recent.append(record)
            yield record


def write_jsonl(records: Iterator[dict[str, Any]], path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count
