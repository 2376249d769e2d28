"""Witness keys: registered and removed by the broker of their organisation, or the operator."""

from __future__ import annotations

from dataclasses import dataclass

from eventsourcing.persistence import IntegrityError

from domain.errors import Conflict, Forbidden, LedgerError
from domain.witness import WitnessKey, check_witness_url, check_witness_vkey, witness_key_stream
from ledger.base import LedgerBase


class UnknownWitnessKey(LedgerError):
    code = "not_found"


@dataclass(frozen=True)
class WitnessKeyRecord:
    id: str
    organisation: str
    vkey: str
    url: str | None
    position: int


def check_acting_for(org: str, acting_for: str | None) -> None:
    """A broker acts for its own organisation only; the operator (None) for any."""
    if acting_for is not None and acting_for != org:
        raise Forbidden(f"this key acts for {acting_for} only")


class WitnessUseCases(LedgerBase):
    def register_witness_key(
        self, org: str, vkey: str, url: str | None, acting_for: str | None
    ) -> WitnessKeyRecord:
        check_acting_for(org, acting_for)
        key_id = check_witness_vkey(vkey)
        check_witness_url(url)
        self._organisation(org)
        key = WitnessKey(id=witness_key_stream(key_id), organisation=org, vkey=vkey, url=url)
        try:
            position = self._save(key)
        except IntegrityError:
            raise Conflict("this witness key is registered already, or was removed") from None
        return WitnessKeyRecord(key_id, org, vkey, url, position)

    def remove_witness_key(self, org: str, key_id: str, acting_for: str | None) -> int:
        check_acting_for(org, acting_for)
        key = self._fresh(witness_key_stream(key_id))
        if not isinstance(key, WitnessKey) or key.organisation != org or key.removed:
            raise UnknownWitnessKey(f"organisation {org} has no witness key '{key_id}'")
        key.remove()
        return self._save(key)
