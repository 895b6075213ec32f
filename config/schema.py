"""The OpenAPI schema's error answers: component `Error` and, per operation, the statuses it can give.

The schema class (DEFAULT_SCHEMA_CLASS) lives apart from config/api.py because DRF's generic views
read DEFAULT_PAGINATION_CLASS (config.api.Pagination) while drf-spectacular imports them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticatedOrReadOnly

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every refusal: a readable `detail`, and the messages of each field concerned.",
    "properties": {"detail": {"type": "string", "description": "A readable sentence saying what to do."}},
    "required": ["detail"],
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
ERROR_COMPONENT = ResolvedComponent(  # type: ignore[no-untyped-call]  # drf-spectacular is unannotated
    name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA
)
ERROR_REF = ERROR_COMPONENT.ref

ERRORS = {
    "400": "The request is not valid: `detail` says why, each field concerned has its messages.",
    "401": "No credentials, or they are wrong or expired (see `WWW-Authenticate`).",
    "403": "Not allowed (for a session: the CSRF token is missing or wrong).",
    "404": "Not found, or not visible to the caller.",
    "409": "The thing is no longer in a state that allows this.",
    "413": "The body is larger than the server accepts.",
    "415": "The body's Content-Type is not one this operation reads.",
    "429": "Too many requests; `Retry-After` says when to try again.",
    "503": "A service the server needs is unavailable for a moment; try again.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Error answers a view adds to its schema beyond the automatic ones (409 where a service raises Conflict).

    `@extend_schema(responses={201: EntryOut, **errors(409)})`
    """
    return {code: OpenApiResponse(response=ERROR_REF, description=ERRORS[str(code)]) for code in codes}


# Text a client may send: no NUL character (refused by every CharField); where blank is refused, one
# character that is not white space (the server strips white space before checking).
ANY_TEXT = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"


class ApiSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the error answers each operation can really give."""

    def _error_codes(self) -> Iterable[str]:
        view = self.view
        unsafe = self.method not in ("GET", "HEAD", "OPTIONS")
        has_body = unsafe and self.method != "DELETE" and self.get_request_serializer() is not None
        has_query = self._is_list_view() and self._get_paginator() is not None  # type: ignore[no-untyped-call]  # drf-spectacular is unannotated
        authenticates = bool(getattr(view, "authentication_classes", ()))
        permissions = tuple(getattr(view, "permission_classes", ()))
        open_to_all = all(p is AllowAny for p in permissions) or (
            not unsafe and all(p in (AllowAny, IsAuthenticatedOrReadOnly) for p in permissions)
        )
        if has_body or has_query:
            yield "400"
        if authenticates:
            yield "401"
        if authenticates and (not open_to_all or unsafe):
            yield "403"
        if "{" in self.path:
            yield "404"
        if has_body:
            yield from ("413", "415")
        if getattr(view, "throttle_classes", None) and getattr(view, "throttle_scope", None):
            yield "429"
        yield "503"

    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_serializer_field(  # type: ignore[no-untyped-call]  # unannotated upstream
            field, direction, bypass_extensions
        )
        if direction != "request":
            return schema
        if isinstance(field, serializers.FileField):
            return {**{k: v for k, v in schema.items() if k == "description"}, "type": "string", "format": "binary"}
        if isinstance(field, serializers.CharField) and schema.get("type") == "string" and "format" not in schema:
            if getattr(field, "allow_blank", False):
                schema["pattern"] = ANY_TEXT
            else:
                schema.update(pattern=NOT_BLANK, minLength=max(schema.get("minLength", 0), 1))
        return schema

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        super()._insert_field_validators(field, schema)  # type: ignore[no-untyped-call]  # unannotated upstream
        # drf-spectacular offers "" as a second `oneOf` branch of a blank-able field with a pattern; ANY_TEXT
        # matches "" already, and two matching branches would make "" invalid under `oneOf`.
        one_of = schema.get("oneOf")
        if one_of and len(one_of) == 2 and one_of[0].get("pattern") == ANY_TEXT and "format" not in one_of[0]:
            schema.update(schema.pop("oneOf")[0])

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        self.registry.register_on_missing(ERROR_COMPONENT)
        for code in self._error_codes():
            responses.setdefault(code, {"description": ERRORS[code]})
        for code, response in responses.items():
            if code >= "400" and "content" not in response:
                response["content"] = {"application/json": {"schema": ERROR_REF}}
        return responses
