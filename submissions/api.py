"""Entries over the API: upload, the fan's own list, one entry."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import api_user
from campaigns.models import MAX_BYTES_LIMIT, Campaign
from campaigns.selectors import campaign_for_viewer
from config.api import AcceptedField
from config.clients import client_address
from config.parsers import MultiPartParser
from config.schema import errors
from submissions import resubmissions, selectors, services, uploads
from submissions.models import ALT_TEXT_MAX, CAPTION_MAX, Entry, EntryState

ALT_TEXT_NEEDED = _("Describe the picture in a few words for people who cannot see it.")


class EntryDetailsIn(serializers.Serializer[Any]):
    """What a fan writes about an entry; the same limits as the model and the service."""

    caption = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=CAPTION_MAX,
        error_messages={
            "max_length": _("The caption is longer than %(max)s characters.") % {"max": f"{CAPTION_MAX:,}"}
        },
    )
    alt_text = serializers.CharField(
        max_length=ALT_TEXT_MAX,
        help_text="What the picture shows, for people who cannot see it.",
        error_messages={
            "required": ALT_TEXT_NEEDED,
            "blank": ALT_TEXT_NEEDED,
            "max_length": _("The description is longer than %(max)s characters.") % {"max": ALT_TEXT_MAX},
        },
    )
    consent = AcceptedField(help_text="The fan accepts the campaign's consent terms; must be true.")


class EntryIn(EntryDetailsIn):
    file = serializers.FileField(allow_empty_file=True, help_text="The photo or video.")


class UploadFileIn(serializers.Serializer[Any]):
    file = serializers.FileField(allow_empty_file=True, help_text="The photo or video.")


class RenditionOut(serializers.Serializer[dict[str, Any]]):
    url = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    format = serializers.CharField()


class GuidelineRef(serializers.Serializer[dict[str, Any]]):
    number = serializers.IntegerField()
    code = serializers.CharField()
    text = serializers.CharField()


class RejectionOut(serializers.Serializer[dict[str, Any]]):
    reason = serializers.CharField(help_text="Why processing refused the file, if it did.")
    guidelines = GuidelineRef(many=True, help_text="The campaign guidelines the entry did not follow.")
    note = serializers.CharField(help_text="The moderator's note to the fan.")


class PreviousGuidelineOut(GuidelineRef):
    fixable = serializers.BooleanField()


class PreviousDecisionOut(serializers.Serializer[dict[str, Any]]):
    action = serializers.CharField(help_text="What was decided about the earlier version: `reject`.")
    guidelines = PreviousGuidelineOut(many=True, help_text="The guidelines the rejection cited.")
    note = serializers.CharField(help_text="The moderator's note to the fan.")
    created_at = serializers.DateTimeField()
    automated = serializers.BooleanField(help_text="Whether an automatic rule made the decision.")


class EntryOut(serializers.ModelSerializer[Entry]):
    campaign = serializers.SlugRelatedField[Campaign](slug_field="slug", read_only=True)
    resubmission_of = serializers.PrimaryKeyRelatedField[Entry](
        read_only=True, allow_null=True, help_text="The rejected entry this one is a new version of, or null."
    )
    previous_decision = serializers.SerializerMethodField()
    resubmittable = serializers.SerializerMethodField()
    creator = serializers.CharField(source="author.public_name")
    state_label = serializers.CharField(source="get_state_display")
    state_explanation = serializers.CharField()
    renditions = serializers.SerializerMethodField()
    rejection = serializers.SerializerMethodField()

    class Meta:
        model = Entry
        fields: tuple[str, ...] = (
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
            "resubmission_of",
            "previous_decision",
            "resubmittable",
        )

    @extend_schema_field(PreviousDecisionOut(allow_null=True))
    def get_previous_decision(self, entry: Entry) -> dict[str, Any] | None:
        """The decision that rejected the earlier version, when this entry is a new version."""
        if entry.resubmission_of is None:
            return None
        rejection = selectors.entry_rejection(entry.resubmission_of)
        return rejection.as_dict() if rejection else None

    @extend_schema_field(serializers.BooleanField())
    def get_resubmittable(self, entry: Entry) -> bool:
        """Whether its author may send a new version now (POST .../resubmit/)."""
        return selectors.entry_resubmittable(entry)

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
            author=api_user(request),
            campaign=campaign,
            upload=upload,
            size=upload.size if upload is not None else 0,
            caption=data.validated_data.get("caption", ""),
            alt_text=data.validated_data.get("alt_text", ""),
            consent=data.validated_data["consent"],
            client=client_address(request),
        )
        return created_entry_response(entry, request)


class MyEntries(generics.ListAPIView[Entry]):
    """The signed-in fan's entries, newest first, with their state explained."""

    serializer_class = EntryOut
    permission_classes = (IsAuthenticated,)

    def get_queryset(self) -> QuerySet[Entry]:
        return selectors.entries_of_author(user=api_user(self.request))


class EntryDetail(APIView):
    """One entry: public once approved or featured; its author and its brand always."""

    permission_classes = (AllowAny,)

    @extend_schema(responses=EntryOut)
    def get(self, request: Request, entry_id: str) -> Response:
        entry = selectors.entry_visible_to(user=request.user, entry_id=entry_id)
        return Response(EntryOut(entry, context={"request": request}).data)


SEND_PHOTO_OR_VIDEO = _("Send a photo (JPEG, PNG, WebP, HEIC, GIF) or a video (MP4, MOV, WebM).")


