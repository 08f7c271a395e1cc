"""Which `Host` headers name the preview server, and when to warn that others can reach it.

Requests whose `Host` is not loopback, the bound host, this machine's name or the address the
client connected to are refused: that is what DNS rebinding looks like (a page of another site
that resolved to this machine). Nothing here asks DNS; names are read from the system.
"""

from __future__ import annotations

import ipaddress
import socket

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def host_name(header: str) -> str:
    """The host of a `Host` header without its port: "[::1]:8000" -> "::1"."""
    header = header.strip().lower()
    if header.startswith("["):
        closing = header.find("]")
        return header[1:closing] if closing > 0 else ""
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def is_loopback(host: str) -> bool:
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def machine_names() -> frozenset[str]:
    """This machine's host name as LAN clients write it: `box`, `box.lan`, `box.local` (mDNS).
    Read from the system, never looked up (no DNS query)."""
    full = socket.gethostname().lower()
    short = full.split(".", 1)[0]
    return frozenset(name for name in (full, short, short + ".local") if name)


def same_address(name: str, local_address: str) -> bool:
    """Whether the host `name` is the IP address `local_address` (an IPv4 address also matches
    its IPv4-mapped IPv6 form, which a dual-stack socket reports)."""
    try:
        asked, ours = (ipaddress.ip_address(text.split("%", 1)[0]) for text in (name, local_address))
    except ValueError:  # a name, not an address
        return False
    return _unmapped(asked) == _unmapped(ours)


def _unmapped(address: ipaddress.IPv4Address | ipaddress.IPv6Address):
    return address.ipv4_mapped or address if address.version == 6 else address


def exposure_warning(host: str) -> str | None:
    """A warning to print when `host` makes the preview reachable from other machines."""
    if is_loopback(host):
        return None
    return (
        f"serving on {host or 'all interfaces'}: other machines on the network can read the "
        "preview; use the default --host 127.0.0.1 unless you mean to share it"
    )
