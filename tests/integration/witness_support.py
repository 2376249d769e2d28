"""A ledger with its API in process, checkpoints made on demand, and witnesses beside it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

import projections
from api.app import create_app
from api.commands.witness_serve import Witness, make_server
from api.commands.witness_state import write_state
from api.commands.witness_sync import Sync
from api.settings import ApiSettings
from ledger import ExchangeRequest, Ledger, parse_database_url
from projections.audit_checkpoints import Checkpointer, CheckpointPolicy
from projections.audit_log import AuditLog
from projections.tlog.cosignature import Cosigner
from projections.tlog.witness import WitnessState
from projections.tlog_log import TransparencyLog
from projections.witness_log import WitnessLog
from projections.witness_push import WitnessPusher

ADMIN = "admin-key-for-tests"
ORIGIN = "ledger.example/witnessed"


@dataclass
class Partner:
    org: str
    broker: str
    cosigner: Cosigner
    state: Path


@dataclass
class Bank:
    ledger: Ledger
    built: projections.Projections
    checkpointer: Checkpointer
    client: TestClient
    folder: Path
    url: str
    partners: dict[str, Partner] = field(default_factory=dict)
    minutes: int = 10

    def as_(self, key: str) -> TestClient:
        self.client.headers["Authorization"] = f"Bearer {key}"
        return self.client

    def grow(self, exchanges: int = 3) -> None:
        """More history, the views caught up and a checkpoint made over it."""
        for _ in range(exchanges):
            self.minutes += 1
            request = ExchangeRequest("north:ann", "north:bob", self.minutes)
            self.ledger.record_exchange("north", request)
        self.catch_up()
        self.checkpointer.tick()

    def catch_up(self) -> None:
        self.built.runner.run_once()

    def partner(self, org: str) -> Partner:
        if org not in self.partners:
            self.ledger.register_organisation(org, org.title())
            broker = self.ledger.issue_key("broker", org).key
            cosigner = Cosigner(f"witness.example/{org}", Ed25519PrivateKey.generate())
            self.partners[org] = Partner(org, broker, cosigner, self.folder / f"{org}.state")
        return self.partners[org]

    def register(self, partner: Partner, url: str | None = None) -> dict[str, Any]:
        body = {"vkey": str(partner.cosigner.verifier), "url": url}
        answer = self.as_(partner.broker).post(
            f"/v1/organisations/{partner.org}/witness-keys", json=body
        )
        assert answer.status_code == 201, answer.text
        self.catch_up()
        return dict(answer.json())

    def sync(self, partner: Partner, **options: Any) -> int:
        return Sync(self.as_(partner.broker), partner.cosigner, partner.state, **options).run()

    def witness_log(self) -> WitnessLog:
        return WitnessLog(TransparencyLog(AuditLog(self.ledger.recorder, self.built.view)))

    def pusher(self) -> WitnessPusher:
        return WitnessPusher(self.witness_log())

    def export(self) -> list[dict[str, Any]]:
        return list(AuditLog(self.ledger.recorder, self.built.view).all_events(until=10**12))


@contextmanager
def bank(url: str, folder: Path, key: Ed25519PrivateKey) -> Iterator[Bank]:
    ledger = Ledger(parse_database_url(url))
    built = projections.build(ledger)
    settings = ApiSettings(admin_key=ADMIN, rate_limit=0, address_rate_limit=0)
    audit = AuditLog(ledger.recorder, built.view)
    app = create_app(ledger, built.read_models, audit_log=audit, settings=settings)
    checkpointer = Checkpointer(built.view, key, CheckpointPolicy(every=3, seconds=3600))
    try:
        with TestClient(app) as client:
            found = Bank(ledger, built, checkpointer, client, folder, url)
            found.ledger.register_organisation("north", "North")
            for ref in ("ann", "bob"):
                found.ledger.open_account("north", ref)
            yield found
    finally:
        ledger.close()


@contextmanager
def serving(partner: Partner, log_key: str) -> Iterator[str]:
    """`witness serve` for the partner, in a thread; its URL."""
    write_state(partner.state, WitnessState(ORIGIN, (log_key,)))
    server = make_server(Witness(partner.cosigner, partner.state), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
