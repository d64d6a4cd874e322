"""Which addresses a server-side fetch may reach (core/outbound.py fetches).

Only public addresses, unless the caller's allow-list opens more. What may be reached although it is
not public depends on who asks, so every caller names its allow-list (`allowed_for`):
`FRAMEWISE_OUTBOUND_ALLOW` for video sources (an on-premise media server; the tests' loopback server),
`FRAMEWISE_WEBHOOK_ALLOW` for webhook receivers (whose answers owners read back),
`FRAMEWISE_SEARCH_MEDIA_ALLOW` for search query images (which any viewer can send). None of them shares
another's list. An entry is a CIDR (every address in it may be reached) or a host name: the name is
resolved like any other, and its addresses may be private-network ones (RFC 1918, IPv6 ULA,
carrier-grade NAT) but never loopback, link-local (cloud metadata), unspecified or multicast ones,
which only a listed range opens.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Ranges that `ipaddress` reports as global but that must not be reached from a server.
_EXTRA_BLOCKED: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",  # "this network"
        "100.64.0.0/10",  # carrier-grade NAT: reaches the provider's internal hosts
        "192.0.0.0/24",  # IETF protocol assignments
        "192.88.99.0/24",  # 6to4 relay anycast
        "198.18.0.0/15",  # benchmarking
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments (Teredo and friends)
        "2001:db8::/32",  # documentation
        "5f00::/16",  # segment routing
        "fec0::/10",  # deprecated site-local
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


@dataclass(frozen=True)
class AllowList:
    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for entry in (e.strip() for e in entries):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        return cls(networks=tuple(networks), hosts=frozenset(hosts))

    def refusal(self, host: str, address: IPAddress) -> str | None:
        """Why `address`, an answer for `host`, may not be reached under this list; None if it may."""
        reason = refusal_reason(address)
        if reason is None or any(address in net for net in self.networks if net.version == address.version):
            return None
        if host.lower() in self.hosts and reason in _NAMED_HOST_MAY_REACH:
            return None
        return reason


Purpose = Literal["video", "webhook", "search_media"]
ALLOW_SETTINGS: dict[str, str] = {
    "video": "FRAMEWISE_OUTBOUND_ALLOW",
    "webhook": "FRAMEWISE_WEBHOOK_ALLOW",
    "search_media": "FRAMEWISE_SEARCH_MEDIA_ALLOW",
}
# What a listed host name may resolve to: the private network the operator meant, nothing more.
_NAMED_HOST_MAY_REACH = frozenset({"private", "carrier-grade NAT"})


def allowed_for(purpose: Purpose) -> AllowList:
    """The allow-list of one kind of outbound URL, read from its own setting."""
    return AllowList.parse(getattr(settings, ALLOW_SETTINGS[purpose], ()) or ())


def refusal_reason(address: IPAddress) -> str | None:
    """Why `address` must not be reached from this server, or None if it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        # IPv6 spellings of an IPv4 address are judged by that IPv4 address.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is None and int(address) >> 32 == 0 and int(address) > 1:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)  # deprecated IPv4-compatible ::a.b.c.d
        if embedded is not None:
            return refusal_reason(embedded)
    if address.is_loopback:
        return "loopback"
    if address.is_unspecified:
        return "unspecified"
    if address.is_link_local:
        return "link-local (including cloud metadata)"
    if address.is_multicast:
        return "multicast"
    if address in _CGNAT:
        return "carrier-grade NAT"
    if any(address in net for net in _EXTRA_BLOCKED) or address.is_reserved:
        return "reserved"
    if address.is_private or not address.is_global:
        return "private"
    return None