class JSONBooleanField(serializers.BooleanField):
    """true or false as JSON has them: a form's text ("0", "on") is refused, as the schema says."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class UploadSlotIn(serializers.Serializer[Any]):
    resubmission = JSONBooleanField(
        required=False,
        default=False,
        help_text="The file is for a new version of a rejected entry (POST /entries/{id}/resubmit/ with the slot).",
    )
    content_type = serializers.ChoiceField(
        choices=sorted(set().union(*uploads.CONTENT_TYPES.values())),
        help_text="The file's type, e.g. image/jpeg or video/mp4.",
        error_messages={"invalid_choice": SEND_PHOTO_OR_VIDEO, "blank": SEND_PHOTO_OR_VIDEO},
    )
    size = serializers.IntegerField(
        min_value=1,
        max_value=MAX_BYTES_LIMIT,
        help_text="The file's size in bytes: at most the campaign's `max_bytes`.",
        error_messages={
            "min_value": _("The file is empty."),
            "max_value": _("The file is larger than any campaign accepts."),
        },
    )


class UploadTargetOut(serializers.Serializer[dict[str, Any]]):
    url = serializers.CharField()
    method = serializers.CharField()
    fields = serializers.DictField(  # type: ignore[assignment]  # DRF's metaclass takes declared fields off the class
        child=serializers.CharField(), help_text="Form fields to send before the file."
    )
    file_field = serializers.CharField()


class UploadSlotOut(serializers.Serializer[dict[str, Any]]):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    max_bytes = serializers.IntegerField()
    expires_at = serializers.DateTimeField()
    upload = UploadTargetOut()
    complete_url = serializers.CharField()


class UploadCompleteIn(EntryDetailsIn):
    pass


class CampaignUploads(APIView):
    """Ask for a one-time upload slot (step 1 of a direct upload).

    With S3 the answer is a presigned POST straight to the bucket; otherwise a Fanfare URL that
    streams the file to storage. Per-fan limits are checked here, before any byte is sent.
    """

    permission_classes = (IsAuthenticated,)

    @extend_schema(request=UploadSlotIn, responses={201: UploadSlotOut, **errors(429)})
    def post(self, request: Request, slug: str) -> Response:
        campaign, _preview = campaign_for_viewer(slug=slug, user=request.user)
        data = UploadSlotIn(data=request.data)
        data.is_valid(raise_exception=True)
        slot = uploads.upload_slot_create(
            author=api_user(request),
            campaign=campaign,
            content_type=data.validated_data["content_type"],
            size=data.validated_data["size"],
            client=client_address(request),
            resubmission=data.validated_data["resubmission"],
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

    @extend_schema(request={"multipart/form-data": UploadFileIn}, responses={204: None, **errors(409)})
    def post(self, request: Request, slot_id: str) -> Response:
        # A plain text field named `file` counts as no file: the service then refuses it (400, `file`).
        sent = request.data.get("file") if isinstance(request.data, dict) else None  # a QueryDict here
        upload = sent if isinstance(sent, UploadedFile) else None
        uploads.upload_slot_receive(
            author=api_user(request),
            slot_id=slot_id,
            upload=upload,
            size=(upload.size or 0) if upload is not None else 0,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class UploadComplete(APIView):
    """Step 3: the bytes are in storage; check them and create the entry."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(request=UploadCompleteIn, responses={201: EntryOut, 202: EntryOut, **errors(409)})
    def post(self, request: Request, slot_id: str) -> Response:
        data = UploadCompleteIn(data=request.data)
        if not data.is_valid():
            # Refused like the service's own refusals: the slot frees its place (see upload_slot_complete).
            uploads.upload_slot_release(author=api_user(request), slot_id=slot_id)
            raise serializers.ValidationError(data.errors)
        entry = uploads.upload_slot_complete(author=api_user(request), slot_id=slot_id, **data.validated_data)
        return created_entry_response(entry, request)


class ResubmitIn(EntryDetailsIn):
    slot = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="An upload slot holding the new file (POST /campaigns/{slug}/uploads/), or null to keep the file.",
        error_messages={"invalid": _("This is not an upload slot.")},
    )


class EntryResubmit(APIView):
    """Send a new version of an entry rejected for fixable guidelines only (its author, once).

    Body: `caption`, `alt_text`, `consent`, and `slot` (an upload slot holding a new file, filled
    as for any entry) or null to keep the rejected entry's file. Answers 201 with the new entry
    (202 while it is still being processed); 404 for anyone but the author, 409 when a new
    version was already sent, 400 naming `entry` when the rejection cannot be fixed this way.
    """

    permission_classes = (IsAuthenticated,)

    @extend_schema(request=ResubmitIn, responses={201: EntryOut, 202: EntryOut, **errors(404, 409)})
    def post(self, request: Request, entry_id: str) -> Response:
        user = api_user(request)
        entry = selectors.entry_visible_to(user=user, entry_id=entry_id)
        if entry.author_id != user.pk:
            raise Http404
        data = ResubmitIn(data=request.data)
        data.is_valid(raise_exception=True)
        new = resubmissions.entry_resubmit(
            actor=user,
            entry=entry,
            caption=data.validated_data.get("caption", ""),
            alt_text=data.validated_data.get("alt_text", ""),
            consent=data.validated_data["consent"],
            slot_id=data.validated_data["slot"],
        )
        return created_entry_response(new, request)
