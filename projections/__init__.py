"""Read models fed by the event log: balances, statements, reciprocity, summaries, audit chain."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ledger import Ledger
    from projections.readmodels import LedgerReadModels
    from projections.setup import Projections


def build(source: Any, **options: Any) -> Projections:
    """The standard projections and their runner over a ledger (see `projections.setup`)."""
    from projections.setup import build as build_projections

    return build_projections(source, **options)


def open_read_models(ledger: Ledger) -> LedgerReadModels:
    """The read models the API answers from (see `projections.setup`)."""
    from projections.setup import open_read_models as open_models

    return open_models(ledger)
