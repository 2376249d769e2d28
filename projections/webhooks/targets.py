"""Where a webhook may point: http(s) URLs of bounded length on public addresses.

Loopback, private, link-local (cloud metadata at 169.254.169.254 among them), shared,
unique-local (fc00::/7) and other non-global addresses are refused, both when an endpoint is
registered and at every delivery, after resolving the name again: a name that resolved to a
public address at registration may resolve to 127.0.0.1 later (DNS rebinding). Delivery then
connects to the very address it checked. `TIMEBANK_WEBHOOK_ALLOW_PRIVATE=true` lifts the
address rule (a private network of partners, tests).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from domain.errors import InvalidRequest

ALLOW_PRIVATE_VAR = "TIMEBANK_WEBHOOK_ALLOW_PRIVATE"
MAX_URL = 2048
SCHEMES = {"http": 80, "https": 443}
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def private_allowed() -> bool:
    return os.environ.get(ALLOW_PRIVATE_VAR, "").strip().lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class Target:
    """A checked URL, and the address delivery connects to."""

    url: SplitResult
    host: str
    port: int
    address: str

    @property
    def connect_url(self) -> str:
        """The URL with the checked address in place of the name (so no second look-up)."""
        address = f"[{self.address}]" if ":" in self.address else self.address
        path = self.url.path or "/"
        query = f"?{self.url.query}" if self.url.query else ""
        return f"{self.url.scheme}://{address}:{self.port}{path}{query}"

    @property
    def host_header(self) -> str:
        default = SCHEMES[self.url.scheme] == self.port
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if default else f"{name}:{self.port}"


def check_url(url: str) -> SplitResult:
    """The URL's parts, if it is one a webhook may have; else InvalidRequest."""
    if len(url) > MAX_URL:
        raise InvalidRequest(f"url must be at most {MAX_URL} characters", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidRequest("url is not a valid URL", field="url") from None
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise InvalidRequest("url must be an http:// or https:// URL with a host", field="url")
    if parts.username is not None or parts.password is not None:
        raise InvalidRequest("url must not carry a user name or password", field="url")
    if parts.fragment or port == 0 or any(c.isspace() or ord(c) < 32 for c in url):
        raise InvalidRequest("url must have no fragment, port 0 or blank", field="url")
    return parts


def resolve(url: str) -> Target:
    """Check the URL, resolve its host and check every address it resolves to."""
    parts = check_url(url)
    host = str(parts.hostname)
    port = parts.port or SCHEMES[parts.scheme]
    addresses = _addresses(host, port)
    if not private_allowed():
        for address in addresses:
            if not is_public(address):
                raise InvalidRequest(
                    f"url resolves to {address}, a loopback, private or link-local address",
                    field="url",
                )
    return Target(parts, host, port, str(addresses[0]))


def _addresses(host: str, port: int) -> list[Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise InvalidRequest(f"url's host {host!r} does not resolve", field="url") from None
    found = [ipaddress.ip_address(str(info[4][0]).partition("%")[0]) for info in infos]
    if not found:
        raise InvalidRequest(f"url's host {host!r} does not resolve", field="url")
    return found


def is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast
