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
