"""The owner's page of one provider: a work queue, most urgent first. Its state (paused, live in
the portal or not), the last sync and the last new record, open incidents with what clients are
told, dead letters grouped by reason with the command that replays them, tasks by due date,
and the cards clients cannot see, with why, newest first."""

import datetime as dt
import shlex
from collections.abc import Callable

import sqlalchemy as sa

from zartsalgo_pipelines.incidents.freshness import freshness
from zartsalgo_pipelines.incidents.staleness import age_text
from zartsalgo_pipelines.proof.cards import load_cards
from zartsalgo_pipelines.proof.formatting import Formatter
from zartsalgo_pipelines.proof.html import e, page, section, table
from zartsalgo_pipelines.proof.visibility import HIDDEN_REASONS
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.alerts import open_rows
from zartsalgo_pipelines.storage.import_batches import latest_batch, review
from zartsalgo_pipelines.storage.proof.golive import go_live_history
from zartsalgo_pipelines.storage.proof.tasks import task_rows
from zartsalgo_pipelines.storage.queries import dead_letter_summary, last_successful_sync


def _state(conn: sa.Connection, spec: ProviderSpec, words: Formatter) -> str:
    if spec.status != "connected":
        variables = ", ".join(sorted(spec.auth.credentials.values())) or "its credentials"
        return (
            f'<p class="state">{e(spec.status.capitalize())} in its spec: not synced. To connect: '
            f"set {e(variables)}, run <code>zartsalgo check-connection {e(spec.key)}</code>, "
            f"then set <code>status: connected</code> in its defs.yaml.</p>"
        )
    history = go_live_history(conn, spec.key)
    if not history or history[-1]["action"] != "live":
        return (
            f'<p class="state">Not live in the portal: its cards stay hidden until '
            f"<code>zartsalgo portal go-live {e(spec.key)} --by NAME</code> after a reviewed "
            "sync.</p>"
        )
    last = history[-1]
    return (
        '<p class="state">Live in the portal since '
        f"{e(words.moment(last['decided_at'], spec.timezone))}"
        f" by {e(last['decided_by'])} (reviewed batch {e(last['reviewed_batch_id'])}).</p>"
    )


def _sync(conn: sa.Connection, spec: ProviderSpec, words: Formatter, now: dt.datetime) -> str:
    zone = spec.timezone
    last = last_successful_sync(conn, spec.key)
    batch_id = latest_batch(conn, spec.key)
    rows = [
        [
            "last successful sync",
            e(words.moment(last, zone))
            + (f" ({e(age_text(now - last))} ago)" if last and last <= now else ""),
        ]
    ]
    if batch_id is not None:
        r = review(conn, batch_id)
        rows.append(
            [
                "latest batch",
                e(
                    f"{r.batch_id} ({r.source_kind}, {r.status}): {r.rows_total} rows = "
                    f"{r.rows_created} created, {r.rows_updated} updated, {r.rows_failed} failed, "
                    f"{r.rows_duplicate} duplicate, {r.rows_ignored} ignored"
                ),
            ]
        )
    fresh = freshness(conn, spec, now)
    if fresh is not None:
        newest = fresh.provider.newest
        rows.append(["newest record (its own time)", e(words.moment(newest, zone))])
        rows.append(
            ["last new or changed record stored", e(words.moment(fresh.last_stored_at, zone))]
        )
        for silence in fresh.silent_clients:
            rows.append(
                [
                    f"silent: {e(silence.client_key)}",
                    e(
                        f"nothing new since {words.moment(silence.newest, zone)}; usually at "
                        f"most {age_text(silence.usual_gap) if silence.usual_gap else '-'}"
                    ),
                ]
            )
    return section("sync", "Sync and data", table(["", ""], rows))


