"""The live state: stock, reservations and open purchase orders as events report them.

Events (``contracts.events``) arrive over HTTP or a Redis stream and are applied once each (by
``event_id``) to a state every service worker shares: SQLite in the embedded profile, Redis in
production. Scoring, promise dates and actions read it at request time; an append-only event log
keeps what was applied so the nightly pipeline can rebuild the canonical tables from it.
"""
