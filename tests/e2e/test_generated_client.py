"""A client generated from /openapi.json (openapi-python-client) reads well and works."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.e2e.support import Server, World, exchange

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "timebank_client"


@pytest.fixture(scope="module")
def client_package(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Generated once per server, from the document the running server answers."""
    workdir = tmp_path_factory.mktemp("generated-client")
    (workdir / "openapi.json").write_bytes(httpx.get(f"{server.base_url}/openapi.json").content)
    (workdir / "config.yaml").write_text(
        f"post_hooks: []\nproject_name_override: {PACKAGE}\npackage_name_override: {PACKAGE}\n"
    )
    command = [str(GENERATOR), "generate", "--path", "openapi.json", "--meta", "none"]
    command += ["--output-path", PACKAGE, "--config", "config.yaml"]
    subprocess.run(command, cwd=workdir, check=True, capture_output=True, timeout=60)
    sys.path.insert(0, str(workdir))
    yield PACKAGE
    sys.path.remove(str(workdir))
    for name in [name for name in sys.modules if name.startswith(PACKAGE)]:
        del sys.modules[name]


def generated(package: str, name: str) -> ModuleType:
    return importlib.import_module(f"{package}.{name}")


def test_every_operation_has_a_plain_unique_name(server: Server) -> None:
    document = httpx.get(f"{server.base_url}/openapi.json").json()
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]

    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", name) for name in ids), ids
    assert {"record_exchange", "get_account", "confirm_exchange", "list_events"} <= set(ids)


def test_a_generated_client_records_an_exchange_and_reads_a_typed_problem(
    server: Server, world: World, client_package: str
) -> None:
    client_module = generated(client_package, "client")
    record = generated(client_package, "api.exchanges.record_exchange")
    models: Any = generated(client_package, "models")
    broker = client_module.AuthenticatedClient(base_url=server.base_url, token=world.a.broker)
    giver, receiver = world.a.accounts

    written = record.sync(
        client=broker, body=models.ExchangeCreate(giver=giver, receiver=receiver, minutes=45)
    )
    refused = record.sync(
        client=broker, body=models.ExchangeCreate.from_dict(exchange(giver, giver, minutes=5))
    )

    assert isinstance(written, models.ExchangeWritten)
    assert (written.giver, written.receiver, written.minutes) == (giver, receiver, 45)
    assert str(written.status) == "completed"
    assert isinstance(refused, models.Problem)
    assert (refused.status, refused.code) == (422, "same_account")
