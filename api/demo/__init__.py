"""A year of invented but plausible activity, for trying the ledger out (`timebank demo`)."""
