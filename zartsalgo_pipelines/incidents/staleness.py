"""When a provider's sync is stale, said once: the stale-sync sensor, `zartsalgo status`, the
portal's visibility and its watch all ask here. (Whether *data* still arrives is another
question, answered by ``incidents/freshness.py``.)"""

import datetime as dt


def sync_is_stale(last_success: dt.datetime | None, now: dt.datetime, window_hours: float) -> bool:
    """No successful sync yet, or the last one longer ago than the provider's window."""
    return last_success is None or now - last_success > dt.timedelta(hours=window_hours)


def fresh_after(now: dt.datetime, window_hours: float) -> dt.datetime:
    """The oldest moment still inside the window."""
    return now - dt.timedelta(hours=window_hours)


def age_text(delta: dt.timedelta) -> str:
    """`5.2 h`, `3.1 days`."""
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"
