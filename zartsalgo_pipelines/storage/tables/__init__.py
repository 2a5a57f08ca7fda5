"""The SQLAlchemy 2 models, one module per table family; ``storage.models`` re-exports them all.

Raw provider payloads live only in ``integration_external_objects.raw_payload``,
``integration_dead_letters.raw_payload`` and ``integration_webhook_deliveries.body``.
"""
