"""Deterministic sample data for the shipped providers (used by the sample export and benchmark)."""
