"""The audit trail over the API: an entry's timeline, a brand's records, and their streamed exports.

Who reads what:
- An entry's timeline: every member of the entry's brand (READ_ROLES), moderators included, since
  they need to see what happened to an entry before they act on it again.
- A brand's whole record and its exports: owners, admins and analysts (AUDIT_ROLES). The record
  names every moderator's decisions and every opening of a fan's original, so it is an oversight
  tool for those who answer for the brand (and for analysts, who report on it); moderators are the
  people it audits, and they get no bulk read of their colleagues' work.
Everyone else gets 404, as everywhere in the API.

This module is an edge of the app: it asks accounts who may read and submissions which brand an
entry belongs to; the model, the writer and the selectors import no other app.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import AUDIT_ROLES, READ_ROLES
from accounts.permissions import api_user, brand_for_member, require_brand_role
from activity import selectors
from activity.models import Activity
from config.schema import errors
from submissions.models import Entry

EXPORT_FIELDS = ("id", "at", "actor", "verb", "target_type", "target_id", "campaign_id", "entry_id", "snapshot")
# Rows fetched from the database at a time while an export streams (a server-side cursor on
# PostgreSQL): a million-row export never sits in memory.
EXPORT_CHUNK = 2000
# Lines sent to the client at a time: one write per line would cost more than making the line.
EXPORT_LINES_PER_WRITE = 500
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ActivityOut(serializers.Serializer[Activity]):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.CharField(help_text="The person's e-mail at the time, `fan:<id>`, or `system:<rule>`.")
    verb = serializers.CharField(help_text="`<entity>.<verb>`, e.g. `entry.approved`.")
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    campaign_id = serializers.IntegerField(allow_null=True)
    entry_id = serializers.UUIDField(allow_null=True)
    snapshot = serializers.JSONField(help_text="Ids, states, guideline codes, notes at the time.")


class ActivityListOut(serializers.Serializer[dict[str, Any]]):
    results = ActivityOut(many=True)


def _param(name: str, schema: dict[str, Any], description: str) -> OpenApiParameter:
    return OpenApiParameter(name, type=schema, location=OpenApiParameter.QUERY, required=False, description=description)


WHEN_SCHEMA = {
    "anyOf": [
        {"type": "string", "format": "date"},
        {"type": "string", "format": "date-time"},
        {"type": "string", "enum": [""]},
    ],
}
FILTERS = [
    _param("since", WHEN_SCHEMA, "From this date (its start, UTC) or date-time on."),
    _param("until", WHEN_SCHEMA, "Up to this date (its end, UTC) or date-time, not included."),
    _param(
        "actor",
        {"type": "string", "pattern": selectors.ACTOR_PATTERN, "maxLength": 254},
        "An e-mail address, a person's id, `system` (every automatic actor) or `system:<rule>`.",
    ),
    _param(
        "verb",
        {"type": "string", "pattern": selectors.VERB_PATTERN, "maxLength": 64},
        "The start of the verb: `entry.` for everything about entries, `entry.approved` for one.",
    ),
]


class EntryActivity(APIView):
    """What happened to one entry, oldest first (every member of its brand; 404 for anyone else).

    Still readable after the entry itself was deleted: the records keep its id.
    """

    permission_classes = (IsAuthenticated,)

    @extend_schema(responses=ActivityListOut)
    def get(self, request: Request, entry_id: str) -> Response:
        try:
            brand_id = Entry.objects.filter(pk=entry_id).values_list("brand_id", flat=True).first()
        except (ValueError, ValidationError) as exc:  # not a UUID
            raise Http404 from exc
        if brand_id is None:
            brand_id = selectors.brand_of_entry_activity(entry_id=entry_id)
        if brand_id is None:
            raise Http404
        require_brand_role(user=api_user(request), brand_id=brand_id, roles=READ_ROLES)
        rows = selectors.activity_of_entry(entry_id=entry_id)
        return Response({"results": ActivityOut(rows, many=True).data})  # type: ignore[arg-type]  # many=True takes a queryset; the stubs expect one instance


def _filters(request: Request) -> selectors.ActivityFilters:
    return selectors.activity_filters(request.query_params)


@extend_schema(parameters=FILTERS)
class BrandActivity(generics.ListAPIView[Activity]):
    """The brand's activity records, newest first, with filters (owners, admins, analysts).

    A filter that cannot be read is a 400 naming it; an empty one is no filter; a range that ends
    before it starts matches nothing.
    """

    serializer_class = ActivityOut
    permission_classes = (IsAuthenticated,)

    def get_queryset(self) -> QuerySet[Activity]:
        brand = brand_for_member(user=self.request.user, brand_slug=self.kwargs["brand"], roles=AUDIT_ROLES)
        return selectors.activity_of_brand(brand_id=brand.pk, filters=_filters(self.request))


# --- Exports --------------------------------------------------------------------------------------
def neutralised(value: str) -> str:
    """A text cell a spreadsheet will show as text: one that starts like a formula gets a leading '."""
    return f"'{value}" if value.startswith(FORMULA_START) else value


