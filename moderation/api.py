"""Moderation over the API: the queue, claims, decisions, shortlist and publishing."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import MODERATE_ROLES, READ_ROLES
from accounts.permissions import api_user, brand_for_member
from campaigns.models import Campaign, Guideline
from config.schema import errors
from moderation import services
from moderation.models import Decision, DecisionAction, ShortlistItem
from moderation.selectors import feature_document
from submissions.api import EntryOut, GuidelineRef
from submissions.models import Entry, EntryState


class QueueEntryOut(EntryOut):
    claimed_by = serializers.CharField(source="claimed_by.email", allow_null=True, default=None)
    claim_expires_at = serializers.DateTimeField(allow_null=True)
    guidelines = serializers.SerializerMethodField()

    class Meta(EntryOut.Meta):
        fields = (*EntryOut.Meta.fields, "claimed_by", "claim_expires_at", "guidelines")

    @extend_schema_field(GuidelineRef(many=True))
    def get_guidelines(self, entry: Entry) -> list[dict[str, Any]]:
        return [
            {"number": g.number, "code": g.code, "text": g.text} for g in entry.campaign.guidelines.filter(active=True)
        ]


class BrandQueue(generics.ListAPIView[Entry]):
    """Pending entries of the brand's campaigns, oldest first (members of the brand only)."""

    serializer_class = QueueEntryOut
    permission_classes = (IsAuthenticated,)

    def get_queryset(self) -> QuerySet[Entry]:
        brand = brand_for_member(user=self.request.user, brand_slug=self.kwargs["brand"], roles=READ_ROLES)
        return (
            Entry.objects.filter(campaign__brand=brand, state=EntryState.PENDING)
            .select_related("campaign", "author", "claimed_by")
            .prefetch_related("renditions")
            .order_by("created_at")
        )


class BrandQueueClaim(APIView):
    """Lease the next pending entry to the caller; 204 when the queue is empty."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(request=None, responses={200: QueueEntryOut, 204: OpenApiResponse(description="Queue empty")})
    def post(self, request: Request, brand: str) -> Response:
        brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=MODERATE_ROLES)
        entry = services.queue_claim_next(actor=api_user(request), brand=brand_obj)
        if entry is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(QueueEntryOut(entry, context={"request": request}).data)


class DecisionIn(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=[DecisionAction.APPROVE, DecisionAction.REJECT])
    guidelines = serializers.ListField(
        child=serializers.CharField(max_length=32),
        required=False,
        default=list,
        help_text="Codes of the campaign's guidelines; at least one when rejecting.",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=services.NOTE_MAX)


class DecisionOut(serializers.ModelSerializer[Decision]):
    entry = serializers.UUIDField(source="entry_id")
    moderator = serializers.CharField(source="moderator.email")
    guidelines = serializers.SlugRelatedField[Guideline](slug_field="code", many=True, read_only=True)
    state = serializers.CharField(source="entry.state")

    class Meta:
        model = Decision
        fields = ("id", "entry", "action", "guidelines", "note", "moderator", "created_at", "state")


class EntryDecision(APIView):
    """Approve or reject a pending entry (moderators of its brand)."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(request=DecisionIn, responses={201: DecisionOut, **errors(409)})
    def post(self, request: Request, entry_id: str) -> Response:
        data = DecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        decision = services.entry_decide(
            actor=api_user(request),
            entry_id=entry_id,
            action=data.validated_data["action"],
            guideline_codes=data.validated_data["guidelines"],
            note=data.validated_data["note"],
        )
        return Response(DecisionOut(decision).data, status=status.HTTP_201_CREATED)


class ShortlistOut(serializers.Serializer[ShortlistItem]):
    entry = serializers.UUIDField(source="entry_id")
    week = serializers.SerializerMethodField()

    def get_week(self, item: ShortlistItem) -> str:
        return f"{item.iso_year}-W{item.iso_week:02d}"


class EntryShortlist(APIView):
    """Add an approved entry to this week's shortlist (POST) or take it off (DELETE)."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(request=None, responses={201: ShortlistOut, **errors(409)})
    def post(self, request: Request, entry_id: str) -> Response:
        item = services.entry_shortlist(actor=api_user(request), entry_id=entry_id)
        return Response(ShortlistOut(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, entry_id: str) -> Response:
        services.entry_unshortlist(actor=api_user(request), entry_id=entry_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FeatureDocumentOut(serializers.Serializer[dict[str, Any]]):
    campaign = serializers.DictField()
    week = serializers.CharField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    entries = serializers.ListField(child=serializers.DictField())


class FeaturePublish(APIView):
    """Publish this week's feature of a campaign now (owners and admins of its brand)."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(request=None, responses={201: FeatureDocumentOut, **errors(409)})
    def post(self, request: Request, slug: str) -> Response:
        campaign = get_object_or_404(Campaign, slug=slug)
        brand_for_member(user=request.user, brand_slug=campaign.brand.slug)  # outsiders: 404
        services.feature_publish(campaign=campaign, actor=api_user(request))
        return Response(feature_document(campaign=campaign), status=status.HTTP_201_CREATED)
