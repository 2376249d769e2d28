"""The framework's own ceiling: a trivial FastAPI app with a pydantic body and no storage.

Run by uvicorn as `timebank serve` runs the API (uvloop, one process, no access log) and put
under the same wrk load as the project's POST /v1/exchanges, so every HTTP figure of the
project reads as a share of what FastAPI and uvicorn can do at all on this machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import FastAPI
from pydantic import BaseModel

from bench.server import Server, _free_port, _stop_group, _wait_ready

app = FastAPI()


class Body(BaseModel):
    giver: str
    receiver: str
    minutes: int


@app.post("/v1/exchanges", status_code=201)
async def record(body: Body) -> Body:
    return body


@app.get("/readyz")
async def ready() -> dict[str, str]:
    return {"status": "ok"}


@contextmanager
def running(tmp: Path) -> Iterator[Server]:
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", "bench.ceiling:app", "--port", str(port),
               "--loop", "uvloop", "--no-access-log", "--log-level", "warning"]  # fmt: skip
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    with (tmp / "ceiling.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=log,
                                   start_new_session=True)  # fmt: skip
    server = Server(f"http://127.0.0.1:{port}", "", process)
    try:
        _wait_ready(server, tmp / "ceiling.log")
        yield server
    finally:
        _stop_group(process)
