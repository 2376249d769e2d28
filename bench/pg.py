"""Where the benchmarks put their data: a fresh Postgres schema per scenario."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import psycopg

ADMIN_URL = os.environ.get("TIMEBANK_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True)
class PgTarget:
    admin_url: str

    @property
    def _parsed(self):  # type: ignore[no-untyped-def]
        return urlparse(self.admin_url)

    @property
    def host(self) -> str:
        return str(self._parsed.hostname or "127.0.0.1")

    @property
    def port(self) -> int:
        return int(self._parsed.port or 5432)

    @property
    def user(self) -> str:
        return str(self._parsed.username or "postgres")

    @property
    def dbname(self) -> str:
        return str(self._parsed.path.lstrip("/"))

    @contextmanager
    def schema(self, prefix: str = "bench") -> Iterator[str]:
        """A database URL on a schema of its own, dropped afterwards."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        try:
            yield f"{self.admin_url}?schema={name}"
        finally:
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def default_target() -> PgTarget:
    return PgTarget(ADMIN_URL)


def wait_for_every_projection(url: str, position: int, timeout: float = 600) -> None:
    """Until every projection, the audit chain too (no read waits for it), has reached
    `position`: reads timed while the projection worker still catches up on the other core
    would time that contention rather than the reads."""
    base, _, query = url.partition("?")
    schema = parse_qs(query)["schema"][0]
    deadline = time.monotonic() + timeout
    lowest = f'SELECT min(position) FROM "{schema}".projection_tracking'  # noqa: S608 (ours)
    with psycopg.connect(base, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(lowest).fetchone()  # type: ignore[call-overload]
            if row is not None and row[0] is not None and row[0] >= position:
                return
            time.sleep(0.2)
    raise RuntimeError(f"the projections did not reach position {position}")
