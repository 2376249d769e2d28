"""One delivery attempt: one change, signed, POSTed to the address that was checked.

No redirects (a 3xx is a failure, not an invitation to post elsewhere), no proxies from
the environment (they would bypass the address check), a timeout on every step, and the
answer's body is never read: the status says all there is to say.
"""

from __future__ import annotations

import httpx
import orjson

from domain.errors import InvalidRequest
from ledger.ports import wall_seconds
from projections.store import Row
from projections.webhooks.signing import signature
from projections.webhooks.table import Attempt
from projections.webhooks.targets import resolve

USER_AGENT = "timebank-ledger-webhooks/1"
ERROR_CHARS = 200


def message_id(change: Row) -> str:
    """The same on every retry of a change (`webhook-id`), and a receiver's dedupe key."""
    return f"chg_{change['position']}"


def client(timeout: float) -> httpx.Client:
    return httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)


def send(http: httpx.Client, url: str, secret: str, change: Row) -> Attempt:
    position, msg_id = int(change["position"]), message_id(change)
    try:
        target = resolve(url)  # again at each attempt: the name may point elsewhere now
    except InvalidRequest as refused:
        return Attempt(position, msg_id, delivered=False, error=str(refused)[:ERROR_CHARS])
    body = orjson.dumps(change)
    timestamp = int(wall_seconds())
    headers = {
        "host": target.host_header,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, msg_id, timestamp, body),
    }
    extensions = {"sni_hostname": target.host} if target.url.scheme == "https" else {}
    try:
        request = http.build_request(
            "POST", target.connect_url, content=body, headers=headers, extensions=extensions
        )
        response = http.send(request, stream=True)
        response.close()  # the body is not wanted, however large
    except httpx.HTTPError as error:
        detail = f"{type(error).__name__}: {error}"[:ERROR_CHARS]
        return Attempt(position, msg_id, delivered=False, error=detail)
    status = response.status_code
    if 200 <= status < 300:
        return Attempt(position, msg_id, delivered=True, http_status=status)
    return Attempt(position, msg_id, delivered=False, http_status=status, error=f"HTTP {status}")
