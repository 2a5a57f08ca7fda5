"""Scenario: the static portal preview of an ordinary week, opened in a real headless chromium.
Four clients: one whose requests dropped from 12 to 2 (beyond chance: reported, with the odds),
one whose email share moved within chance (steady, "within the usual range"), one whose newest
week has too many failed rows (the page shows the week before and says the newer one is being
checked), and one who went quiet (a `no_new_data` caveat and the incident's statement). Each
card shows the numbers stored in the database, read through the portal view. The owner's page
is a work queue: open incidents with what clients are told, tasks by due date, dead letters by
reason with the replay command, hidden cards with why. No raw payload value is on any page."""

import datetime as dt

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.pipeline.run import ingest_rows, open_direct_batch
from zartsalgo_pipelines.proof.cards import headline, load_cards
from zartsalgo_pipelines.proof.impact import refresh_impact
from zartsalgo_pipelines.proof.notes import build_notes
from zartsalgo_pipelines.proof.preview import client_page_name, write_preview
from zartsalgo_pipelines.proof.tasks import refresh_tasks
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.proof.scan import payload_rows
from zartsalgo_pipelines_tests.browser import artifacts_dir
from zartsalgo_pipelines_tests.helpers import DROP, quote
from zartsalgo_pipelines_tests.proof.portal_helpers import (
    NOW,
    W2,
    W3,
    build,
    load_failures,
    portal_spec,
)

W1 = W2 - dt.timedelta(days=7)
NEXT_UPDATE = dt.datetime(2026, 11, 25, 6, 15)


def _week(client: str, start: dt.date, n: int, without_email: int = 0) -> list[dict]:
    return [
        quote(
            0,
            submitted_at=f"{start + dt.timedelta(days=i % 5)}T{8 + i % 9:02d}:00:00Z",
            client__slug=client,
            **({"contact__email": DROP} if i < without_email else {}),
        )
        for i in range(n)
    ]


def ordinary_week(engine: sa.Engine, spec: ProviderSpec) -> None:
    records = (
        _week("acme-roofing", W1, 12)
        + _week("acme-roofing", W2, 12)
        + _week("acme-roofing", W3, 2)
        + _week("nordlicht-solar", W2, 6)
        + _week("nordlicht-solar", W3, 7, without_email=2)
        + _week("casa-verde", W2, 8)
        + _week("casa-verde", W3, 8)
        + _week("kuchen-kraft", W1, 10)
        + [r for r in _week("kuchen-kraft", W2, 10) if r["submitted_at"] < "2026-11-12"]
        + _week("nordlicht-solar", W3 + dt.timedelta(days=7), 2)  # the week NOW is in
    )
    for number, record in enumerate(records, start=1):
        record["id"] = f"QR-P{number:05d}"
        record["contact"]["name"] = f"Person {record['id']}"
    rows = [SourceRow("week.jsonl", i, r) for i, r in enumerate(records, start=1)]
    ingest_rows(engine, spec, open_direct_batch(engine, spec, "file", "week.jsonl"), rows)
    load_failures(engine, spec, "casa-verde", W3, 4)


@pytest.fixture
def preview(engine, make_spec, tmp_path):
    spec = portal_spec(make_spec)
    ordinary_week(engine, spec)
    build(engine, spec)
    with engine.begin() as conn:
        refresh_impact(conn, [spec], lambda s: NEXT_UPDATE)
        build_notes(conn, [spec], NOW)
        refresh_tasks(conn, [spec], NOW)
        index = write_preview(conn, [spec], tmp_path / "preview", lambda s: NEXT_UPDATE, NOW)
    return spec, index


