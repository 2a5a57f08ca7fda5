"""The set-based writes of one chunk, one module per table family; ``storage.chunks`` runs them.

Each function writes in the caller's transaction with one bulk statement per table (MySQL loads
a file past ``mysql_bulk.BULK_MIN_ROWS`` rows); none issues a statement per row.
"""
