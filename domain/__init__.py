"""The time-credit domain: aggregates, events, rules and errors. Knows nothing of HTTP or SQL."""
