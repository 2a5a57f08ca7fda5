"""What `zartsalgo proof show` and `proof explain` print for a reader (the README's examples are
these lines): the dictionaries proof/explain.py returns, as text."""

from typing import Any

from zartsalgo_pipelines.proof.fact_explain import side_lines


def card_lines(card: dict[str, Any]) -> list[str]:
    """One card as `proof show` prints it (the README's examples are these lines)."""
    lines = [f"{card['label']} ({card['period_label']}): {card['current_display']}"]
    if card["change_display"] != "-":
        lines.append(
            f"  against {card['baseline_label']}: {card['baseline_display']}  "
            f"change {card['change_display']}"
        )
    lines.append(f"  {card['status_text']} [{card['status']}], {card['visibility']}")
    if card["comparison"]:
        lines.append(f"  {card['comparison']}")
    lines += [f"  next: {card['next_action']}", f"  source: {card['source_label']}"]
    if card["caveat"]:
        lines.append(f"  caveat: {card['caveat']}")
    return lines


def explain_lines(found: dict[str, Any]) -> list[str]:
    """`proof explain` for a reader: formatted values, local times, words for the filter."""
    lines = [
        f"{found['label']} for {found['client']}, {found['period']} ({found['timezone']})",
        f"  {found['what']}: {found['value']} from {found['records_counted']}; "
        f"status {found['status']}",
    ]
    if found["comparison"] and not found["no_baseline"]:
        lines.append(f"  comparison (at {found['confidence']} confidence): {found['comparison']}")
    if found["no_baseline"]:
        lines.append(f"  no comparison: {found['no_baseline']}")
    for batch in found["batches"]:
        lines.append(
            f"  batch {batch['batch_id']} ({batch['source_kind']}, finished {batch['finished']}): "
            f"{batch['records']} counted here; that batch also failed "
            f"{batch['batch_failed_rows']} and ignored {batch['batch_ignored_rows']} rows"
        )
    lines += side_lines(found.get("sides", []))
    lines.append(f"  baseline, {found['baseline']}")
    for base in found["baseline_periods"]:
        lines.append(
            f"    {base['period']}: {base['value']} from {base['records']} ({base['status']})"
        )
    final = "yes" if found["final"] else "no (late records may still change it)"
    lines += [
        f"  data through {found['data_through']}; final: {final}; computed {found['computed_at']}",
        f"  visibility: {found['visibility'] or 'not built yet'}"
        + (f" ({found['visibility_reason']})" if found["visibility_reason"] else "")
        + (f"; caveat: {found['caveat']}" if found["caveat"] else ""),
    ]
    return lines
