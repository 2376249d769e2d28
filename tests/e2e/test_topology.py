"""The docker-compose topology without Docker: two API processes and one projection process
on one Postgres schema, all on 127.0.0.1, as `docker-compose.yml` runs them.

Writes through either API process are read back through the other (with `min_position`),
and concurrent writes through both to the same accounts lose nothing and double nothing.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.access import parse_key

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 45
pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(240)]


@dataclass
class Process:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    errors: Path

    def output(self) -> str:
        text = self.log.read_text(errors="replace") + self.errors.read_text(errors="replace")
        return f"--- {self.name}\n{text}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Topology:
    first: httpx.Client
    second: httpx.Client
    admin_key: str
    processes: list[Process]
    keys: list[str] = field(default_factory=list)

    def output(self) -> str:
        return "\n".join(p.output() for p in self.processes)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def launch(name: str, args: list[str], env: dict[str, str], workdir: Path) -> Process:
    """Standard output and the (JSON) log lines on standard error, in two files."""
    log, errors = workdir / f"{name}.out", workdir / f"{name}.err"
    with log.open("wb") as out, errors.open("wb") as err:
        command = [sys.executable, "-m", "api.cli", *args]
        process = subprocess.Popen(command, env=env, cwd=workdir, stdout=out, stderr=err)
    return Process(name, process, log, errors)


def wait_until_ready(url: str, processes: list[Process]) -> None:
    """/readyz answers 200 once the database answers and the read models have caught up."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        exited = [p for p in processes if p.process.poll() is not None]
        if exited:
            raise RuntimeError("a process exited early:\n" + exited[0].output())
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"{url} not ready in {STARTUP_SECONDS}s:\n" + "\n".join(p.output() for p in processes)
    )


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    from tests.conftest import PG_ADMIN_URL, require_postgres

    require_postgres()
    import psycopg

    schema = f"topo_{secrets.token_hex(6)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    workdir = tmp_path_factory.mktemp("topology")
    admin_key = f"admin-{secrets.token_urlsafe(24)}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TIMEBANK_")},
        "TIMEBANK_DATABASE_URL": f"{PG_ADMIN_URL}?schema={schema}",
        "TIMEBANK_ADMIN_KEY": admin_key,
        "TIMEBANK_LOG_LEVEL": "INFO",  # the projection worker signs with a key in var/
        "PYTHONPATH": str(ROOT),
    }
    ports = free_port(), free_port()
    processes = [launch("projections", ["project"], env, workdir)]
    for number, (port, workers) in enumerate(zip(ports, ("2", "1"), strict=True), start=1):
        args = ["serve", "--no-projections", "--workers", workers, "--port", str(port)]
        processes.append(launch(f"api-{number}", args, env, workdir))
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url in urls:
            wait_until_ready(url, processes)
        with (
            httpx.Client(base_url=urls[0], timeout=30) as first,
            httpx.Client(base_url=urls[1], timeout=30) as second,
        ):
            yield Topology(first, second, admin_key, processes)
    finally:
        for process in reversed(processes):
            process.stop()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def created(client: httpx.Client, key: str, path: str, body: Any, **kwargs: Any) -> Any:
    response = client.post(path, json=body, headers={**bearer(key), **kwargs.pop("headers", {})})
    assert response.status_code == 201, response.text
    return response.json()


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def organisation(topology: Topology, org: str, refs: tuple[str, ...]) -> str:
    """Registered through the first process, key issued and accounts opened through the
    second: the second must know what the first recorded, at once."""
    created(topology.first, topology.admin_key, "/v1/organisations", {"id": org, "name": org})
    key = created(
        topology.second, topology.admin_key, "/v1/keys", {"role": "broker", "organisation": org}
    )["key"]
    for ref in refs:
        created(topology.second, key, "/v1/accounts", {"ref": ref})
    topology.keys.append(key)
    return str(key)


def balance(client: httpx.Client, key: str, account: str, position: int) -> int:
    params = {"min_position": position}
    body = ok(client.get(f"/v1/accounts/{account}", params=params, headers=bearer(key)))
    assert body["as_of_position"] >= position
    return int(body["balance"])


