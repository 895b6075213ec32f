"""API plumbing: one error shape for every refusal, safe parsers, bounded pagination, the schema of errors.

Every answer under /api/ that is not a success is JSON of one shape::

    {"detail": "<a readable sentence>", "<field>": ["<message>", ...], ...}

`detail` is always there; a field's list is there when the refusal concerns that field (a body
field or a query parameter). DomainError, DRF's exceptions, unmatched paths (404) and server
errors (500) all answer in it, and the OpenAPI schema documents it (component `Error`) for every
operation with the statuses the operation can really answer (config/schema.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import DomainError, RateLimited

API_PREFIX = "/api/"
NON_FIELD = "non_field_errors"


# --- Errors -----------------------------------------------------------------------------------
def _label(field: str) -> str:
    return field.replace("_", " ").strip().capitalize() or _("This field")


def _message(field: str, error: Any) -> str:
    """One readable message; DRF's surrogate refusal also says which field holds the character."""
    text = str(error)
    if getattr(error, "code", None) == "surrogate_characters_not_allowed":
        point = text.rsplit("U+", 1)[-1].rstrip(".")
        where = _label(field) if field not in (NON_FIELD, "detail") else _("The text")
        return _(
            "%(field)s contains an invalid character (U+%(point)s, half of an emoji or a damaged symbol); "
            "remove it and try again."
        ) % {"field": where, "point": point}
    return text


def _messages(field: str, value: Any, prefix: str = "") -> list[str]:
    """Nested serializer errors (lists of items, dicts of sub-fields) flattened to plain strings."""
    if isinstance(value, dict):
        out: list[str] = []
        for key, sub in value.items():
            where = f"item {int(key) + 1}" if isinstance(key, int) or str(key).isdigit() else str(key)
            out += _messages(field, sub, f"{prefix}{where}: ")
        return out
    if isinstance(value, list | tuple):
        out = []
        for index, sub in enumerate(value):
            if isinstance(sub, dict | list | tuple):
                out += _messages(field, sub, f"{prefix}item {index + 1}: ")
            else:
                out.append(prefix + _message(field, sub))
        return out
    return [prefix + _message(field, value)]


def error_body(detail: Any) -> dict[str, Any]:
    """DRF's `exc.detail` (a string, a list or a dict of fields) in the one error shape."""
    if isinstance(detail, dict):
        body: dict[str, Any] = {}
        for field, value in detail.items():
            field = str(field)
            if field == "detail":
                continue
            body[field] = _messages(field, value) or [_("This value is not valid.")]
        if "detail" in detail:
            body["detail"] = " ".join(_messages("detail", detail["detail"]))
        elif body:
            field, messages = next(iter(body.items()))
            body["detail"] = messages[0] if field == NON_FIELD else f"{_label(field)}: {messages[0]}"
        else:
            body["detail"] = _("The request is not valid.")
        return body
    if isinstance(detail, list | tuple):
        messages = _messages(NON_FIELD, list(detail)) or [_("The request is not valid.")]
        return {"detail": messages[0], NON_FIELD: messages}
    return {"detail": _message("detail", detail)}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DomainError → its status naming the field; every DRF error → the one shape, headers kept."""
    if isinstance(exc, DomainError):
        field = exc.field or NON_FIELD
        response = Response({field: [exc.message], "detail": exc.message}, status=exc.status)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response
    answer = drf_exception_handler(exc, context)
    if answer is not None:
        answer.data = error_body(answer.data)
    return answer


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _api_error(status: int, detail: str) -> JsonResponse:
    response = JsonResponse({"detail": detail}, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


def handler(
    status: int, default: Callable[..., HttpResponse], detail: Callable[[], str]
) -> Callable[..., HttpResponse]:
    """Django's error view for `status`: JSON in the one shape under /api/, the site's page elsewhere."""

    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if _is_api(request):
            return _api_error(status, detail())
        return default(request, *args, **kwargs)

    return view


@csrf_exempt  # it changes nothing; a CSRF refusal would be an HTML 403 instead of the JSON 404
def api_not_found(request: HttpRequest) -> HttpResponse:
    """An unmatched /api/ path, also with DEBUG on; says so when only the final slash is missing."""
    from django.urls import Resolver404, resolve

    detail = _("There is no such API endpoint; see /api/docs/.")
    if not request.path.endswith("/"):
        try:
            resolve(f"{request.path}/")
        except Resolver404:
            pass
        else:
            detail = _("API addresses end with a slash: %(path)s/") % {"path": request.path}
    return _api_error(404, detail)


class ApiCacheControlMiddleware:
    """API answers are private and not stored unless the view says otherwise (signed links inside).

    Public, cacheable views (the featured document) set their own Cache-Control and keep it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if _is_api(request) and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "private, no-store"
        return response


# --- Fields ---------------------------------------------------------------------------------------
ACCEPT_TERMS = _lazy("Please accept the campaign's terms to enter.")


@extend_schema_field({"type": "boolean", "enum": [True]})
class AcceptedField(serializers.BooleanField):
    """A box that must be ticked (consent): missing or false is a 400 on the field, and the schema says `true`."""

    default_error_messages: ClassVar[dict[str, Any]] = {"required": ACCEPT_TERMS, "refused": ACCEPT_TERMS}

    def to_internal_value(self, data: Any) -> bool:
        if not super().to_internal_value(data):
            self.fail("refused")
        return True


# --- Pagination -------------------------------------------------------------------------------
_WHOLE_NUMBER = re.compile(r"[0-9]{1,20}")


class Pagination(LimitOffsetPagination):
    """`?limit=&offset=`, both bounded; a value out of range or not a whole number is a 400 naming it."""

    max_limit = 200
    max_offset = 1_000_000

    def _bounded(self, request: Request, name: str, *, default: int, low: int, high: int) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        if not _WHOLE_NUMBER.fullmatch(raw) or not low <= int(raw) <= high:
            message = _("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": f"{high:,}"}
            raise exceptions.ValidationError({name: [message]})
        return int(raw)

    def get_limit(self, request: Request) -> int:
        default = self.default_limit or self.max_limit
        return self._bounded(request, self.limit_query_param, default=default, low=1, high=self.max_limit)

    def get_offset(self, request: Request) -> int:
        return self._bounded(request, self.offset_query_param, default=0, low=0, high=self.max_offset)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.limit_query_param,
                "required": False,
                "in": "query",
                "description": f"How many results per page (default {self.default_limit}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_limit},
            },
            {
                "name": self.offset_query_param,
                "required": False,
                "in": "query",
                "description": "How many results to skip.",
                "schema": {"type": "integer", "minimum": 0, "maximum": self.max_offset},
            },
        ]


class TextOnly(serializers.Serializer[Any]):
    """An input serializer whose text fields refuse numbers and booleans (DRF's CharField takes
    `"note": 5` as "5"), so a wrong type is a 400 naming the field, as the schema promises."""

    def validate(self, attrs: Any) -> Any:
        sent = self.initial_data if isinstance(self.initial_data, dict) else {}
        for name, field in self.fields.items():
            if isinstance(field, serializers.CharField) and name in sent and not isinstance(sent[name], str):
                raise serializers.ValidationError({name: [field.error_messages["invalid"]]})
        return super().validate(attrs)
