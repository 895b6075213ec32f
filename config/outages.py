"""A part Fanfare relies on is briefly down: answer 503 with Retry-After, never a 500.

The database, the S3 endpoint and the broker (or the Redis cache next to it) can each be
restarted or unreachable for a moment. A request that meets such an outage gets a plain
answer saying what is unavailable and when to try again: JSON (`{"detail": ...}`) under /api/,
a small page elsewhere. The page is rendered without the request's context processors, since
those may need the very database that is down.

DRF's APIView.handle_exception re-raises exceptions that are not API errors, so this
middleware's process_exception sees outages in API views as well as in pages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from botocore.exceptions import ConnectionClosedError, ReadTimeoutError
from botocore.exceptions import ConnectionError as StorageConnectionError
from django.db import InterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 15

# Which exceptions mean which part is unavailable. botocore's ConnectionError covers
# EndpointConnectionError and ConnectTimeoutError (and proxy failures).
OUTAGES: tuple[tuple[str, tuple[type[BaseException], ...]], ...] = (
    ("database", (DatabaseOperationalError, InterfaceError)),
    ("storage", (StorageConnectionError, ConnectionClosedError, ReadTimeoutError)),
    ("queue", (BrokerOperationalError, RedisConnectionError, RedisTimeoutError)),
)


def outage_of(exc: BaseException) -> str | None:
    """Which part an exception says is unavailable ("database", "storage", "queue"), or None."""
    for part, types in OUTAGES:
        if isinstance(exc, types):
            return part
    return None


def outage_message(part: str) -> str:
    messages = {
        "database": _("Fanfare's database is briefly unavailable. Please try again in a moment."),
        "storage": _("Fanfare's file storage is briefly unavailable. Please try again in a moment."),
        "queue": _("Fanfare's background service is briefly unavailable. Please try again in a moment."),
    }
    return messages[part]


class ServiceOutageMiddleware:
    """Turn an outage of the database, the S3 endpoint or the broker into a 503 with Retry-After."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        part = outage_of(exception)
        if part is None:
            return None
        log.warning(
            "%s unavailable during %s %s: %s: %s",
            part,
            request.method,
            request.path,
            type(exception).__name__,
            exception,
        )
        return outage_response(request, part)


def outage_response(request: HttpRequest, part: str) -> HttpResponse:
    """The 503 for an outage of `part`: JSON on /api/, a small page elsewhere, with Retry-After.

    For middleware that runs before the views (its exceptions never reach process_exception).
    """
    message = outage_message(part)
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=503)
    else:
        html = render_to_string("outage.html", {"message": message, "retry_after": RETRY_AFTER_SECONDS})
        response = HttpResponse(html, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
