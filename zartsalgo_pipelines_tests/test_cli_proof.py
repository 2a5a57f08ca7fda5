"""Scenario: `zartsalgo portal go-live`, `zartsalgo portal refresh`, `zartsalgo proof show`,
`zartsalgo proof explain` and `zartsalgo portal preview` run as a user runs them (the real
console script in a real process) against the test databases: the go-live gate refuses a
provider without a successful batch, then records who; show prints what the client sees (JSON
agrees with the database); explain names the records, batches and baseline; unknown names
exit non-zero with one clear line. `--as-of` renders what a client saw on another day without
changing anything stored."""

import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from zartsalgo_pipelines.pipeline.run import ingest_rows, open_direct_batch
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines_tests.helpers import quote

ZARTSALGO = Path(sys.executable).parent / "zartsalgo"


def run(db_url: str, data_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"ZARTSALGO_DATABASE_URL": db_url, "ZARTSALGO_DATA_DIR": str(data_dir)}
    env |= extra
    return subprocess.run(
        [str(ZARTSALGO), *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_go_live_refresh_show_explain_preview(db_url, engine, data_dir, make_spec) -> None:
    refused = run(db_url, data_dir, "portal", "go-live", "quote_request", "--by", "ana")
    assert refused.returncode == 1 and "no successful batch" in refused.stderr
    spec = make_spec()
    records = [quote(n, submitted_at=f"2026-11-{9 + n % 7:02d}T10:00:00Z") for n in range(1, 30)]
    rows = [SourceRow("c.jsonl", i, r) for i, r in enumerate(records, start=1)]
    ingest_rows(engine, spec, open_direct_batch(engine, spec, "file", "c.jsonl"), rows)

    live = run(db_url, data_dir, "portal", "go-live", "quote_request", "--by", "ana@example.org")
    assert live.returncode == 0, live.stderr
    assert "quote_request: live by ana@example.org" in live.stdout
    refreshed = run(db_url, data_dir, "portal", "refresh")
    assert refreshed.returncode == 0, refreshed.stderr

    shown = run(
        db_url, data_dir, "proof", "show", "acme-roofing", "--period", "2026-11-12", "--json"
    )
    assert shown.returncode == 0, shown.stderr
    seen = json.loads(shown.stdout)
    with engine.connect() as conn:
        stored = conn.execute(
            sa.text(
                "SELECT current_display FROM portal_cards WHERE client_key = 'acme-roofing' "
                "AND metric_key = 'requests_received' AND period_start = '2026-11-09'"
            )
        ).scalar_one()
    card = next(c for c in seen["cards"] if c["label"] == "Quote requests received")
    assert card["current_display"] == stored == "29 requests"
    assert any("29 requests" in n["text"] for n in seen["notes"])
    text = run(db_url, data_dir, "proof", "show", "acme-roofing", "--period", "2026-11-12")
    assert "Quote requests received (week of 9 November 2026): 29 requests" in text.stdout

    explained = run(
        db_url,
        data_dir,
        "proof",
        "explain",
        "acme-roofing",
        "requests_received",
        "2026-11-12",
        "--json",
    )
    assert explained.returncode == 0, explained.stderr
    found = json.loads(explained.stdout)
    assert found["records_counted"] == "29 requests"
    assert sum(b["records"] for b in found["batches"]) == 29
    assert found["baseline_periods"][0]["period"] == "week of 2 November 2026"
    assert found["visibility"] in {"visible", "caveated"}
    words = run(
        db_url, data_dir, "proof", "explain", "acme-roofing", "average_budget", "2026-11-12"
    )
    assert words.returncode == 0, words.stderr
    lines = words.stdout.splitlines()
    assert lines[0] == "Average budget per request for acme-roofing, November 2026 (Europe/Berlin)"
    assert lines[1].startswith("  average of Budget, where Currency is EUR: €1,200.50 from 29 ")
    for raw in ("None", ".0000", "{", "UTC"):  # no raw values, JSON or UTC under a local heading
        assert raw not in words.stdout, raw
    assert "(Europe/Berlin)" in next(line for line in lines if "finished" in line)

    preview = run(db_url, data_dir, "portal", "preview")
    assert preview.returncode == 0 and (data_dir / "portal_preview" / "index.html").is_file()

    unknown = run(db_url, data_dir, "proof", "explain", "acme-roofing", "nope", "2026-11-12")
    assert unknown.returncode == 1 and "unknown metric `nope`" in unknown.stderr
    nobody = run(db_url, data_dir, "proof", "show", "nobody")
    assert nobody.returncode == 1 and "no cards for client `nobody`" in nobody.stderr


def test_preview_serve_answers_on_localhost_and_withdraw_hides(
    db_url, engine, data_dir, make_spec
) -> None:
    import requests

    spec = make_spec()
    rows = [SourceRow("s.jsonl", 1, quote(1, submitted_at="2026-11-10T10:00:00Z"))]
    ingest_rows(engine, spec, open_direct_batch(engine, spec, "file", "s.jsonl"), rows)
    assert (
        run(db_url, data_dir, "portal", "go-live", "quote_request", "--by", "ana").returncode == 0
    )
    assert run(db_url, data_dir, "portal", "refresh").returncode == 0
    env = os.environ | {"ZARTSALGO_DATABASE_URL": db_url, "ZARTSALGO_DATA_DIR": str(data_dir)}
    server = subprocess.Popen(
        [str(ZARTSALGO), "portal", "preview", "--serve", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert server.stdout is not None
        lines = [server.stdout.readline(), server.stdout.readline()]
        url = lines[1].split()[2]
        page = requests.get(url + "client-acme-roofing.html", timeout=10)
        assert page.status_code == 200 and "Quote requests received" in page.text
    finally:
        server.terminate()
        server.wait(timeout=10)
    withdrawn = run(
        db_url, data_dir, "portal", "go-live", "quote_request", "--by", "ana", "--withdraw"
    )
    assert withdrawn.returncode == 0 and "withdrawn by ana" in withdrawn.stdout
    # No refresh in between: the stored cards followed the withdrawal as it returned.
    with engine.connect() as conn:
        shown = conn.execute(sa.text("SELECT COUNT(*) FROM portal_feed")).scalar_one()
    assert shown == 0
    seen = json.loads(run(db_url, data_dir, "proof", "show", "acme-roofing", "--json").stdout)
    assert seen["cards"] == [] and {h["reason"] for h in seen["hidden"]} == {
        "the provider is not marked live by its owner yet"
    }


def test_as_of_renders_another_day_and_stores_nothing(db_url, engine, data_dir, make_spec) -> None:
    spec = make_spec()
    records = [quote(n, submitted_at=f"2026-11-{9 + n % 5:02d}T10:00:00Z") for n in range(1, 9)]
    rows = [SourceRow("a.jsonl", i, r) for i, r in enumerate(records, start=1)]
    ingest_rows(engine, spec, open_direct_batch(engine, spec, "file", "a.jsonl"), rows)
    assert (
        run(db_url, data_dir, "portal", "go-live", "quote_request", "--by", "ana").returncode == 0
    )
    done = run(db_url, data_dir, "portal", "refresh", ZARTSALGO_AS_OF="2026-11-20T12:00:00Z")
    assert done.returncode == 0, done.stderr
    with engine.connect() as conn:
        before = conn.execute(sa.text("SELECT status, visibility, caveat FROM portal_cards")).all()
    during = run(
        db_url, data_dir, "proof", "show", "acme-roofing", "--as-of", "2026-11-12", "--json"
    )
    assert during.returncode == 0, during.stderr
    card = next(
        c for c in json.loads(during.stdout)["cards"] if c["label"] == "Quote requests received"
    )
    # On 12 November the week of 9 November was not over: in progress, and the only week.
    assert card["status"] == "in_progress" and card["period_label"] == "week of 9 November 2026"
    assert {c["period_label"] for c in json.loads(during.stdout)["cards"]} <= {
        "week of 9 November 2026",
        "November 2026",
    }
    with engine.connect() as conn:
        after = conn.execute(sa.text("SELECT status, visibility, caveat FROM portal_cards")).all()
    assert after == before  # rendered in a transaction that was rolled back
    wrong = run(db_url, data_dir, "proof", "show", "acme-roofing", "--as-of", "yesterday")
    assert wrong.returncode == 2 and "not an instant: 'yesterday'" in wrong.stderr
    # ZARTSALGO_AS_OF renders as --as-of does (review of issue 19: it was ignored here)
    by_env = run(
        db_url, data_dir, "proof", "show", "acme-roofing", "--json", ZARTSALGO_AS_OF="2026-11-12"
    )
    assert by_env.returncode == 0 and json.loads(by_env.stdout) == json.loads(during.stdout)
    garbage = run(db_url, data_dir, "proof", "show", "acme-roofing", ZARTSALGO_AS_OF="soon")
    assert garbage.returncode == 2 and "ZARTSALGO_AS_OF" in garbage.stderr
    edge = run(db_url, data_dir, "proof", "show", "acme-roofing", "--as-of", "9999-12-31")
    assert edge.returncode == 2 and "outside the years" in edge.stderr
    # A manual entry reaches the client's numbers at once, not at the next sync
    entry = data_dir / "phoned.jsonl"
    entry.write_text(json.dumps(quote(99, submitted_at="2026-11-10T11:00:00Z")) + "\n")
    entered = run(
        db_url,
        data_dir,
        "manual",
        "quote_request",
        str(entry),
        "--by",
        "ana",
        "--reason",
        "form down",
        ZARTSALGO_AS_OF="2026-11-20T12:00:00Z",
    )
    assert entered.returncode == 0, entered.stderr
    with engine.connect() as conn:
        shown = conn.execute(
            sa.text(
                "SELECT current_display FROM portal_cards WHERE client_key = 'acme-roofing' "
                "AND metric_key = 'requests_received' AND period_start = '2026-11-09'"
            )
        ).scalar_one()
    assert shown == "9 requests"  # 8 loaded + the one entered by hand


def test_a_go_live_note_too_long_for_its_column_is_refused_not_cut(
    db_url, engine, data_dir, make_spec
) -> None:
    spec = make_spec()
    rows = [SourceRow("n.jsonl", 1, quote(1, submitted_at="2026-11-10T10:00:00Z"))]
    ingest_rows(engine, spec, open_direct_batch(engine, spec, "file", "n.jsonl"), rows)
    note = "reviewed " + "ä" * 495  # 504 characters: portal_go_live.note holds 500
    refused = run(
        db_url, data_dir, "portal", "go-live", "quote_request", "--by", "ana", "--note", note
    )
    assert refused.returncode == 1
    assert "note is 504 characters; at most 500 fit" in refused.stderr
    assert "Traceback" not in refused.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM portal_go_live")).scalar_one() == 0
    whole = run(
        db_url, data_dir, "portal", "go-live", "quote_request", "--by", "ana", "--note", note[:500]
    )
    assert whole.returncode == 0, whole.stderr
    with engine.connect() as conn:
        kept = conn.execute(sa.text("SELECT note FROM portal_go_live")).scalar_one()
    assert kept == note[:500]
