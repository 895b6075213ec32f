"""Who the client is, for per-client limits: the peer address, or what our own proxies vouch for.

X-Forwarded-For is trusted only as far as TRUSTED_PROXY_COUNT proxies append to it (DRF's
NUM_PROXIES and allauth's ALLAUTH_TRUSTED_PROXY_COUNT are set from the same variable), so a client
cannot pick its own identity by sending the header.
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle


def client_address(request: HttpRequest) -> str:
    """The client's IP address as a string ("" when it cannot be told)."""
    ident = BaseThrottle().get_ident(request)  # type: ignore[arg-type]  # reads only request.META
    try:
        return str(ipaddress.ip_address(ident.strip()))
    except ValueError:
        return ""


def client_network(address: str) -> str:
    """What counts as one client for per-client caps: an IPv4 address, or an IPv6 /64 (one home or
    phone gets a whole /64 and can pick any address in it)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)


def burst_network(address: str) -> str:
    """The network an address belongs to for burst rules: its IPv4 /24 or IPv6 /48, as CIDR text.

    Accepts an address or what client_network stored (an IPv6 /64's network address); "" when
    the address cannot be read. A /24 or /48 is what one household, office or carrier NAT
    commonly holds, so a flood from one place is seen across the addresses it rotates through.
    """
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    prefix = 48 if ip.version == 6 else 24
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
