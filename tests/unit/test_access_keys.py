"""Access keys: shown once, stored as a hash, revocable at once."""

from __future__ import annotations

import pytest

from domain.errors import Forbidden, InvalidRequest, UnknownOrganisation
from ledger import Ledger, Principal
from ledger.access import parse_key


def test_an_issued_key_authenticates_as_its_role_and_organisation(bank: Ledger) -> None:
    issued = bank.issue_key("broker", "north", label="front desk")

    principal = bank.authenticate(issued.key)

    assert principal == Principal(issued.id, "broker", "north", "front desk")


def test_an_auditor_key_belongs_to_no_organisation(bank: Ledger) -> None:
    issued = bank.issue_key("auditor")

    assert bank.authenticate(issued.key) == Principal(issued.id, "auditor", None, None)
    with pytest.raises(InvalidRequest):
        bank.issue_key("auditor", "north")


@pytest.mark.parametrize("role", ["broker", "poster"])
def test_a_broker_or_poster_key_needs_a_known_organisation(bank: Ledger, role: str) -> None:
    with pytest.raises(InvalidRequest):
        bank.issue_key(role)
    with pytest.raises(UnknownOrganisation):
        bank.issue_key(role, "nowhere")


@pytest.mark.parametrize("role", ["admin", "root", ""])
def test_only_broker_poster_and_auditor_keys_are_issued(bank: Ledger, role: str) -> None:
    with pytest.raises(InvalidRequest):
        bank.issue_key(role, "north")


def test_a_wrong_or_malformed_key_authenticates_nobody(bank: Ledger) -> None:
    issued = bank.issue_key("poster", "north")
    forged = issued.key[:-4] + ("aaaa" if not issued.key.endswith("aaaa") else "bbbb")

    assert bank.authenticate(forged) is None
    assert bank.authenticate("tbk_nosuchkey_secret") is None
    assert bank.authenticate("not a key") is None
    assert bank.authenticate("") is None


def test_a_revoked_key_stops_working_at_once(bank: Ledger) -> None:
    issued = bank.issue_key("broker", "north")

    bank.revoke_key(issued.id)

    assert bank.authenticate(issued.key) is None
    bank.revoke_key(issued.id)  # revoking again is harmless


def test_revoking_an_unknown_key_is_refused(bank: Ledger) -> None:
    with pytest.raises(Forbidden):
        bank.revoke_key("nosuchkey")


def test_the_secret_is_never_stored(bank: Ledger) -> None:
    issued = bank.issue_key("broker", "north")
    parts = parse_key(issued.key)  # the secret may hold "_" itself: split as the ledger does
    assert parts is not None
    secret = parts[1]

    stored = bank.recorder.select_notifications(start=1, limit=10_000)

    assert stored
    assert all(secret.encode() not in notification.state for notification in stored)


def test_the_admin_key_is_made_once_on_first_start(ledger: Ledger) -> None:
    admin_key = ledger.ensure_admin_key()

    assert admin_key is not None
    assert ledger.ensure_admin_key() is None
    principal = ledger.authenticate(admin_key)
    assert principal is not None
    assert (principal.role, principal.organisation) == ("admin", None)


def test_a_configured_admin_key_authenticates_as_the_operator(ledger: Ledger) -> None:
    principal = ledger.authenticate("operator-secret", admin_key="operator-secret")

    assert principal is not None
    assert principal.role == "admin"
    assert ledger.authenticate("operator-secreT", admin_key="operator-secret") is None
