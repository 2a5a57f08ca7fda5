"""Scenario: the static portal preview, opened in a real headless chromium: each client page
shows the headline cards with the numbers stored in the database (read through the portal
view), status colours, next actions, caveats, an inline SVG chart and the report note; no raw
payload value is on any page; a hidden card never reaches a client page, while the provider's
owner page lists it with its reason. A screenshot is written for the data owner."""

import sqlalchemy as sa

from zartsalgo_pipelines.proof.notes import build_notes
from zartsalgo_pipelines.proof.preview import client_page_name, headline, write_preview
from zartsalgo_pipelines.storage.proof.cards import card_rows
from zartsalgo_pipelines.storage.proof.scan import payload_rows
from zartsalgo_pipelines_tests.browser import artifacts_dir
from zartsalgo_pipelines_tests.proof.portal_helpers import (
    NOW,
    STANDARD,
    W3,
    build,
    load,
    portal_spec,
)


def test_client_pages_match_the_database_and_hide_hidden_cards(
    engine, make_spec, page, tmp_path
) -> None:
    spec = portal_spec(make_spec)
    load(engine, spec, STANDARD)
    build(engine, spec)
    with engine.begin() as conn:
        # casa-verde's email share is hidden by a data problem only for that card.
        conn.execute(
            sa.text(
                "UPDATE portal_cards SET visibility = 'hidden', visibility_reason = 'data_problem' "
                "WHERE client_key = 'casa-verde' AND metric_key = 'email_share'"
            )
        )
        build_notes(conn, NOW)
        index = write_preview(conn, [spec], tmp_path / "preview")
        shown = card_rows(conn, client_key="acme-roofing", shown_only=True)
        payloads = [p for _, p in payload_rows(conn, spec.key, 0, 10**9)]
        ids = [e for e, _ in payload_rows(conn, spec.key, 0, 10**9)]

    page.goto(index.parent.joinpath(client_page_name("acme-roofing")).as_uri())
    for metric in ("requests_received", "email_share"):
        expected = headline([c for c in shown if c["metric_key"] == metric])
        card = page.locator(f'article[data-metric="{metric}"]')
        assert card.count() == 1
        assert card.locator(".current").inner_text() == expected["current_display"]
        assert card.locator(".baseline").inner_text() == expected["baseline_display"]
        assert card.locator(".change").inner_text() == expected["change_display"]
        assert card.locator(".action").inner_text() == expected["next_action"]
        assert card.get_attribute("data-period") == str(W3)
        assert card.locator("svg.chart rect").count() >= 1
    declining = page.locator('article[data-metric="requests_received"]')
    assert "status-declining" in (declining.get_attribute("class") or "")
    assert declining.evaluate("e => getComputedStyle(e).borderTopColor") == "rgb(179, 38, 30)"
    assert "Late records" in declining.locator(".caveat").inner_text()
    assert "Quote requests received: 5 requests, 4 fewer" in page.locator(".note-text").inner_text()
    page.screenshot(path=str(artifacts_dir() / "portal_preview_acme-roofing.png"), full_page=True)

    page.goto(index.parent.joinpath(client_page_name("casa-verde")).as_uri())
    assert page.locator('article[data-metric="email_share"]').count() == 0
    assert page.locator('article[data-metric="requests_received"]').count() == 1

    page.goto(index.parent.joinpath(f"provider-{spec.key}.html").as_uri())
    hidden = page.locator('tr[data-visibility="hidden"]')
    assert hidden.count() == 1 and "field map" in hidden.inner_text()

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
