"""Incidents for a provider's owner: the registered kinds, opening and resolving alerts (one
open per provider and kind), the connection status they move, the staleness rules, and the
notifier. Below pipeline/ and proof/, which both raise incidents."""
