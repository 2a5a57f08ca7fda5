"""Shortening a message to fit its column without cutting a word in two.

Incident messages, next actions and error details are read by people: a message cut at a
fixed character count ends mid-word ("...beside the we"), which reads as a bug and can change
the meaning. Text that fits is kept whole; longer text ends at the last word that fits, marked
with an ellipsis.
"""

import re

ELLIPSIS = "…"
_LAST_SPACE = re.compile(r"\s\S*$")


def clip(text: str, limit: int) -> str:
    """``text`` itself if it has at most ``limit`` characters, else its longest run of whole
    words that fits with ``…`` after it (cut inside a word only when one word fills more than
    half of ``limit``)."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    room = text[: limit - len(ELLIPSIS) + 1]  # one character more: a space there is a word end
    space = _LAST_SPACE.search(room)
    kept = room[: space.start()] if space and space.start() > limit // 2 else room[:-1]
    return kept.rstrip() + ELLIPSIS
