"""Errors that stop a batch (as opposed to row failures, which are dead-lettered)."""


class SchemaLevelError(Exception):
    """The export as a whole does not fit the field map (e.g. a required column is absent)."""
