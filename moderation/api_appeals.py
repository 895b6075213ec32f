"""Appeals over the API: the fan files one and reads it; a moderator of the brand decides it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import READ_ROLES
from accounts.permissions import api_user, member_brand_ids
from config.api import TextOnly
from config.parsers import JSONParser
from config.schema import errors
from moderation import services
from moderation.models import Appeal, AppealOutcome
from submissions.models import EntryState


class AppealIn(TextOnly):
    text = serializers.CharField(
        max_length=services.APPEAL_TEXT_MAX, help_text="Why the decision should be looked at again."
    )


class AppealOut(serializers.Serializer[Appeal]):
    id = serializers.UUIDField()
    entry = serializers.UUIDField(source="entry_id")
    text = serializers.CharField()
    created_at = serializers.DateTimeField()
    status = serializers.SerializerMethodField()
    decided_at = serializers.DateTimeField(allow_null=True)
    reasons = serializers.CharField()
    restored_to = serializers.CharField(allow_null=True)

    def get_status(self, appeal: Appeal) -> str:
        return appeal.outcome or "open"

    def to_representation(self, instance: Appeal) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["restored_to"] = data["restored_to"] or None
        return data


class AppealDecisionIn(TextOnly):
    outcome = serializers.ChoiceField(choices=AppealOutcome.values)
    restore_to = serializers.ChoiceField(
        choices=list(services.RESTORE_TO),
        required=False,
        default=EntryState.APPROVED,
        help_text="Where an upheld appeal against a rejection puts the entry; a removal goes back to approved.",
    )
    reasons = serializers.CharField(max_length=services.NOTE_MAX, help_text="Sent to the fan with the outcome.")


def _appeal_visible(request: Request, entry_id: str) -> Appeal:
    """The entry's appeal, for its author and the members of its brand; 404 for anyone else."""
    try:
        appeal = Appeal.objects.select_related("entry").filter(entry_id=entry_id).first()
    except (ValueError, DjangoValidationError) as exc:
        raise Http404 from exc
    user = api_user(request)
    if appeal is None or not (
        appeal.entry.author_id == user.pk or appeal.brand_id in member_brand_ids(user=user, roles=READ_ROLES)
    ):
        raise Http404
    return appeal


class EntryAppeal(APIView):
    """The appeal against an entry's rejection or removal: its author files it once (POST, within
    APPEAL_WINDOW_DAYS of the decision); the author and the brand's members read it (GET)."""

    permission_classes = (IsAuthenticated,)
    parser_classes = (JSONParser,)

    @extend_schema(responses={200: AppealOut, **errors(404)})
    def get(self, request: Request, entry_id: str) -> Response:
        return Response(AppealOut(_appeal_visible(request, entry_id)).data)

    @extend_schema(request=AppealIn, responses={201: AppealOut, **errors(400, 404, 409)})
    def post(self, request: Request, entry_id: str) -> Response:
        data = AppealIn(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = services.appeal_file(actor=api_user(request), entry_id=entry_id, text=data.validated_data["text"])
        return Response(AppealOut(appeal).data, status=status.HTTP_201_CREATED)


class EntryAppealDecision(APIView):
    """Decide an entry's open appeal (moderators of its brand, other than the one who made the
    contested decision): `upheld` restores the entry (`restore_to` approved or pending), `rejected`
    is final. The fan is e-mailed the outcome with the reasons."""

    permission_classes = (IsAuthenticated,)
    parser_classes = (JSONParser,)

    @extend_schema(request=AppealDecisionIn, responses={200: AppealOut, **errors(400, 404, 409)})
    def post(self, request: Request, entry_id: str) -> Response:
        data = AppealDecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = services.appeal_decide(
            actor=api_user(request),
            entry_id=entry_id,
            outcome=data.validated_data["outcome"],
            restore_to=data.validated_data["restore_to"],
            reasons=data.validated_data["reasons"],
        )
        return Response(AppealOut(appeal).data)
