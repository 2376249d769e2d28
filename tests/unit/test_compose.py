"""docker-compose.yml and the Dockerfile, checked against what the code accepts.

Docker does not run here, so the checks read the files: every command goes through the real
`timebank` parser, every environment variable is one the code reads, every health check
points at a real route, and the code reads no variable that is not listed in one place.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from api import environment
from api.cli import build_parser
from ledger.settings import parse_database_url

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("domain", "ledger", "projections", "api")
INTERPOLATION = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")
FAKE_ENV = {"POSTGRES_PASSWORD": "pw", "TIMEBANK_ADMIN_KEY": "k" * 32, "TIMEBANK_LOG_LEVEL": "INFO"}


def interpolate(value: Any) -> Any:
    """Compose's `${VAR}`, `${VAR:?message}` and `${VAR:-default}`, with made-up values."""
    if isinstance(value, str):
        return INTERPOLATION.sub(lambda m: FAKE_ENV[m.group(1)], value)
    if isinstance(value, list):
        return [interpolate(v) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v) for k, v in value.items()}
    return value


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return interpolate(loaded)


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def parsed(command: list[str]) -> argparse.Namespace:
    assert command[0] == "timebank"
    try:
        return build_parser().parse_args(command[1:])
    except SystemExit:
        pytest.fail(f"`{' '.join(command)}` is not a command the timebank CLI accepts")


def test_postgres_the_api_and_the_projection_worker_are_the_services(
    services: dict[str, dict[str, Any]],
) -> None:
    assert set(services) == {"postgres", "api", "projections"}


def test_the_api_serves_without_projections_on_several_workers_on_all_interfaces(
    services: dict[str, dict[str, Any]],
) -> None:
    args = parsed(services["api"]["command"])
    assert args.command == "serve"
    assert args.no_projections
    assert args.workers >= 2
    assert args.host == "0.0.0.0"
    published = [str(p).rsplit(":", 1)[-1] for p in services["api"]["ports"]]
    assert str(args.port) in published


def test_the_projection_worker_runs_timebank_project(
    services: dict[str, dict[str, Any]],
) -> None:
    assert parsed(services["projections"]["command"]).command == "project"


def test_timebank_services_are_configured_by_the_contracts_variables_only(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in ("api", "projections"):
        env = services[name]["environment"]
        assert set(env) <= set(environment.DEPLOYMENT), name
        assert set(env) <= set(environment.ENVIRONMENT), name
    assert environment.ADMIN_KEY in services["api"]["environment"]
    assert environment.SIGNING_KEY in services["projections"]["environment"]


def test_every_service_reaches_the_postgres_service_with_its_credentials(
    services: dict[str, dict[str, Any]],
) -> None:
    postgres = services["postgres"]["environment"]
    for name in ("api", "projections"):
        database = parse_database_url(services[name]["environment"][environment.DATABASE_URL])
        assert database.is_postgres
        assert database.env["POSTGRES_HOST"] == "postgres"
        assert database.env["POSTGRES_DBNAME"] == postgres["POSTGRES_DB"]
        assert database.env["POSTGRES_USER"] == postgres["POSTGRES_USER"]
        assert database.env["POSTGRES_PASSWORD"] == postgres["POSTGRES_PASSWORD"]
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_signing_key_is_a_secret_of_the_projection_worker(compose: dict[str, Any]) -> None:
    projections = compose["services"]["projections"]
    path = projections["environment"][environment.SIGNING_KEY]
    secret = path.removeprefix("/run/secrets/")
    assert secret in projections["secrets"]
    assert secret in compose["secrets"]
    assert environment.SIGNING_KEY not in compose["services"]["api"]["environment"]


def test_the_id_key_is_a_secret_of_the_api_kept_outside_the_container(
    compose: dict[str, Any],
) -> None:
    """Every API process, and the importer run in the api service, must derive the same
    keyed ids after a restart or an upgrade: the file comes from the host, not the image."""
    api = compose["services"]["api"]
    secret = api["environment"][environment.ID_KEY].removeprefix("/run/secrets/")
    assert secret in api["secrets"]
    assert compose["secrets"][secret]["file"].startswith("./var/")


def test_the_api_and_the_projection_worker_share_one_data_key_from_outside(
    compose: dict[str, Any],
) -> None:
    """The API seals notes with it and the projection worker opens them for webhook
    deliveries: a key made inside either container would open nothing the other sealed."""
    paths = {
        name: compose["services"][name]["environment"][environment.DATA_KEY]
        for name in ("api", "projections")
    }
    assert len(set(paths.values())) == 1
    for name, path in paths.items():
        secret = path.removeprefix("/run/secrets/")
        assert secret in compose["services"][name]["secrets"], name
    assert compose["secrets"][secret]["file"].startswith("./var/")


def test_postgres_is_healthy_when_pg_isready_says_so(services: dict[str, dict[str, Any]]) -> None:
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]


def test_the_api_health_check_asks_a_real_route_on_the_served_port(
    services: dict[str, dict[str, Any]],
) -> None:
    from api.app import create_app

    check = " ".join(services["api"]["healthcheck"]["test"])
    match = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", check)
    assert match is not None
    assert match.group(2) in create_app().openapi()["paths"]
    assert match.group(2) in ("/readyz", "/healthz")
    assert int(match.group(1)) == parsed(services["api"]["command"]).port


def code_reads() -> set[str]:
    """Every TIMEBANK_* string literal in the code, outside the list itself."""
    names: set[str] = set()
    for layer in LAYERS:
        for path in (ROOT / layer).rglob("*.py"):
            if path == ROOT / "api" / "environment.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    names.update(re.findall(r"^TIMEBANK_[A-Z_]+$", node.value))
    return names


def test_the_list_of_variables_is_exactly_what_the_code_reads() -> None:
    assert code_reads() == set(environment.ENVIRONMENT)


def test_the_installed_package_carries_every_file_the_code_needs() -> None:
    """The image installs a wheel, which holds only the files pyproject.toml names."""
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    globs = settings.get("package-data", {})
    missing = [
        str(path.relative_to(ROOT))
        for layer in LAYERS
        for path in (ROOT / layer).rglob("*")
        if path.is_file()
        and path.suffix not in (".py", ".pyc")
        and "__pycache__" not in path.parts
        and not any(
            fnmatch.fnmatch(str(path.relative_to(ROOT / layer)), g) for g in globs.get(layer, [])
        )
    ]
    assert not missing


def test_the_image_installs_every_package_and_leaves_secrets_out() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\w+) ", dockerfile, re.M))
    assert set(LAYERS) <= copied
    assert "pip install" in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var", ".env", "*.pem"} <= set(ignored)
