"""Keyed exchange ids: HMAC under the server's secret, shared by every process, upgrade-safe."""

from __future__ import annotations

import stat
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from uuid import UUID, uuid5

import pytest

from domain.errors import IdempotencyKeyReused
from ledger import ExchangeRequest, Ledger, parse_database_url
from ledger.keyed_ids import ID_KEY_VAR, LEGACY_NAMESPACE, IdKeyError, keyed_id
from tests.unit.support import events_recorded

HOUR = ExchangeRequest("north:ann", "north:bob", 60)
SECRET = b"s" * 32
# Ledgers that share a database, as processes do: not the in-memory store, which is each
# ledger's own.
shared_database = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)


def opened(ledger: Ledger) -> Ledger:
    ledger.register_organisation("north", "North")
    for ref in ("ann", "bob"):
        ledger.open_account("north", ref)
    return ledger


def uuid5_id(organisation: str, key: str) -> UUID:
    """How keyed ids were made before: from public facts only."""
    return uuid5(LEGACY_NAMESPACE, f"{organisation}\x1f{key}")


def test_a_keyed_id_cannot_be_computed_from_the_organisation_and_the_key(bank: Ledger) -> None:
    record = bank.record_exchange("north", HOUR, idempotency_key="k-1")

    assert UUID(record.id) != uuid5_id("north", "k-1")
    assert keyed_id(SECRET, "north", "k-1") != keyed_id(b"t" * 32, "north", "k-1")
    assert keyed_id(SECRET, "north", "k-1") == keyed_id(SECRET, "north", "k-1")
    assert UUID(record.id).version == 8


@shared_database
def test_every_ledger_reading_the_same_key_file_gives_a_key_the_same_id(
    make_ledger: Callable[..., Ledger], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "id-key").write_bytes(SECRET)
    monkeypatch.setenv(ID_KEY_VAR, str(tmp_path / "id-key"))
    api, importer = opened(make_ledger()), make_ledger()
    first = api.record_exchange("north", HOUR, idempotency_key="k-1")
    before = events_recorded(api)

    again = importer.record_exchange("north", HOUR, idempotency_key="k-1")

    assert again == replace(first, replayed=True)
    assert events_recorded(importer) == before


def test_without_a_configured_file_one_is_made_readable_by_its_owner_only_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ID_KEY_VAR, raising=False)
    url = f"sqlite:///{tmp_path}/timebank.sqlite3"
    ledger = opened(Ledger(parse_database_url(url)))
    assert not (tmp_path / "var" / "id-key").exists()  # made when first needed, not before
    first = ledger.record_exchange("north", HOUR, idempotency_key="k-1")
    ledger.close()

    restarted = Ledger(parse_database_url(url))
    again = restarted.record_exchange("north", HOUR, idempotency_key="k-1")
    restarted.close()

    assert (again.id, again.replayed) == (first.id, True)
    assert stat.S_IMODE((tmp_path / "var" / "id-key").stat().st_mode) == 0o600


@pytest.mark.parametrize("content", [None, b"short"])
def test_a_configured_key_file_that_is_missing_or_too_short_stops_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes | None
) -> None:
    path = tmp_path / "id-key"
    if content is not None:
        path.write_bytes(content)
    monkeypatch.setenv(ID_KEY_VAR, str(path))

    with pytest.raises(IdKeyError):
        Ledger(parse_database_url("memory://"))


@pytest.fixture
def upgraded(
    make_ledger: Callable[..., Ledger], monkeypatch: pytest.MonkeyPatch
) -> Callable[[Callable[[Ledger], object]], Ledger]:
    """Run `before` on a ledger that makes ids as before (uuid5), then answer a ledger
    of today on the same database."""

    def upgrade(before: Callable[[Ledger], object]) -> Ledger:
        with monkeypatch.context() as old_code:
            old_code.setattr(
                "ledger.exchange_use_cases.keyed_id", lambda _, org, key: uuid5_id(org, key)
            )
            old = opened(make_ledger())
            before(old)
            old.close()
        return make_ledger()

    return upgrade


@shared_database
def test_an_exchange_recorded_before_the_upgrade_is_found_when_its_key_is_retried(
    upgraded: Callable[[Callable[[Ledger], object]], Ledger],
) -> None:
    firsts = []
    ledger = upgraded(lambda old: firsts.append(old.record_exchange("north", HOUR, "k-1")))
    before = events_recorded(ledger)

    again = ledger.record_exchange("north", HOUR, idempotency_key="k-1")

    assert UUID(again.id) == uuid5_id("north", "k-1")
    assert again == replace(firsts[0], replayed=True)
    assert events_recorded(ledger) == before
    assert ledger.get_account("north:bob").balance == -60
    with pytest.raises(IdempotencyKeyReused):
        ledger.record_exchange("north", replace(HOUR, minutes=59), idempotency_key="k-1")
    with pytest.raises(IdempotencyKeyReused):
        ledger.record_batch("north", [HOUR], idempotency_key="k-1")


@shared_database
def test_a_batch_recorded_before_the_upgrade_is_found_when_its_key_is_retried(
    upgraded: Callable[[Callable[[Ledger], object]], Ledger],
) -> None:
    items = [HOUR, ExchangeRequest("north:bob", "north:ann", 15)]
    firsts = []
    ledger = upgraded(lambda old: firsts.append(old.record_batch("north", items, "import-0")))
    before = events_recorded(ledger)

    again = ledger.record_batch("north", items, idempotency_key="import-0")

    assert again.replayed
    assert [r.id for r in again.exchanges] == [r.id for r in firsts[0].exchanges]
    assert events_recorded(ledger) == before
    assert ledger.batch_recorded("north", "import-0")
    assert not ledger.batch_recorded("north", "import-1")
    with pytest.raises(IdempotencyKeyReused):
        ledger.record_exchange("north", HOUR, idempotency_key="import-0")