def test_writes_through_either_process_are_read_back_through_the_other(
    topology: Topology,
) -> None:
    key = organisation(topology, "topo-north", ("ann", "bob"))
    first, second = topology.first, topology.second
    one = created(
        first,
        key,
        "/v1/exchanges",
        {"giver": "topo-north:ann", "receiver": "topo-north:bob", "minutes": 90},
    )
    assert balance(second, key, "topo-north:ann", one["position"]) == 90
    two = created(
        second,
        key,
        "/v1/exchanges",
        {"giver": "topo-north:bob", "receiver": "topo-north:ann", "minutes": 30},
    )
    assert balance(first, key, "topo-north:ann", two["position"]) == 60
    params = {"min_position": two["position"]}
    seen = ok(first.get(f"/v1/exchanges/{two['id']}", params=params, headers=bearer(key)))
    assert (seen["id"], seen["status"], seen["minutes"]) == (two["id"], "completed", 30)


def test_a_cross_organisation_exchange_is_confirmed_through_the_other_process(
    topology: Topology,
) -> None:
    east = organisation(topology, "topo-east", ("eve",))
    west = organisation(topology, "topo-west", ("wes",))
    body = {"giver": "topo-east:eve", "receiver": "topo-west:wes", "minutes": 45}
    pending = created(topology.first, east, "/v1/exchanges", body)
    assert pending["status"] == "pending"
    confirmed = ok(
        topology.second.post(f"/v1/exchanges/{pending['id']}/confirm", headers=bearer(west))
    )
    assert confirmed["status"] == "completed"
    assert balance(topology.first, east, "topo-east:eve", confirmed["position"]) == 45
    assert balance(topology.first, west, "topo-west:wes", confirmed["position"]) == -45


def test_one_idempotency_key_through_both_processes_records_one_exchange(
    topology: Topology,
) -> None:
    key = organisation(topology, "topo-south", ("sam", "sue"))
    body = {"giver": "topo-south:sam", "receiver": "topo-south:sue", "minutes": 20}
    headers = {"Idempotency-Key": "import-row-17"}
    first = created(topology.first, key, "/v1/exchanges", body, headers=headers)
    again = created(topology.second, key, "/v1/exchanges", body, headers=headers)
    assert again["id"] == first["id"]
    assert balance(topology.second, key, "topo-south:sam", again["position"]) == 20


def test_concurrent_writes_through_both_processes_lose_and_double_nothing(
    topology: Topology,
) -> None:
    key = organisation(topology, "topo-busy", ("a", "b", "c"))
    pairs = [("a", "b"), ("b", "c"), ("c", "a"), ("a", "c")] * 10

    def post(numbered: tuple[int, tuple[str, str]]) -> int:
        number, (giver, receiver) = numbered
        client = topology.first if number % 2 else topology.second
        body = {"giver": f"topo-busy:{giver}", "receiver": f"topo-busy:{receiver}", "minutes": 5}
        return int(created(client, key, "/v1/exchanges", body)["position"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        last = max(pool.map(post, enumerate(pairs)))
    balances = {
        ref: balance(
            topology.first if ref == "b" else topology.second, key, f"topo-busy:{ref}", last
        )
        for ref in ("a", "b", "c")
    }
    # a gave 20 times and received 10 times, b 10 and 10, c 10 and 20; 5 minutes each.
    assert balances == {"a": 50, "b": 0, "c": -50}


def test_the_api_processes_log_json_lines_with_request_ids_and_never_a_key(
    topology: Topology,
) -> None:
    key = organisation(topology, "topo-logs", ())
    position = created(topology.second, key, "/v1/accounts", {"ref": "lee"})["position"]
    balance(topology.first, key, "topo-logs:lee", position)
    topology.second.get("/v1/accounts/topo-logs:nobody", headers=bearer(key))
    time.sleep(0.5)  # let the workers flush
    apis = [p for p in topology.processes if p.name.startswith("api-")]
    text = "".join(p.errors.read_text() for p in apis)
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert any("request_id" in line for line in lines)
    for key in (topology.admin_key, *topology.keys):
        assert key not in text
        parsed = parse_key(key)
        if parsed is not None:  # the secret part alone must not leak either
            assert parsed[1] not in text
