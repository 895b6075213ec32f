"""Entries over the API: upload, the fan's own list, one entry."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.selectors import campaign_for_viewer
from config.clients import client_address
from submissions import selectors, services, uploads
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


def created_entry_response(entry: Entry, request: Request) -> Response:
    """201 when the entry is already processed (tasks in-process), 202 while it still is."""
    entry.refresh_from_db()
    waiting = entry.state in (EntryState.UPLOADED, EntryState.PROCESSING)
    code = status.HTTP_202_ACCEPTED if waiting else status.HTTP_201_CREATED
    return Response(EntryOut(entry, context={"request": request}).data, status=code)


class CampaignEntries(APIView):
    """Submit an entry: multipart `file`, `caption`, `alt_text`, `consent`."""

    permission_classes = (IsAuthenticated,)
    parser_classes = (MultiPartParser, FormParser)

    @extend_schema(request={"multipart/form-data": EntryIn}, responses={201: EntryOut, 202: EntryOut})
    def post(self, request: Request, slug: str) -> Response:
        campaign, _preview = campaign_for_viewer(slug=slug, user=request.user)
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
        return created_entry_response(entry, request)


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


class UploadSlotIn(serializers.Serializer):
    content_type = serializers.CharField(max_length=100, help_text="The file's type, e.g. image/jpeg or video/mp4.")
    size = serializers.IntegerField(min_value=0, help_text="The file's size in bytes.")


class UploadTargetOut(serializers.Serializer):
    url = serializers.CharField()
    method = serializers.CharField()
    fields = serializers.DictField(child=serializers.CharField(), help_text="Form fields to send before the file.")
    file_field = serializers.CharField()


class UploadSlotOut(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    max_bytes = serializers.IntegerField()
    expires_at = serializers.DateTimeField()
    upload = UploadTargetOut()
    complete_url = serializers.CharField()


class UploadCompleteIn(serializers.Serializer):
    caption = serializers.CharField(required=False, allow_blank=True, max_length=CAPTION_MAX * 2)
    alt_text = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    consent = serializers.BooleanField(required=False, default=False)


class CampaignUploads(APIView):
    """Ask for a one-time upload slot (step 1 of a direct upload).

    With S3 the answer is a presigned POST straight to the bucket; otherwise a Fanfare URL that
    streams the file to storage. Per-fan limits are checked here, before any byte is sent.
    """

    permission_classes = (IsAuthenticated,)

    @extend_schema(request=UploadSlotIn, responses={201: UploadSlotOut})
    def post(self, request: Request, slug: str) -> Response:
        campaign, _preview = campaign_for_viewer(slug=slug, user=request.user)
        data = UploadSlotIn(data=request.data)
        data.is_valid(raise_exception=True)
        slot = uploads.upload_slot_create(
            author=request.user,
            campaign=campaign,
            content_type=data.validated_data["content_type"],
            size=data.validated_data["size"],
            client=client_address(request),
        )
        body = {
            "id": slot.pk,
            "kind": slot.kind,
            "max_bytes": slot.max_bytes,
            "expires_at": slot.expires_at,
            "upload": uploads.upload_target(slot),
            "complete_url": reverse("api-upload-complete", kwargs={"slot_id": slot.pk}),
        }
        return Response(UploadSlotOut(body).data, status=status.HTTP_201_CREATED)


class UploadFile(APIView):
    """Step 2 with local storage: the file itself (multipart `file`), streamed to storage."""

    permission_classes = (IsAuthenticated,)
    parser_classes = (MultiPartParser,)

    @extend_schema(request={"multipart/form-data": EntryIn}, responses={204: None})
    def post(self, request: Request, slot_id: str) -> Response:
        # A plain text field named `file` counts as no file: the service then refuses it (400, `file`).
        sent = request.data.get("file")
        upload = sent if isinstance(sent, UploadedFile) else None
        uploads.upload_slot_receive(
            author=request.user, slot_id=slot_id, upload=upload, size=upload.size if upload is not None else 0
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class UploadComplete(APIView):
    """Step 3: the bytes are in storage; check them and create the entry."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(request=UploadCompleteIn, responses={201: EntryOut, 202: EntryOut})
    def post(self, request: Request, slot_id: str) -> Response:
        data = UploadCompleteIn(data=request.data)
        data.is_valid(raise_exception=True)
        entry = uploads.upload_slot_complete(author=request.user, slot_id=slot_id, **data.validated_data)
        return created_entry_response(entry, request)
