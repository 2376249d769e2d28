"""Strict input: unknown query parameters, control characters in ids and query values,
duplicate JSON keys and NaN are refused."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from domain.errors import InvalidRequest


async def strict_input(request: Request) -> None:
    """Both checks below, as one dependency: each dependency costs every request."""
    reject_unknown_query(request)
    reject_control_characters(request)


def reject_unknown_query(request: Request) -> None:
    """A misspelt query parameter (`?stauts=pending`) is refused, never silently ignored."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = _KNOWN_QUERY.get(id(route))
    if known is None:
        known = _KNOWN_QUERY[id(route)] = _query_names(dependant)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise InvalidRequest(f"unknown query parameter '{unknown[0]}'", field=unknown[0])


_KNOWN_QUERY: dict[int, frozenset[str]] = {}  # by route; routes live as long as their app
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


def reject_control_characters(request: Request) -> None:
    """An id or a query value with a control character names nothing that could exist, and a
    NUL cannot even be sent to Postgres (a text value cannot hold one): refused up front."""
    sent = [*request.path_params.items(), *request.query_params.multi_items()]
    for name, value in sent:
        if CONTROL_CHARACTER.search(f"{name}{value}"):
            raise InvalidRequest(f"{name} contains a control character", field=str(name))


def _query_names(dependant: Dependant) -> frozenset[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return frozenset(names)


class StrictJSONRequest(Request):
    """JSON as the standard has it: no duplicate keys, no NaN or Infinity."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            self._json = json.loads(
                body, object_pairs_hook=_unique_keys, parse_constant=_no_constants
            )
        return self._json


class StrictJSONRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A duplicated key would otherwise be decided by whichever copy came last.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise json.JSONDecodeError(f"duplicate key '{key}'", "", 0)
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not a JSON number", "", 0)
