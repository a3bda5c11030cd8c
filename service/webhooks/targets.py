"""Webhook targets: which URLs the farm will POST to (SSRF guard), resolved once and pinned.

``check_target`` accepts only ``http``/``https`` URLs without userinfo whose host resolves, and only
when every resolved address is globally routable (see ``is_public_address``): internal networks
(loopback, private ranges, link-local and cloud metadata, CGNAT, and the IPv6 forms that carry them)
are refused unless HUSH_WEBHOOK_ALLOW_PRIVATE=1 (tests only). The resolver judges odd literal forms
(``2130706433``, ``0x7f.1``, ``127.1``): we never reason about the spelling, only about what it
resolves to.

DNS rebinding: every delivery attempt resolves and checks the target again and then connects to
exactly the checked addresses (``Target.addresses``, pinned): the request goes to
``https://<checked ip>:<port>/path`` with ``Host: <hostname>`` and TLS SNI/certificate check against
``<hostname>``. No second DNS lookup happens between check and connect.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["IpAddress", "Resolver", "Target", "WebhookResolveError", "WebhookTargetError", "check_target",
           "is_public_address", "resolve_target"]

_DNS_NAME_RE = re.compile(r"(?=.{1,253}\.?$)([a-z0-9_-]{1,63})(\.[a-z0-9_-]{1,63})*\.?")

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class WebhookTargetError(ValueError):
    """A webhook URL we refuse to deliver to (scheme, userinfo, internal address...)."""


class WebhookResolveError(WebhookTargetError):
    """The webhook host did not resolve. Transient for a delivery (retried), fatal for ``check_target``."""


# Special-purpose blocks that are not globally reachable (IANA registries), listed here as well so the
# verdict does not depend on which Python patch release's ipaddress tables are installed.
_NOT_GLOBAL = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/8", "100::/64", "2001::/23", "2001:db8::/32", "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10",
        "fec0::/10", "ff00::/8",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_V4_COMPAT = ipaddress.ip_network("::/96")


def _embedded_v4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries and that a gateway would reach, if any."""
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr in _NAT64 or addr in _V4_COMPAT:
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if addr.sixtofour is not None:
        return addr.sixtofour
    if addr.teredo is not None:
        return addr.teredo[1]
    return None


def is_public_address(addr: IpAddress) -> bool:
    """True for a globally routable unicast address: refuses loopback, private, link-local (169.254/16,
    metadata services), CGNAT 100.64/10, multicast, unspecified, reserved, documentation and
    benchmarking ranges, and IPv6 forms (mapped, compatible, NAT64, 6to4, Teredo) that carry any of them."""
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.scope_id:
            return False
        v4 = _embedded_v4(addr)
        if v4 is not None:
            if addr in _V4_COMPAT:
                return False  # deprecated ::a.b.c.d, never a legitimate target
            if addr in _NAT64 or addr.ipv4_mapped is not None:
                return is_public_address(v4)  # the IPv4 address is what is reached; judge it alone
            if not is_public_address(v4):
                return False
    if any(addr in net for net in _NOT_GLOBAL if net.version == addr.version):
        return False
    return (
        addr.is_global
        and not addr.is_private
        and not addr.is_loopback
        and not addr.is_link_local
        and not addr.is_multicast
        and not addr.is_unspecified
        and not addr.is_reserved
        and not (isinstance(addr, ipaddress.IPv6Address) and addr.is_site_local)
    )


def _never_a_receiver(addr: IpAddress) -> bool:
    """Refused even with allow_private: no single host answers there."""
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_unspecified or addr.is_multicast or addr == ipaddress.IPv4Address("255.255.255.255")


@dataclass(frozen=True)
class Target:
    """A checked webhook target: where to connect (pinned addresses) and what to tell the server."""

    url: str
    scheme: str
    host: str
    """Hostname as written (lowercase; no brackets for IPv6), for Host and TLS SNI."""
    port: int
    path: str
    """Path and query, at least "/"."""
    addresses: tuple[IpAddress, ...]
    """Every resolved address, all checked; connect only to these."""

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    def url_for(self, addr: IpAddress) -> str:
        ip = f"[{addr}]" if isinstance(addr, ipaddress.IPv6Address) else str(addr)
        return f"{self.scheme}://{ip}:{self.port}{self.path}"


Resolver = Callable[..., Iterable[tuple[Any, ...]]]


def resolve_target(url: str, *, allow_private: bool = False, resolve: Resolver = socket.getaddrinfo) -> Target:
    """Parse, resolve and check a webhook URL; the returned ``Target`` pins the checked addresses."""
    if not isinstance(url, str):
        raise WebhookTargetError(f"webhook URL must be a string, got {type(url).__name__}")
    if len(url) > 2048:
        raise WebhookTargetError(f"webhook URL is {len(url)} characters, at most 2048 expected")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in url):
        raise WebhookTargetError("webhook URL contains whitespace, control characters or a backslash")
    if not url.isascii():
        raise WebhookTargetError("webhook URL must be ASCII (punycode the host, percent-encode the path)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookTargetError(f"webhook URL does not parse: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise WebhookTargetError(f"webhook URL scheme must be http or https, got {parts.scheme or 'none'!r}")
    if "@" in parts.netloc:
        raise WebhookTargetError("webhook URL must not carry userinfo (user:password@)")
    host = (parts.hostname or "").lower()
    if not host:
        raise WebhookTargetError("webhook URL has no host")
    if "%" in host:
        raise WebhookTargetError("webhook URL host must not carry an IPv6 zone id")
    literal: IpAddress | None = None
    if parts.netloc.startswith("["):
        try:
            literal = ipaddress.IPv6Address(host)
        except ValueError:
            raise WebhookTargetError(f"webhook URL has a bracketed host that is not IPv6: {host!r}") from None
    elif not _DNS_NAME_RE.fullmatch(host):
        raise WebhookTargetError(f"webhook URL host {host!r} is not a DNS name or IP address")
    if port is None:
        port = 443 if scheme == "https" else 80
    if not 0 < port < 65536:
        raise WebhookTargetError(f"webhook URL port must be 1-65535, got {port}")

    try:
        infos = list(resolve(host, port, type=socket.SOCK_STREAM))
    except (OSError, UnicodeError) as exc:
        raise WebhookResolveError(f"webhook host {host!r} does not resolve: {exc}") from None
    addresses: list[IpAddress] = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]
        try:
            addr = ipaddress.ip_address(raw)
        except ValueError:
            raise WebhookTargetError(f"resolver returned {raw!r} for {host!r}, not an IP address") from None
        if addr not in addresses:
            addresses.append(addr)
    if not addresses:
        raise WebhookResolveError(f"webhook host {host!r} resolved to no address")
    if literal is not None and addresses != [literal]:
        raise WebhookTargetError(f"IPv6 literal {host} resolved to {', '.join(map(str, addresses))}")
    for addr in addresses:
        if _never_a_receiver(addr) or (not allow_private and not is_public_address(addr)):
            raise WebhookTargetError(f"webhook host {host!r} resolves to {addr}, which is not a public address")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(url=url, scheme=scheme, host=host, port=port, path=path, addresses=tuple(addresses))


def check_target(url: str, *, allow_private: bool = False, resolve: Resolver = socket.getaddrinfo) -> None:
    """Raise ``WebhookTargetError`` unless ``url`` is an http(s) URL whose every address is public."""
    resolve_target(url, allow_private=allow_private, resolve=resolve)
