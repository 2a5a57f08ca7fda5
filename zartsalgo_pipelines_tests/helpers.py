"""Test data builders and small database probes shared by the test modules."""

from typing import Any

import sqlalchemy as sa

DROP = object()  # quote(..., contact__email=DROP) removes the key


def quote(number: int, **changes: Any) -> dict[str, Any]:
    """A valid provider record in the shipped quote_request export format."""
    record: dict[str, Any] = {
        "id": f"QR-{number:05d}",
        "client": {"slug": "acme-roofing"},
        "submitted_at": "2026-11-16T10:00:00Z",
        "updated_at": "2026-11-16T10:00:00Z",
        "status": "new",
        "contact": {"name": "Zoë Müller", "email": f"zoe{number}@example.org", "phone": "+49 30 1"},
        "answers": [{"field": {"ref": "service"}, "text": "roof repair"}],
        "budget": {"amount": 1200.5, "currency": "EUR"},
        "postal_code": "10115",
        "message": "Bitte um Rückruf ❄️",
        "page": {"url": "https://www.example.org/angebot"},
        "form_version": "v3",
        "is_test": False,
    }
    for path, value in changes.items():
        target = record
        *parents, leaf = path.split("__")
        for parent in parents:
            target = target[parent]
        if value is DROP:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return record


def count(engine: sa.Engine, table: str, where: str = "") -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {table} {where}")).scalar_one())


def snapshot(engine: sa.Engine, table: str, columns: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [
            tuple(r) for r in conn.execute(sa.text(f"SELECT {columns} FROM {table} ORDER BY 1"))
        ]
