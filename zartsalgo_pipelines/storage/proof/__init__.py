"""SQL of the proof end, one module per output; ``proof/`` imports the module it needs.

``buckets`` (aggregates over the record tables), ``metrics`` (client_metrics), ``cards``,
``feed`` (the portal_feed view), ``notes``, ``tasks``, ``golive``, ``visibility`` (the facts
visibility is decided from, incident impact) and ``scan`` (what the payload scan compares).
"""
