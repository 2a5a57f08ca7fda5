"""Tell the owner about opened and resolved alerts: a Slack-compatible JSON webhook.

The URL comes from ZARTSALGO_ALERT_WEBHOOK_URL (settings). Messages carry the provider, kind,
severity, owner, the message and the next action: no payload data and no secret. Delivery
retries with urllib3's Retry (429 and 5xx, honouring Retry-After); a notifier that stays down
is logged and never fails a sync.
"""

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.incidents.alerts import AlertEvent

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 5
_ICONS = {"opened": ":rotating_light:", "resolved": ":white_check_mark:"}


def _session() -> "requests.Session":
    # Imported here: every batch and `zartsalgo status` import this module, and only a
    # configured webhook with events to send needs an HTTP client.
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    retry = Retry(
        total=3,
        backoff_factor=0.5,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"POST"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session


def message_for(event: AlertEvent) -> dict[str, object]:
    """The webhook body: Slack's `text`, plus the same facts as fields for other receivers."""
    text = (
        f"{_ICONS.get(event.state, '')} [{event.state}] {event.provider_key} {event.kind} "
        f"({event.severity}) - {event.message}. Next: {event.next_action} Owner: {event.owner}"
    ).strip()
    return {"text": text, "zartsalgo_alert": event.__dict__}


def notify(events: Iterable[AlertEvent]) -> int:
    """Send each event; returns how many were delivered (0 when no webhook is configured)."""
    url = settings.alert_webhook_url()
    events = list(events)
    if not url or not events:
        return 0
    import requests

    delivered = 0
    with _session() as session:
        for event in events:
            try:
                response = session.post(url, json=message_for(event), timeout=TIMEOUT_SECONDS)
            except requests.RequestException as error:
                log.warning("alert webhook unreachable (%s): %s", type(error).__name__, event.kind)
                continue
            if response.ok:
                delivered += 1
            else:
                log.warning("alert webhook answered %s for %s", response.status_code, event.kind)
    return delivered
