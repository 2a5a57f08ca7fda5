"""The README's examples and the documentation's screenshots, made from the demo of one day.

    python3 dev.py docs     # rewrites the examples in README.md and docs/images/*.png

The demo export for 2026-12-07 is synced into a scratch SQLite database (the functions the
assets call, in order), with the paused Google Ads provider's sample export loaded as the demo
loads it (``ZARTSALGO_DEMO_SAMPLES=1``), the proof is rendered as of that day at noon, and each
example is the text the `zartsalgo` command prints for it. `test_docs_examples.py` renders them
the same way and checks README.md holds them, so an example can never drift from what the code
says.
"""

import datetime as dt
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from zartsalgo_pipelines.settings import REPOSITORY_DIR

DAY = "2026-12-07T12:00:00Z"
README = REPOSITORY_DIR / "README.md"
IMAGES = REPOSITORY_DIR / "docs" / "images"
_BLOCK = re.compile(
    r"(<!-- example: (?P<name>[a-z_]+) -->\n)(?P<body>.*?)(<!-- /example -->)", re.S
)


@contextmanager
def demo_day(workdir: Path) -> Iterator[tuple[sa.Engine, list, Path]]:
    """The demo of DAY synced into a scratch database in ``workdir`` and its proof rendered;
    yields the engine, the specs and the preview's index page."""
    from zartsalgo_pipelines.clock import parse_instant
    from zartsalgo_pipelines.factory.portal_assets import next_update
    from zartsalgo_pipelines.pipeline.pending import process_pending
    from zartsalgo_pipelines.pipeline.run import extract_files
    from zartsalgo_pipelines.pipeline.samples import load_sample
    from zartsalgo_pipelines.proof.golive import mark_live
    from zartsalgo_pipelines.proof.impact import refresh_impact
    from zartsalgo_pipelines.proof.metrics import refresh_client_metrics
    from zartsalgo_pipelines.proof.notes import build_notes
    from zartsalgo_pipelines.proof.preview import write_preview
    from zartsalgo_pipelines.proof.refresh import refresh_portal_cards
    from zartsalgo_pipelines.proof.tasks import refresh_tasks
    from zartsalgo_pipelines.samples.ads import write_ads
    from zartsalgo_pipelines.samples.demo import write_demo
    from zartsalgo_pipelines.specs.loading import load_specs
    from zartsalgo_pipelines.storage.engine import create_engine
    from zartsalgo_pipelines.storage.migrate import upgrade_head

    now = parse_instant(DAY)
    names = ("ZARTSALGO_DATA_DIR", "ZARTSALGO_AS_OF", "ZARTSALGO_DEMO_SAMPLES")
    saved = {k: os.environ.get(k) for k in names}
    os.environ |= {
        "ZARTSALGO_DATA_DIR": str(workdir / "data"),
        "ZARTSALGO_AS_OF": DAY,
        "ZARTSALGO_DEMO_SAMPLES": "1",
    }
    url = f"sqlite:///{workdir / 'docs.sqlite'}"
    upgrade_head(url)
    engine = create_engine(url)
    try:
        loaded = load_specs()["quote_request"]
        folder = workdir / "quote_request"
        write_demo(now.date(), folder / "sample" / "quote_requests.jsonl")
        extract_files(engine, loaded.spec, folder)
        process_pending(engine, loaded.spec)
        ads = load_specs()["ads_google"]
        write_ads(now.date(), workdir / "ads_google" / "sample" / "ads_report.jsonl")
        load_sample(engine, ads.spec, workdir / "ads_google")
        specs = [s.spec for s in load_specs().values()]
        with engine.begin() as conn:
            mark_live(conn, loaded.spec, decided_by="docs", now=now)
            mark_live(conn, ads.spec, decided_by="docs", now=now)
            for spec in specs:
                refresh_client_metrics(conn, spec, now)
            refresh_portal_cards(conn, specs, now)
            refresh_impact(conn, specs, next_update)
            build_notes(conn, specs, now)
            refresh_tasks(conn, specs, now)
            index = write_preview(conn, specs, workdir / "preview", next_update, now)
        yield engine, specs, index
    finally:
        engine.dispose()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def examples(engine: sa.Engine) -> dict[str, str]:
    """Each README example's text, as the `zartsalgo` command prints it."""
    from zartsalgo_pipelines.proof.explain import show
    from zartsalgo_pipelines.proof.printed import card_lines
    from zartsalgo_pipelines.storage.proof.tasks import task_rows

    with engine.connect() as conn:
        drop = show(conn, "nordlicht-solar")
        checked = show(conn, "casa-verde")
        quiet = show(conn, "kuchen-kraft")
        steady = show(conn, "acme-roofing")
        tasks = {
            (t["client_key"], t["kind"]): t["message"] for t in task_rows(conn, open_only=True)
        }

    def card(seen: dict, label: str) -> str:
        found = next(c for c in seen["cards"] if c["label"] == label)
        return "\n".join(card_lines(found))

    def note(seen: dict, period: str) -> str:
        return next(n["text"] for n in seen["notes"] if n["period"] == period)

    hidden = next(h for h in checked["hidden"] if h["card"] == "Quote requests received")
    return {
        "ads_spend": card(steady, "Ad spend"),
        "ads_per_request": card(drop, "Cost per quote request"),
        "drop": card(drop, "Quote requests received"),
        "steady": card(steady, "Requests you can answer by email"),
        "quiet": card(quiet, "Quote requests received"),
        "hidden": f"hidden: {hidden['card']} ({hidden['period']}): {hidden['reason']}",
        "note": note(drop, "week of 30 November 2026"),
        "task": tasks[("nordlicht-solar", "declining")],
        "quiet_task": tasks[("kuchen-kraft", "no_new_data")],
    }


def readme_blocks(text: str) -> dict[str, str]:
    """The examples README.md holds now, by name (the text inside each fenced block)."""
    return {m["name"]: _unfence(m["body"]) for m in _BLOCK.finditer(text)}


def _unfence(body: str) -> str:
    lines = body.strip("\n").splitlines()
    if lines and lines[0].startswith("```"):
        lines = lines[1:-1]
    return "\n".join(lines)


def rewrite_readme(found: dict[str, str]) -> None:
    text = README.read_text(encoding="utf-8")

    def replace(match: re.Match[str]) -> str:
        return f"{match[1]}```\n{found[match['name']]}\n```\n{match[4]}"

    README.write_text(_BLOCK.sub(replace, text), encoding="utf-8")


def screenshots(index: Path) -> list[Path]:
    """The client page with the drop, and the owner's work queue, in Debian's chromium."""
    from playwright.sync_api import sync_playwright

    from zartsalgo_pipelines_tests.browser import CHROMIUM_ARGS, chromium_path

    executable = chromium_path()
    if executable is None:
        raise SystemExit(
            "chromium not found: install Debian's `chromium` or set ZARTSALGO_CHROMIUM"
        )
    shots = {
        "portal_preview.png": "client-nordlicht-solar.html",
        "owner_work_queue.png": "provider-quote_request.html",
    }
    IMAGES.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        for image, name in shots.items():
            page.goto(index.parent.joinpath(name).as_uri())
            page.screenshot(path=str(IMAGES / image), full_page=True)
        browser.close()
    return [IMAGES / image for image in shots]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, demo_day(Path(folder)) as (engine, _, index):
        rewrite_readme(examples(engine))
        for image in screenshots(index):
            print(f"wrote {image.relative_to(REPOSITORY_DIR)}")
    print(f"rewrote the examples in README.md for {dt.date.fromisoformat(DAY[:10])}")


if __name__ == "__main__":
    sys.exit(main())
