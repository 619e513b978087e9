"""Who is on the other end of a connection: the peer's address, or behind a trusted proxy
the address that proxy saw (``X-Forwarded-For``).

Every per-address limit of the hub (sign-in, open connections) counts by what
``client_address`` returns, on the HTTP side and, when it needs one, the realtime side.
A forwarded address is believed only when the connection comes from a configured proxy
(``trusted_proxies``); anyone else's ``X-Forwarded-For`` is ignored, so a visitor cannot
pick a fresh address for each request.

>>> proxies = AddressSet.parse(["127.0.0.1"])
>>> client_address("127.0.0.1", ["198.51.100.7"], proxies)
'198.51.100.7'
>>> client_address("192.0.2.1", ["198.51.100.7"], proxies)
'192.0.2.1'
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"
"""The address of a connection whose peer cannot be told (a Unix socket, a closed one)."""


def parse_address(text: str) -> IpAddress | None:
    """An IP address as a proxy writes it (``203.0.113.5``, ``[2001:db8::1]:443``,
    ``198.51.100.2:8080``), IPv4-mapped IPv6 as IPv4; None if it is not one."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    text = text.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True)
class AddressSet:
    """Addresses and networks (``127.0.0.1``, ``10.0.0.0/8``, ``::1``)."""

    networks: tuple[IpNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AddressSet:
        """Raises ValueError naming the first entry that is neither an address nor a network."""
        networks = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network") from None
        return cls(tuple(networks))

    def __contains__(self, address: object) -> bool:
        if isinstance(address, str):
            address = parse_address(address)
        if not isinstance(address, ipaddress.IPv4Address | ipaddress.IPv6Address):
            return False
        return any(address in network for network in self.networks)

    def __bool__(self) -> bool:
        return bool(self.networks)


def client_address(
    peer: str | None, forwarded_for: Sequence[str], trusted_proxies: AddressSet
) -> str:
    """The address to count a request by.

    ``peer`` is the connection's remote address, ``forwarded_for`` every
    ``X-Forwarded-For`` header of the request (each a comma-separated list, the nearest
    hop last). Only when the peer is a trusted proxy are the hops read, from the right:
    the first one that is not itself a trusted proxy is the client. Entries left of it
    were written by the client and are never looked at.
    """
    if peer is None:
        return UNKNOWN
    nearest = parse_address(peer)
    if nearest is None:
        return peer
    if nearest not in trusted_proxies or not forwarded_for:
        return str(nearest)
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            # written by a trusted proxy, so not the client's doing: count the proxy
            return str(nearest)
        nearest = address
        if address not in trusted_proxies:
            return str(address)
    return str(nearest)
