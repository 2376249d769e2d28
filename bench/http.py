"""Load over real HTTP: wrk drives the server, httpx sets it up and posts batches."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.server import Server

ORG = "bench-http"
ACCOUNTS = 64

POST_SCRIPT = """
local n = {accounts}
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
request = function()
  local g = math.random(0, n - 1)
  local r = (g + math.random(1, n - 1)) % n
  local body = string.format('{{"giver":"{org}:m%d","receiver":"{org}:m%d","minutes":1}}', g, r)
  return wrk.format("POST", "/v1/exchanges", {{["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer {key}"}}, body)
end
"""
GET_SCRIPT = """
local n = {accounts}
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
request = function()
  local path = string.format("/v1/accounts/{org}:m%d", math.random(0, n - 1))
  return wrk.format("GET", path, {{["Authorization"] = "Bearer {key}"}})
end
"""
PROOF_SCRIPT = """
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
request = function()
  local path = string.format("/v1/audit/proofs/inclusion?position=%d", math.random(1, {last}))
  return wrk.format("GET", path, {{["Authorization"] = "Bearer {key}"}})
end
"""
REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %.3f %.3f\\n", summary.requests, summary.duration,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, latency:percentile(99) / 1000, latency:percentile(50) / 1000))
end
"""


@dataclass(frozen=True)
class Load:
    per_s: float
    p99_ms: float
    p50_ms: float
    requests: int
    failed: int


def set_up(server: Server) -> str:
    """An organisation with roomy limits, its broker key, and its members' accounts."""
    admin = {"Authorization": f"Bearer {server.admin_key}"}
    with httpx.Client(base_url=server.url, timeout=30) as client:
        _ok(client.post("/v1/organisations", headers=admin,
                        json={"id": ORG, "name": "Bench", "credit_limit": 10**8}))  # fmt: skip
        key = _ok(client.post("/v1/keys", headers=admin,
                              json={"role": "broker", "organisation": ORG}))["key"]  # fmt: skip
        broker = {"Authorization": f"Bearer {key}"}
        for i in range(ACCOUNTS):
            _ok(client.post("/v1/accounts", headers=broker, json={"ref": f"m{i}"}))
    return str(key)


def post_batches(server: Server, key: str, batches: int, size: int = 1000) -> tuple[float, int]:
    """Exchanges per second through the batch endpoint, and the last position recorded."""
    broker = {"Authorization": f"Bearer {key}"}
    position = 0
    with httpx.Client(base_url=server.url, timeout=120, headers=broker) as client:
        started = time.perf_counter()
        for b in range(batches):
            items = [_batch_item(b + i, 1 + (i // ACCOUNTS) % (ACCOUNTS - 1)) for i in range(size)]
            answer = _ok(client.post("/v1/exchanges/batch", json={"exchanges": items}))
            position = int(str(answer["position"]))
        elapsed = time.perf_counter() - started
    return batches * size / elapsed, int(position)


def _batch_item(giver: int, offset: int) -> dict[str, object]:
    """Giver and receiver differ: the offset is between 1 and ACCOUNTS - 1."""
    g = giver % ACCOUNTS
    return {"giver": f"{ORG}:m{g}", "receiver": f"{ORG}:m{(g + offset) % ACCOUNTS}", "minutes": 1}


def broker_key(server: Server, organisation: str) -> str:
    admin = {"Authorization": f"Bearer {server.admin_key}"}
    with httpx.Client(base_url=server.url, timeout=30) as client:
        answer = client.post("/v1/keys", headers=admin,
                             json={"role": "broker", "organisation": organisation})  # fmt: skip
        return str(_ok(answer)["key"])


def wait_for_projections(
    server: Server, key: str, position: int, account: str = f"{ORG}:m0", timeout: float = 600
) -> None:
    broker = {"Authorization": f"Bearer {key}"}
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=server.url, timeout=30, headers=broker) as client:
        while time.monotonic() < deadline:
            answer = client.get(f"/v1/accounts/{account}", params={"min_position": position})
            if answer.status_code == 200:
                return
    raise RuntimeError(f"the read models did not reach position {position}")


def post_load(server: Server, key: str, seconds: int, connections: int = 16) -> Load:
    return _wrk(server, POST_SCRIPT.format(accounts=ACCOUNTS, org=ORG, key=key), seconds,
                connections)  # fmt: skip


def read_load(server: Server, key: str, seconds: int, connections: int = 4) -> Load:
    script = GET_SCRIPT.format(accounts=ACCOUNTS, org=ORG, key=key)
    # One untimed second first: the pool opens its connections and prepares its statements.
    _wrk(server, script, 1, connections)
    return _wrk(server, script, seconds, connections)


def proof_load(server: Server, last: int, seconds: int, connections: int = 4) -> Load:
    """Inclusion proofs of events at random positions up to `last` (checkpointed already)."""
    script = PROOF_SCRIPT.format(last=last, key=server.admin_key)
    _wrk(server, script, 1, connections)
    return _wrk(server, script, seconds, connections)


def metric_total(server: Server, name: str) -> float:
    """The sum of a metric's samples in `/metrics` (over its labels and processes)."""
    admin = {"Authorization": f"Bearer {server.admin_key}"}
    text = httpx.get(f"{server.url}/metrics", headers=admin, timeout=30).text
    found = re.findall(rf"^{re.escape(name)}(?:{{[^}}]*}})? ([0-9.e+]+)$", text, re.MULTILINE)
    return sum(float(value) for value in found)


def _wrk(server: Server, script: str, seconds: int, connections: int) -> Load:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk not found: `make bench` installs Debian's wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script + REPORT)
    path = Path(file.name)
    try:
        result = subprocess.run(
            [wrk, "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "-s", str(path),
             server.url],
            capture_output=True, text=True, check=True, timeout=seconds + 60,
        )  # fmt: skip
    finally:
        path.unlink(missing_ok=True)
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) ([0-9.]+) ([0-9.]+)", result.stdout)
    if match is None:
        raise RuntimeError(f"wrk printed no result:\n{result.stdout}\n{result.stderr}")
    requests, micros, bad_status, broken = (int(match.group(i)) for i in range(1, 5))
    return Load(
        per_s=(requests - bad_status - broken) / (micros / 1e6),
        p99_ms=float(match.group(5)),
        p50_ms=float(match.group(6)),
        requests=requests,
        failed=bad_status + broken,
    )


def _ok(answer: httpx.Response) -> dict[str, object]:
    if answer.status_code >= 300:
        raise RuntimeError(f"{answer.request.method} {answer.request.url}: {answer.status_code} "
                           f"{answer.text[:500]}")  # fmt: skip
    body: dict[str, object] = answer.json()
    return body
