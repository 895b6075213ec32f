"""API plumbing: DomainError becomes a 4xx JSON body that names the field; bounded pagination."""

from __future__ import annotations

from typing import Any

from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import DomainError, RateLimited


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        field = exc.field or "non_field_errors"
        response = Response({field: [exc.message], "detail": exc.message}, status=exc.status)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response
    return drf_exception_handler(exc, context)


class Pagination(LimitOffsetPagination):
    """`?limit=&offset=` with both bounded, so no query string reaches the database out of range."""

    max_limit = 200
    max_offset = 1_000_000

    def get_offset(self, request: Request) -> int:
        return min(super().get_offset(request), self.max_offset)
