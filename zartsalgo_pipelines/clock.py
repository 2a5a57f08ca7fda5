"""The one clock: timestamps are stored as naive UTC everywhere (both databases, every table).

Two readings of it: ``utcnow`` is the machine's time, for everything that happens (batches,
heartbeats, leases, deliveries); ``proof_now`` is the moment the proof is rendered for, which a
data owner may set (``ZARTSALGO_AS_OF``, ``--as-of``) to see what a client saw or will see on a
given day. Only the proof reads ``proof_now``: a batch never pretends to run at another time.
"""

import datetime as dt

from zartsalgo_pipelines import settings

# The moments the proof may be rendered for: periods a year before and after stay valid dates.
EARLIEST = dt.datetime(1970, 1, 1)
LATEST = dt.datetime(2999, 12, 31, 23, 59, 59)


def utcnow() -> dt.datetime:
    """Now, in UTC, without tzinfo (as the tables store it)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def proof_now() -> dt.datetime:
    """The moment the proof is rendered for: ``ZARTSALGO_AS_OF`` when set, else now."""
    raw = settings.as_of_text()
    if raw is None:
        return utcnow()
    try:
        return parse_instant(raw)
    except ValueError as error:
        raise ValueError(f"{settings.AS_OF_ENV}: {error}") from None


def parse_instant(text: str) -> dt.datetime:
    """``2026-12-07T12:00:00Z``, ``2026-12-07T13:00+01:00`` or a date (noon UTC that day) as
    naive UTC; a time without an offset is UTC. ValueError names what it accepts."""
    value = text.strip()
    try:
        if len(value) == 10:
            moment = dt.datetime.combine(dt.date.fromisoformat(value), dt.time(12))
        else:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise ValueError(
            f"not an instant: {text!r}; use an ISO 8601 date or date and time, e.g. "
            "2026-12-07 or 2026-12-07T18:00:00Z"
        ) from None
    if not EARLIEST <= moment <= LATEST:
        raise ValueError(
            f"{text!r} is outside the years the proof can be rendered for "
            f"({EARLIEST.year}-{LATEST.year})"
        )
    return moment
