"""Witnesses: is this organisation's witness keeping up, and does the log have its quorum?"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.routers.transparency import get_witness_log, transparency_log
from api.web.access import OrgDep
from api.web.pages import render
from ledger.ports import wall_seconds
from projections.tlog.cosignature import parse_cosigner_key
from projections.witness_log import WitnessLog, witness_name

router = APIRouter(prefix="/app/o/{org}", include_in_schema=False)


@router.get("/witnesses")
def witnesses_page(request: Request, context: OrgDep) -> Response:
    witnesses = get_witness_log(transparency_log(request.app.state.audit_log, request), request)
    latest = witnesses.log.reads.note()
    size = int(latest["size"]) if latest else 0
    rows = [_row(key, size) for key in witnesses.progress()]
    return render(
        request,
        "witnesses.html",
        context.visitor,
        context=context,
        mine=[row for row in rows if row["organisation"] == context.org],
        size=size,
        quorum=_quorum(witnesses, rows, size),
        nav="witnesses",
    )


def _row(key: dict[str, Any], size: int) -> dict[str, Any]:
    cosigned = key["size"]
    ago = int(wall_seconds() - key["time"]) if key["time"] is not None else None
    return {
        "name": parse_cosigner_key(str(key["vkey"])).name,
        "organisation": key["organisation"],
        "size": cosigned,
        "ago": _ago(ago) if ago is not None else None,
        "behind": size - cosigned if cosigned is not None else None,
    }


def _ago(seconds: int) -> str:
    for unit, length in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= length:
            count = seconds // length
            return f"{count} {unit}{'s' if count > 1 else ''} ago"
    return "just now"


def _quorum(witnesses: WitnessLog, rows: list[dict[str, Any]], size: int) -> dict[str, Any]:
    policy = witnesses.policy()
    current = {witness_name(k["id"]) for k in witnesses.progress() if k["size"] == size}
    group = next((g for g in policy.groups if g.name == policy.quorum), None)
    return {
        "met": bool(rows) and policy.satisfied(current),
        "threshold": group.threshold if group else 0,
        "organisations": sorted({r["organisation"] for r in rows}),
        "cosigned": sorted({r["organisation"] for r in rows if r["behind"] == 0}),
    }
