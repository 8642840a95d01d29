"""Who the client is behind reverse proxies: X-Forwarded-For, believed only from trusted ones.

The access log (app.audit.middleware) and the login throttle (app.auth.routers.auth) read it alike.
"""

from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

Network = IPv4Network | IPv6Network


def parse_trusted_proxies(entries: list[str]) -> tuple[Network, ...]:
    """Addresses or CIDR ranges, e.g. `10.0.0.1, 172.16.0.0/12`."""
    return tuple(ip_network(entry, strict=False) for entry in entries)


def client_ip(peer: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str | None:
    """The client's address: X-Forwarded-For is believed only hop by hop from a trusted proxy.

    Walking the header from the right, each address appended by a trusted proxy is
    accepted; the first one that is not a trusted proxy is the client. Without trusted
    proxies the header is ignored: anyone can send it.
    """
    if peer is None or not trusted or not forwarded_for or not _is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    if not hops:
        return peer
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop if _is_address(hop) else None  # what a trusted proxy saw, unreadable
    return hops[0] if _is_address(hops[0]) else peer


@lru_cache(maxsize=4096)  # the same few proxies and clients recur; parsing is most of this middleware's cost
def _parse_address(value: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(value)
    except ValueError:
        return None


def _is_address(value: str) -> bool:
    return _parse_address(value) is not None


def _is_trusted(value: str, trusted: tuple[Network, ...]) -> bool:
    address = _parse_address(value)
    return address is not None and any(address in network for network in trusted)
