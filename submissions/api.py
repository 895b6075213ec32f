"""Entries over the API: upload, the fan's own list, one entry."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.models import Campaign
from submissions import selectors, services
from submissions.models import CAPTION_MAX, Entry, EntryState


class EntryIn(serializers.Serializer):
    file = serializers.FileField(required=False, allow_empty_file=True)
    caption = serializers.CharField(required=False, allow_blank=True, max_length=CAPTION_MAX * 2)
    alt_text = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    consent = serializers.BooleanField(required=False, default=False)


class RenditionOut(serializers.Serializer):
    url = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    format = serializers.CharField()


class GuidelineRef(serializers.Serializer):
    number = serializers.IntegerField()
    code = serializers.CharField()
    text = serializers.CharField()


class RejectionOut(serializers.Serializer):
    reason = serializers.CharField(help_text="Why processing refused the file, if it did.")
    guidelines = GuidelineRef(many=True, help_text="The campaign guidelines the entry did not follow.")
    note = serializers.CharField(help_text="The moderator's note to the fan.")


class EntryOut(serializers.ModelSerializer):
    campaign = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    creator = serializers.CharField(source="author.public_name")
    state_label = serializers.CharField(source="get_state_display")
    state_explanation = serializers.CharField()
    renditions = serializers.SerializerMethodField()
    rejection = serializers.SerializerMethodField()

    class Meta:
        model = Entry
        fields = (
            "id",
            "campaign",
            "kind",
            "caption",
            "alt_text",
            "creator",
            "state",
            "state_label",
            "state_explanation",
            "rejection",
            "width",
            "height",
            "renditions",
            "created_at",
        )

    @extend_schema_field(RenditionOut(many=True))
    def get_renditions(self, entry: Entry) -> list[dict[str, Any]]:
        return selectors.rendition_urls(entry)

    @extend_schema_field(RejectionOut(allow_null=True))
    def get_rejection(self, entry: Entry) -> dict[str, Any] | None:
        return selectors.rejection_of(entry)


class CampaignEntries(APIView):
    """Submit an entry: multipart `file`, `caption`, `alt_text`, `consent`."""

    permission_classes = (IsAuthenticated,)
    parser_classes = (MultiPartParser, FormParser)

    @extend_schema(request={"multipart/form-data": EntryIn}, responses={201: EntryOut, 202: EntryOut})
    def post(self, request: Request, slug: str) -> Response:
        campaign = get_object_or_404(Campaign, slug=slug)
        data = EntryIn(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data.get("file")
        entry = services.entry_create(
            author=request.user,
            campaign=campaign,
            upload=upload,
            size=upload.size if upload is not None else 0,
            caption=data.validated_data.get("caption", ""),
            alt_text=data.validated_data.get("alt_text", ""),
            consent=data.validated_data["consent"],
        )
        entry.refresh_from_db()
        code = (
            status.HTTP_202_ACCEPTED
            if entry.state in (EntryState.UPLOADED, EntryState.PROCESSING)
            else status.HTTP_201_CREATED
        )
        return Response(EntryOut(entry, context={"request": request}).data, status=code)


class MyEntries(generics.ListAPIView):
    """The signed-in fan's entries, newest first, with their state explained."""

    serializer_class = EntryOut
    permission_classes = (IsAuthenticated,)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.entries_of_author(user=self.request.user)


class EntryDetail(APIView):
    """One entry: public once approved or featured; its author and its brand always."""

    permission_classes = (AllowAny,)

    @extend_schema(responses=EntryOut)
    def get(self, request: Request, entry_id: str) -> Response:
        entry = selectors.entry_visible_to(user=request.user, entry_id=entry_id)
        return Response(EntryOut(entry, context={"request": request}).data)
