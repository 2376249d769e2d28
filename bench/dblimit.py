"""The database's own limit on this machine, measured in the same run as everything else.

Single-row INSERT commits per second with 1 and with 16 clients: every other figure can be
read as a ratio to these.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from bench.pg import PgTarget

INSERT = "INSERT INTO bench_insert (v) VALUES (1);\n"


def insert_tps(target: PgTarget, clients: int, seconds: float) -> float:
    with psycopg.connect(target.admin_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_insert")
        conn.execute("CREATE TABLE bench_insert (id bigserial PRIMARY KEY, v int)")
    try:
        return _pgbench(target, clients, seconds)
    finally:
        with psycopg.connect(target.admin_url, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS bench_insert")


def _pgbench(target: PgTarget, clients: int, seconds: float) -> float:
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        raise RuntimeError("pgbench not found (Debian package postgresql-client)")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "insert.sql"
        script.write_text(INSERT)
        result = subprocess.run(
            [
                pgbench, "-n", "-M", "prepared", "-f", str(script),
                "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(int(seconds)),
                "-h", target.host, "-p", str(target.port), "-U", target.user, target.dbname,
            ],
            capture_output=True, text=True, check=True, timeout=seconds + 60,
        )  # fmt: skip
    match = re.search(r"tps = ([0-9.]+)", result.stdout)
    if match is None:
        raise RuntimeError(f"pgbench printed no tps:\n{result.stdout}\n{result.stderr}")
    return float(match.group(1))
