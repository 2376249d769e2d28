"""Strict query strings: a parameter the route does not know is refused."""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant

from domain.errors import InvalidRequest


async def reject_unknown_query(request: Request) -> None:
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


def _query_names(dependant: Dependant) -> frozenset[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return frozenset(names)
