"""Scenario: the README's examples are what the code says. The demo of 2026-12-07 is synced into
a scratch database and rendered as of that day; every example block in README.md must equal the
text `zartsalgo` prints for it now (`python3 dev.py docs` rewrites them, with the screenshots).
"""

from pathlib import Path

from zartsalgo_pipelines_tests.docs_examples import README, demo_day, examples, readme_blocks


def test_the_readme_examples_are_what_the_code_says(tmp_path: Path) -> None:
    with demo_day(tmp_path) as (engine, _, _):
        rendered = examples(engine)
    held = readme_blocks(README.read_text(encoding="utf-8"))
    assert set(held) == set(rendered), "README example blocks and examples() disagree"
    for name, text in rendered.items():
        assert held[name] == text, f"README example `{name}` is stale: run `python3 dev.py docs`"
