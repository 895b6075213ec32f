"""API exception handling: DomainError becomes a 4xx JSON body that names the field."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import DomainError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        field = exc.field or "non_field_errors"
        return Response({field: [exc.message], "detail": exc.message}, status=exc.status)
    return drf_exception_handler(exc, context)
