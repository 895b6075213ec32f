"""Public reports over the API, and a moderator's answer to them: keep or remove the entry."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import api_user
from config.api import TextOnly
from config.clients import client_address
from config.parsers import JSONParser
from config.schema import errors
from moderation import services
from moderation.api import DecisionOut
from submissions.api import EntryOut


class ReportIn(TextOnly):
    reason = serializers.CharField(
        max_length=40,
        help_text='"illegal", "depicted_person", "minor", or the code of one of the campaign\'s guidelines.',
    )
    details = serializers.CharField(required=False, allow_blank=True, default="", max_length=services.DETAILS_MAX)


class ReportOut(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class EntryReports(APIView):
    """Report a public entry; no account needed. One report per reporter (an account, or a daily
    salted hash of the client address and agent) per entry; rate-limited per client network.
    The answer never says whether the entry was hidden."""

    permission_classes = (AllowAny,)
    parser_classes = (JSONParser,)

    @extend_schema(request=ReportIn, responses={201: ReportOut, **errors(409, 429)})
    def post(self, request: Request, entry_id: str) -> Response:
        data = ReportIn(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_create(
            actor=request.user if request.user.is_authenticated else None,
            entry_id=entry_id,
            reason=data.validated_data["reason"],
            details=data.validated_data["details"],
            address=client_address(request),
            agent=request.META.get("HTTP_USER_AGENT", ""),
        )
        return Response(ReportOut(report).data, status=status.HTTP_201_CREATED)


class KeepIn(TextOnly):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=services.NOTE_MAX)


class EntryKeep(APIView):
    """Keep a reported entry (moderators of its brand): a hidden one is public again (featured if
    it is in a published feature), and its open reports are resolved "kept"."""

    permission_classes = (IsAuthenticated,)
    parser_classes = (JSONParser,)

    @extend_schema(request=KeepIn, responses={200: EntryOut, **errors(409)})
    def post(self, request: Request, entry_id: str) -> Response:
        data = KeepIn(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.entry_keep(actor=api_user(request), entry_id=entry_id, note=data.validated_data["note"])
        return Response(EntryOut(entry, context={"request": request}).data)


class RemoveIn(TextOnly):
    guidelines = serializers.ListField(
        child=serializers.CharField(max_length=32),
        allow_empty=False,
        help_text="Codes of the campaign's guidelines the entry breaks (at least one).",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=services.NOTE_MAX)


class EntryRemove(APIView):
    """Take down an approved, featured or hidden entry citing guidelines (moderators of its brand);
    its public files are deleted, its open reports resolved "removed" and the fan told."""

    permission_classes = (IsAuthenticated,)
    parser_classes = (JSONParser,)

    @extend_schema(request=RemoveIn, responses={201: DecisionOut, **errors(409)})
    def post(self, request: Request, entry_id: str) -> Response:
        data = RemoveIn(data=request.data)
        data.is_valid(raise_exception=True)
        decision = services.entry_remove(
            actor=api_user(request),
            entry_id=entry_id,
            guideline_codes=data.validated_data["guidelines"],
            note=data.validated_data["note"],
        )
        return Response(DecisionOut(decision).data, status=status.HTTP_201_CREATED)
