"""What runs beside the projection runner in `timebank project`: expiries and webhooks.

Both only read the views and write elsewhere (the ledger, the webhooks' tables), each in a
thread of its own, so neither can hold up a projection page.
"""

from __future__ import annotations

from collections.abc import Callable

from ledger import Ledger
from projections.expiry import Expirer
from projections.setup import Projections
from projections.webhooks.delivery import DeliveryWorker
from projections.webhooks.sealing import Sealer, load_key


def start_beside(projections: Projections, ledger: Ledger) -> Callable[[], None]:
    """Start the expiry recorder and the webhook delivery worker; return what stops them.
    Raises SealingKeyError if the webhook key file cannot be used."""
    delivery = DeliveryWorker(
        projections.view,
        Sealer(load_key()),
        exclusive=projections.runner.exclusive,
        open_notes=projections.read_models.open_notes,
    )
    expirer = Expirer(projections.view, ledger)
    expirer.start()
    delivery.start()

    def stop() -> None:
        delivery.stop()
        expirer.stop()

    return stop