def test_client_pages_tell_an_ordinary_week_honestly(engine, preview, page) -> None:
    _, index = preview
    with engine.connect() as conn:
        shown = load_cards(conn, shown_only=True)

    page.goto(index.parent.joinpath(client_page_name("acme-roofing")).as_uri())
    drop = page.locator('article[data-metric="requests_received"]')
    expected = headline(
        [c for c in shown if c.client_key == "acme-roofing" and c.metric_key == "requests_received"]
    )
    assert drop.get_attribute("data-period") == str(W3)
    assert drop.locator(".current").inner_text() == expected.current_display == "2 requests"
    assert drop.locator(".baseline").inner_text() == expected.baseline_display == "12 requests"
    assert drop.locator(".change").inner_text() == expected.change_display
    assert "status-declining" in (drop.get_attribute("class") or "")
    assert drop.evaluate("e => getComputedStyle(e).borderTopColor") == "rgb(179, 38, 30)"
    assert drop.locator(".comparison").inner_text() == (
        "2 requests against 12 requests (the week before); chance alone gives a difference this "
        "large less than 1 time in 20"
    )
    assert drop.locator("svg.chart rect").count() == 3
    assert "fewer than the week before" in page.locator(".note-text").inner_text()
    page.screenshot(path=str(artifacts_dir() / "preview_acme-roofing.png"), full_page=True)

    page.goto(index.parent.joinpath(client_page_name("nordlicht-solar")).as_uri())
    share = page.locator('article[data-metric="email_share"]')
    assert share.locator(".current").inner_text() == "71.4%"
    assert share.locator(".status").inner_text() == "Within the usual range of the week before"
    assert "within the usual range" in share.locator(".comparison").inner_text()

    page.goto(index.parent.joinpath(client_page_name("casa-verde")).as_uri())
    checked = page.locator('article[data-metric="requests_received"]')
    assert checked.get_attribute("data-period") == str(W2)  # the newest safe week
    assert checked.locator(".checking").inner_text() == (
        "The week of 16 November 2026 is being checked; it shows here once its numbers are safe."
    )

    page.goto(index.parent.joinpath(client_page_name("kuchen-kraft")).as_uri())
    quiet = page.locator('article[data-metric="requests_received"]')
    assert (
        "No new requests have arrived since 11 November 2026"
        in quiet.locator(".caveat").inner_text()
    )
    assert (
        page.locator(".incident")
        .inner_text()
        .startswith(
            "Your quote requests received and requests you can answer by email numbers for "
        )
    )
    page.screenshot(path=str(artifacts_dir() / "preview_kuchen-kraft.png"), full_page=True)


def test_the_owner_page_is_a_work_queue(engine, preview, page) -> None:
    spec, index = preview
    page.goto(index.parent.joinpath(f"provider-{spec.key}.html").as_uri())
    text = page.locator("body").inner_text()
    assert "Live in the portal since" in text
    incidents = page.locator("section.incidents")
    assert "no_new_data" in incidents.inner_text() and "kuchen-kraft" in incidents.inner_text()
    assert "Your quote requests received" in incidents.inner_text()  # what clients are told
    tasks = page.locator("section.tasks").inner_text()
    assert "acme-roofing: Quote requests received in the week of 16 November 2026 fell" in tasks
    assert "casa-verde: 2 cards are hidden from the client (" in tasks
    letters = page.locator("section.dead-letters").inner_text()
    replay = (
        "zartsalgo replay quote_request --reason-contains 'contact_email (Email): email format'"
    )
    assert replay in letters  # the field in the reason: one check of two fields is not mixed up
    hidden = page.locator('tr[data-visibility="hidden"]')
    assert hidden.count() >= 2 and "casa-verde" in hidden.first.inner_text()
    assert "field map" in hidden.first.inner_text()
    page.screenshot(path=str(artifacts_dir() / "preview_owner.png"), full_page=True)


def test_no_raw_payload_value_reaches_a_page(engine, preview, page) -> None:
    spec, index = preview
    with engine.connect() as conn:
        payloads = [p for _, p in payload_rows(conn, spec.key, 0, 10**9)]
        ids = [e for e, _ in payload_rows(conn, spec.key, 0, 10**9)]
    texts = []
    for name in index.parent.glob("*.html"):
        page.goto(name.as_uri())
        texts.append(page.locator("body").inner_text())
    everything = "\n".join(texts)
    people = {p["contact"]["name"] for p in payloads} | {
        p["contact"].get("email") for p in payloads if p["contact"].get("email")
    }
    for value in people | set(ids) | {"Bitte um Rückruf", "+49 30 1"}:
        assert value not in everything, "a raw payload value reached the preview"


def test_client_keys_that_differ_only_in_case_get_pages_of_their_own() -> None:
    names = {client_page_name(c) for c in ("acme-roofing", "ACME-ROOFING", "Acme Roofing")}
    assert len(names) == 3 and "client-acme-roofing.html" in names