def _incidents(conn: sa.Connection, spec: ProviderSpec, words: Formatter) -> str:
    rows = [
        [
            e(f"{r['kind']} ({r['severity']})"),
            e(words.moment(r["opened_at"], spec.timezone)),
            e(r["message"]),
            e(r["next_action"]),
            e(r["client_impact"] or "-"),
        ]
        for r in open_rows(conn, spec.key)
    ]
    if not rows:
        return section("incidents", "Open incidents", "<p>None.</p>")
    headers = ["incident", "opened", "what", "next", "what clients are told"]
    return section("incidents", f"Open incidents ({len(rows)})", table(headers, rows))


def _dead_letters(conn: sa.Connection, spec: ProviderSpec) -> str:
    summary = dead_letter_summary(conn, spec.key)
    rows = [
        [
            e(g["field"]),
            e(g["check"]),
            e(g["rows"]),
            "<code>"
            + e(f"zartsalgo replay {spec.key} --reason-contains {shlex.quote(_reason(spec, g))}")
            + "</code>",
        ]
        for g in summary["by_reason"]
    ]
    if not rows:
        return section("dead-letters", "Dead letters", "<p>None open.</p>")
    headers = ["field", "check", "open", "replay after the fix"]
    return section(
        "dead-letters", f"Dead letters ({summary['open']} open, by reason)", table(headers, rows)
    )


def _reason(spec: ProviderSpec, group: dict) -> str:
    """The start of these dead letters' reason (`contact_email (Email): email format`), which
    `--reason-contains` matches: the field names which of two same checks is meant."""
    entry = spec.field(group["field"])
    if entry is None:
        return str(group["check"])
    return f"{group['field']} ({entry.label or group['field']}): {group['check']}"


def _tasks(conn: sa.Connection, spec: ProviderSpec, words: Formatter, now: dt.datetime) -> str:
    own = sorted(
        (t for t in task_rows(conn, open_only=True) if t["provider_key"] == spec.key),
        key=lambda t: t["due_at"],
    )
    rows, marks = [], []
    for t in own:
        late = t["due_at"] < now
        rows.append(
            [
                e(words.moment(t["due_at"], spec.timezone)) + (" overdue" if late else ""),
                e(t["client_key"]),
                e(t["message"]),
            ]
        )
        marks.append(' class="overdue"' if late else "")
    if not rows:
        return section("tasks", "Tasks", "<p>None open.</p>")
    return section("tasks", f"Tasks ({len(rows)})", table(["due", "client", "task"], rows, marks))


def _hidden(conn: sa.Connection, spec: ProviderSpec, link: Callable[[str], str]) -> str:
    cards = load_cards(conn, provider_key=spec.key)
    if not cards:
        return section("hidden-cards", "Hidden cards", "<p>No cards yet.</p>")
    hidden = [c for c in cards if not c.shown]
    hidden.sort(key=lambda c: c.period_start, reverse=True)
    rows = [
        [
            f'<a href="{e(link(c.client_key))}">{e(c.client_key)}</a>',
            e(c.label),
            e(c.period_label),
            e(HIDDEN_REASONS.get(c.visibility_reason, c.visibility_reason)),
        ]
        for c in hidden
    ]
    if not rows:
        return section("hidden-cards", "Hidden cards", "<p>None: clients see every card.</p>")
    marks = [' class="hidden" data-visibility="hidden"'] * len(rows)
    headers = ["client", "card", "period", "why"]
    return section(
        "hidden-cards", f"Hidden cards ({len(rows)}, newest first)", table(headers, rows, marks)
    )


def provider_page(
    conn: sa.Connection, spec: ProviderSpec, now: dt.datetime, link: Callable[[str], str]
) -> str:
    """The owner's work queue for ``spec``'s provider."""
    words = Formatter(spec.locale)
    body = _state(conn, spec, words)
    if spec.status == "connected" or latest_batch(conn, spec.key) is not None:
        body += (
            _incidents(conn, spec, words)
            + _tasks(conn, spec, words, now)
            + _dead_letters(conn, spec)
            + _hidden(conn, spec, link)
            + _sync(conn, spec, words, now)
        )
    return page(f"{spec.display_name}: work queue for {spec.owner}", body)
