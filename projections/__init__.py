"""Read models fed by the event log: balances, statements, reciprocity, summaries, audit chain."""
