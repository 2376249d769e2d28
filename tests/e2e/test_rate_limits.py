"""One partner's script cannot starve the others: limits are per key, with Retry-After."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import start_server
from tests.e2e.support import Api, Server, assert_problem

RATE = 2  # requests a second per key, bursts of 4


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("limited")
    url = f"sqlite:///{workdir}/timebank.sqlite3"
    server = start_server(url, workdir, "--no-projections", env={"TIMEBANK_RATE_LIMIT": str(RATE)})
    yield server
    server.stop()


def test_a_key_over_its_rate_waits_while_other_keys_go_on(limited: Server) -> None:
    with Api(limited) as api:
        keys = [api.admin.created("/v1/keys", {"role": "auditor"})["key"] for _ in range(2)]
        busy, other = api.as_(keys[0]), api.as_(keys[1])
        answers = [busy.get("/v1/audit/checkpoints").status_code for _ in range(4 * RATE)]
        assert answers[: 2 * RATE] == [200] * (2 * RATE)  # the burst
        refused = busy.get("/v1/audit/checkpoints")
        body = assert_problem(refused, 429, "rate_limited")
        assert "retry" in body["detail"]
        wait = int(refused.headers["Retry-After"])
        assert 1 <= wait <= 2
        assert other.get("/v1/audit/checkpoints").status_code == 200
        time.sleep(wait)
        assert busy.get("/v1/audit/checkpoints").status_code == 200
