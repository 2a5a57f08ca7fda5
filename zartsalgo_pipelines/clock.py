"""The one clock: timestamps are stored as naive UTC everywhere (both databases, every table)."""

import datetime as dt


def utcnow() -> dt.datetime:
    """Now, in UTC, without tzinfo (as the tables store it)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