def _cells(row: dict[str, Any]) -> list[str]:
    return [
        str(row["id"]),
        row["at"].isoformat(),
        neutralised(row["actor"]),
        neutralised(row["verb"]),
        neutralised(row["target_type"]),
        neutralised(row["target_id"]),
        "" if row["campaign_id"] is None else str(row["campaign_id"]),
        "" if row["entry_id"] is None else str(row["entry_id"]),
        neutralised(json.dumps(row["snapshot"], ensure_ascii=False, sort_keys=True)),
    ]


class _Line:
    """A file-like object for csv.writer that hands back what it was given."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(EXPORT_FIELDS)
    for row in rows:
        yield writer.writerow(_cells(row))


def jsonl_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    for row in rows:
        entry_id = row["entry_id"]
        out = {**row, "at": row["at"].isoformat(), "entry_id": None if entry_id is None else str(entry_id)}
        yield json.dumps(out, ensure_ascii=False) + "\n"


def _batched(lines: Iterator[str]) -> Iterator[str]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= EXPORT_LINES_PER_WRITE:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def _export_name(slug: str, filters: selectors.ActivityFilters, extension: str) -> str:
    def day(value: dt.datetime | None, fallback: str) -> str:
        return value.date().isoformat() if value else fallback

    until = filters.until - dt.timedelta(microseconds=1) if filters.until else None
    today = timezone.now().date().isoformat()
    return f"{slug}-activity-{day(filters.since, 'start')}-to-{day(until, today)}.{extension}"


class _Export(APIView):
    """Shared by the CSV and JSON lines exports: who may, which rows, one streamed answer."""

    permission_classes = (IsAuthenticated,)
    media_type = ""
    extension = ""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # Refusals are JSON in the one error shape, whatever the client's Accept header asked for.
        return super().perform_content_negotiation(request, force=True)

    # The format's line writer (csv_lines, jsonl_lines): each export names its own.
    writer: Callable[[Iterable[dict[str, Any]]], Iterator[str]]

    def get(self, request: Request, brand: str) -> StreamingHttpResponse:
        brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=AUDIT_ROLES)
        filters = _filters(request)
        rows = (
            selectors.activity_of_brand(brand_id=brand_obj.pk, filters=filters)
            .order_by("at", "id")  # a log reads oldest first, and appends cleanly to the previous export
            .values(*EXPORT_FIELDS)
            .iterator(chunk_size=EXPORT_CHUNK)
        )
        response = StreamingHttpResponse(_batched(self.writer(rows)), content_type=f"{self.media_type}; charset=utf-8")
        name = _export_name(brand_obj.slug, filters, self.extension)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response


EXPORT_DOC = (
    "Streamed in the order things happened, oldest first; the file name carries the brand and the "
    "date range. Owners, admins and analysts of the brand; 404 for anyone else."
)


@extend_schema(
    parameters=FILTERS,
    responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=EXPORT_DOC), **errors(400)},
)
class BrandActivityCsv(_Export):
    """The brand's activity records as CSV, with the same filters as the list.

    Cells that a spreadsheet would run as a formula (starting with = + - @) begin with a ' instead.
    """

    media_type = "text/csv"
    extension = "csv"

    writer = staticmethod(csv_lines)


@extend_schema(
    parameters=FILTERS,
    responses={(200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.STR, description=EXPORT_DOC), **errors(400)},
)
class BrandActivityJsonl(_Export):
    """The brand's activity records as JSON lines (one record per line), with the same filters as the list."""

    media_type = "application/x-ndjson"
    extension = "jsonl"

    writer = staticmethod(jsonl_lines)
