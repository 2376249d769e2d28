"""A thin HTTP client and a small world of organisations, keys and accounts."""

from __future__ import annotations

import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx


@dataclass
class Server:
    base_url: str
    admin_key: str
    database_url: str
    process: subprocess.Popen[bytes]
    workdir: Path

    def output(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.workdir.glob("server-*.log"))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Api:
    """`api.as_(key).post(...)`: every call names the key it is made with."""

    def __init__(self, server: Server, key: str | None = None, client: httpx.Client | None = None):
        self.server = server
        self.key = key
        self.client = client or httpx.Client(base_url=server.base_url, timeout=30)

    def __enter__(self) -> Api:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.client.close()

    def as_(self, key: str | None) -> Api:
        return Api(self.server, key, self.client)

    @property
    def admin(self) -> Api:
        return self.as_(self.server.admin_key)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.key is not None:
            headers["Authorization"] = f"Bearer {self.key}"
        return self.client.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def created(self, path: str, json: Any = None, **kwargs: Any) -> dict[str, Any]:
        """POST that must answer 201; the body."""
        response = self.post(path, json, **kwargs)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


def new_id(prefix: str = "org") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class Organisation:
    id: str
    broker: str
    poster: str
    accounts: list[str] = field(default_factory=list)


@dataclass
class World:
    a: Organisation
    b: Organisation
    auditor: str


def register(api: Api, **settings: Any) -> Organisation:
    org = new_id()
    api.admin.created("/v1/organisations", {"id": org, "name": f"Timebank {org}", **settings})
    broker = api.admin.created("/v1/keys", {"role": "broker", "organisation": org})["key"]
    poster = api.admin.created("/v1/keys", {"role": "poster", "organisation": org})["key"]
    organisation = Organisation(org, broker, poster)
    for ref in ("ann", "bob"):
        organisation.accounts.append(open_account(api.as_(broker), ref))
    return organisation


def open_account(api: Api, ref: str | None = None, **settings: Any) -> str:
    account: str = api.created("/v1/accounts", {"ref": ref or new_id("m"), **settings})["id"]
    return account


def build_world(api: Api) -> World:
    auditor = api.admin.created("/v1/keys", {"role": "auditor", "label": "auditor"})["key"]
    return World(register(api), register(api), auditor)


def exchange(giver: str, receiver: str, minutes: int = 60, **fields: Any) -> dict[str, Any]:
    return {"giver": giver, "receiver": receiver, "minutes": minutes, **fields}


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body
