"""The one rule for provider ids: what a record's external id is, before any lookup or write.

An id is a text or a whole number. Surrounding whitespace is dropped (as from every text
value), and with ``casefold: true`` on the spec's external_id field the case too; what is left
is compared byte for byte everywhere (``utf8mb4_bin`` on MySQL, BINARY on SQLite). The record,
its external object, link, versions, import row and dead letter all carry this same id.

An id that breaks the rule fails its row and is stored nowhere as an id: an object or list (it
names no single record), a NUL character (SQLite's text functions end a string there, so a
lookup would compare a different id than the one stored), or more characters than the id
columns hold.
"""

from typing import Any

from zartsalgo_pipelines.tables import IntegrationExternalObject, table_of
from zartsalgo_pipelines.tables.limits import column_limit

ID_MAX_CHARS = column_limit(table_of(IntegrationExternalObject).c.external_id).max_chars or 191
NOT_AN_ID = "a text or whole-number id"
HAS_NUL = "an id without NUL characters"
TOO_LONG = f"at most {ID_MAX_CHARS} chars"


def normalise_id(value: Any, casefold: bool = False) -> tuple[str | None, str | None]:
    """``(id, None)`` for a usable id (None when absent), or ``(None, check it failed)``."""
    if value is None:
        return None, None
    if type(value) is str:
        text = value.strip()
    elif type(value) is int:
        text = str(value)
    else:  # bool, float, object, list: none names one record unambiguously
        return None, NOT_AN_ID
    if not text:
        return None, None
    if casefold:
        text = text.casefold()
    if "\x00" in text:
        return None, HAS_NUL
    if len(text) > ID_MAX_CHARS:
        return None, TOO_LONG
    return text, None
