"""HTTP (FastAPI) and CLI entry points: parse, authorise, call the ledger, map errors."""
