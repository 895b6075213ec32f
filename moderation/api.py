"""Moderation over the API: the queue, claims, decisions, shortlist and publishing."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import MODERATE_ROLES, READ_ROLES, Brand
from accounts.permissions import api_user, brand_for_member
from campaigns.models import Campaign, Guideline
from config.parsers import JSONParser
from config.schema import errors
from moderation import selectors, services
from moderation.models import Appeal, Decision, DecisionAction, ShortlistItem
from moderation.selectors import feature_document
from submissions.api import EntryOut, PreviousDecisionOut, PreviousGuidelineOut
from submissions.models import Entry, EntryKind
from submissions.selectors import resubmission_history


class DuplicateOut(serializers.Serializer[Any]):
    earlier_id = serializers.UUIDField()
    exact = serializers.BooleanField()


class EarlierVersionOut(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    caption = serializers.CharField()
    created_at = serializers.DateTimeField()
    decision = PreviousDecisionOut(allow_null=True, help_text="The decision that rejected this version.")


class QueueEntryOut(EntryOut):
    """An entry as moderators see it: its pictures (signed links), the campaign's guidelines,
    automatic flags, what the original's metadata told, and who holds it until when."""

    claimed_by = serializers.CharField(source="claimed_by.email", allow_null=True, default=None)
    claim_expires_at = serializers.DateTimeField(allow_null=True)
    guidelines = serializers.SerializerMethodField()
    flags = serializers.ListField(child=serializers.DictField())
    original_summary = serializers.DictField()
    original_url = serializers.SerializerMethodField()
    duplicate = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    class Meta(EntryOut.Meta):
        fields = (
            *EntryOut.Meta.fields,
            "claimed_by",
            "claim_expires_at",
            "guidelines",
            "flags",
            "original_summary",
            "original_url",
            "duplicate",
            "history",
        )

    @extend_schema_field(EarlierVersionOut(many=True))
    def get_history(self, entry: Entry) -> list[dict[str, Any]]:
        """Earlier versions of a resubmitted entry, newest first, each with why it was rejected."""
        return resubmission_history(entry)

    @extend_schema_field(PreviousGuidelineOut(many=True))
    def get_guidelines(self, entry: Entry) -> list[dict[str, Any]]:
        return [
            {"number": g.number, "code": g.code, "text": g.text, "fixable": g.fixable}
            for g in sorted(entry.campaign.guidelines.all(), key=lambda g: g.number)
            if g.active
        ]

    def get_original_url(self, entry: Entry) -> str:
        return reverse("console-original", kwargs={"brand": self.context["brand_slug"], "entry_id": entry.pk})

    @extend_schema_field(DuplicateOut(allow_null=True))
    def get_duplicate(self, entry: Entry) -> dict[str, Any] | None:
        flag = next((f for f in entry.flags if isinstance(f, dict) and f.get("kind") == "duplicate"), None)
        if flag is None or entry.duplicate_of_id is None:
            return None
        return {"earlier_id": entry.duplicate_of_id, "exact": bool(flag.get("exact", False))}


def queue_entries_out(entries: list[Entry], *, request: Request, brand_slug: str) -> list[dict[str, Any]]:
    prefetch_related_objects(
        entries, "renditions", "campaign__guidelines", "claimed_by", "author", "resubmission_of__decisions__guidelines"
    )
    return list(QueueEntryOut(entries, many=True, context={"request": request, "brand_slug": brand_slug}).data)


class BrandQueue(generics.ListAPIView[Entry]):
    """Pending entries of the brand's campaigns, oldest first (members of the brand only)."""

    serializer_class = QueueEntryOut
    permission_classes = (IsAuthenticated,)

    def get_queryset(self) -> QuerySet[Entry]:
        brand = brand_for_member(user=self.request.user, brand_slug=self.kwargs["brand"], roles=READ_ROLES)
        return selectors.queue_entries(brand=brand, view="pending")

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "brand_slug": self.kwargs["brand"]}


class BrandQueueClaim(APIView):
    """Lease the next pending entry to the caller; 204 when the queue is empty."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(request=None, responses={200: QueueEntryOut, 204: OpenApiResponse(description="Queue empty")})
    def post(self, request: Request, brand: str) -> Response:
        brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=MODERATE_ROLES)
        entry = services.queue_claim_next(actor=api_user(request), brand=brand_obj)
        if entry is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(queue_entries_out([entry], request=request, brand_slug=brand)[0])


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
        fields = (
            "id",
            "entry",
            "action",
            "guidelines",
            "note",
            "moderator",
            "created_at",
            "effective_at",
            "applied_at",
            "undone_at",
            "bulk_id",
            "state",
        )


class EntryDecision(APIView):
    """Approve or reject a pending entry (moderators of its brand). It takes effect after the
    undo window (`effective_at`): only then is the entry public or rejected and the fan told."""

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


# --- The one-page console: claims, leases, undo, bulk, reversals and views --------------------------
KIND_CHOICES = EntryKind.choices


NO_CAMPAIGN = Campaign()  # a filter naming no campaign of the brand: it matches nothing


def _campaign_of(brand: Brand, slug: str | None) -> Campaign | None:
    """The brand's campaign named by a filter; NO_CAMPAIGN when it names none (empty results)."""
    if not slug:
        return None
    return Campaign.objects.filter(brand=brand, slug=slug).first() or NO_CAMPAIGN


class TextUUIDField(serializers.UUIDField):
    """A UUID written as text: DRF's own field also takes integers (and so true and false)."""

    def to_internal_value(self, data: Any) -> uuid.UUID:
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class EntryIds(serializers.ListField):
    """Entry ids (UUIDs), at most 500; JSON lists or repeated form fields (sendBeacon)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", services.BULK_MAX)
        super().__init__(child=TextUUIDField(), **kwargs)


class ClaimsIn(serializers.Serializer[Any]):
    count = serializers.IntegerField(min_value=1, max_value=services.CLAIM_MAX, default=1)
    exclude = EntryIds(required=False, default=list, help_text="Entries to pass over (held or skipped).")
    campaign = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    kind = serializers.ChoiceField(choices=KIND_CHOICES, required=False)
    view = serializers.ChoiceField(choices=["pending", "flagged"], required=False, default="pending")
    resume = serializers.BooleanField(
        required=False, default=True, help_text="Return the caller's live leases first (after a reload)."
    )


class ClaimsOut(serializers.Serializer[Any]):
    entries = QueueEntryOut(many=True)
    lease_seconds = serializers.IntegerField()


class BrandQueueClaims(APIView):
    """Lease up to `count` (≤ 10) of the brand's oldest unclaimed pending entries to the caller.

    The console holds the current entry and the next three this way. An empty `entries` list
    means nothing is left to take.
    """

    permission_classes = (IsAuthenticated,)
    parser_classes = (JSONParser,)

    @extend_schema(request=ClaimsIn, responses={200: ClaimsOut})
    def post(self, request: Request, brand: str) -> Response:
        brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=MODERATE_ROLES)
        data = ClaimsIn(data=request.data)
        data.is_valid(raise_exception=True)
        entries = services.queue_claim(
            actor=api_user(request),
            brand=brand_obj,
            count=data.validated_data["count"],
            exclude=data.validated_data["exclude"],
            campaign=_campaign_of(brand_obj, data.validated_data["campaign"]),
            kind=data.validated_data.get("kind"),
            flagged=data.validated_data["view"] == "flagged",
            resume=data.validated_data["resume"],
        )
        return Response(
            {
                "entries": queue_entries_out(entries, request=request, brand_slug=brand),
                "lease_seconds": int(services.CLAIM_LEASE.total_seconds()),
            }
        )


class EntriesIn(serializers.Serializer[Any]):
    entries = EntryIds(required=False, default=list)


class LostLeaseOut(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    claimed_by = serializers.CharField(allow_null=True)
    claim_expires_at = serializers.DateTimeField(allow_null=True)


class LeasesOut(serializers.Serializer[Any]):
    renewed = serializers.ListField(child=serializers.UUIDField())
    lost = LostLeaseOut(many=True)
    expires_at = serializers.DateTimeField()


class BrandQueueLeases(APIView):
    """Renew the caller's leases on these entries (the console does it while its tab is visible);
    `lost` lists those decided, gone or held by someone else meanwhile."""

    permission_classes = (IsAuthenticated,)
    parser_classes = (JSONParser,)

    @extend_schema(request=EntriesIn, responses={200: LeasesOut})
    def post(self, request: Request, brand: str) -> Response:
        brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=MODERATE_ROLES)
        data = EntriesIn(data=request.data)
        data.is_valid(raise_exception=True)
        renewed, lost = services.queue_renew(
            actor=api_user(request), brand=brand_obj, entry_ids=data.validated_data["entries"]
        )
        return Response(
            {
                "renewed": [e.pk for e in renewed],
                "lost": [
                    {
                        "id": e.pk,
                        "claimed_by": e.claimed_by.email if e.claimed_by else None,
                        "claim_expires_at": e.claim_expires_at,
                    }
                    for e in lost
                ],
                "expires_at": timezone.now() + services.CLAIM_LEASE,
            }
        )


class BrandQueueRelease(APIView):
    """Give back the caller's leases on these entries (JSON, or a URL-encoded form with
    csrfmiddlewaretoken, as `navigator.sendBeacon` sends on leaving the page). Entries in their
    undo window stay held."""

    permission_classes = (IsAuthenticated,)
    parser_classes = (JSONParser, FormParser)

    @extend_schema(request=EntriesIn, responses={204: None})
    def post(self, request: Request, brand: str) -> Response:
        brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=MODERATE_ROLES)
        data = EntriesIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.queue_release(actor=api_user(request), brand=brand_obj, entry_ids=data.validated_data["entries"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class DecisionUndo(APIView):
    """Take back one's decision within its undo window (409 naming `decision` after it)."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(request=None, responses={200: DecisionOut, **errors(409)})
    def post(self, request: Request, decision_id: str) -> Response:
        decision = services.decision_undo(actor=api_user(request), decision_id=decision_id)
        decision.refresh_from_db()
        return Response(DecisionOut(decision).data)


class BulkIn(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=list(services.BULK_ACTIONS))
    entries = EntryIds(min_length=1)
    guidelines = serializers.ListField(
        child=serializers.CharField(max_length=32),
        required=False,
        default=list,
        help_text="Codes of guidelines; at least one when rejecting; each entry's campaign must have them.",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=services.NOTE_MAX)


class SkippedOut(serializers.Serializer[Any]):
    entry = serializers.UUIDField()
    reason = serializers.CharField()
    claimed_by = serializers.CharField(allow_null=True)


class BulkOut(serializers.Serializer[Any]):
    bulk = serializers.UUIDField(source="bulk_id", allow_null=True)
    action = serializers.CharField()
    done = serializers.ListField(child=serializers.UUIDField())
    decisions = serializers.ListField(child=serializers.IntegerField())
    effective_at = serializers.DateTimeField(allow_null=True)
    skipped = SkippedOut(many=True)


class BrandBulk(APIView):
    """Approve, reject (one set of guidelines and note) or shortlist up to 500 entries at once.

    Entries held by another moderator, already decided or not found are listed in `skipped` with
    the reason; the rest are taken in one transaction and share one undo window.
    """

    permission_classes = (IsAuthenticated,)
    parser_classes = (JSONParser,)

    @extend_schema(request=BulkIn, responses={201: BulkOut})
    def post(self, request: Request, brand: str) -> Response:
        brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=MODERATE_ROLES)
        data = BulkIn(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.decisions_bulk(
            actor=api_user(request),
            brand=brand_obj,
            action=data.validated_data["action"],
            entry_ids=data.validated_data["entries"],
            guideline_codes=data.validated_data["guidelines"],
            note=data.validated_data["note"],
        )
        return Response(BulkOut(result).data, status=status.HTTP_201_CREATED)


class BulkUndoOut(serializers.Serializer[Any]):
    undone = serializers.ListField(child=serializers.IntegerField())
    too_late = serializers.ListField(child=serializers.IntegerField())


class BrandBulkUndo(APIView):
    """Undo the decisions of one bulk action that are still within their window."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(request=None, responses={200: BulkUndoOut, **errors(409)})
    def post(self, request: Request, brand: str, bulk_id: uuid.UUID) -> Response:
        brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=MODERATE_ROLES)
        undone, too_late = services.bulk_undo(actor=api_user(request), brand=brand_obj, bulk_id=bulk_id)
        return Response({"undone": undone, "too_late": too_late})


class ReversalIn(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=list(services.REVERSALS))
    reason = serializers.CharField(max_length=services.NOTE_MAX)


class EntryReversal(APIView):
    """Reverse a decision that has taken effect, with a reason for the audit trail: `reopen` a
    rejected entry, `restore` a removed one, `withdraw_approval` of an approved or featured one."""

    permission_classes = (IsAuthenticated,)
    parser_classes = (JSONParser,)

    @extend_schema(request=ReversalIn, responses={201: EntryOut, **errors(409)})
    def post(self, request: Request, entry_id: str) -> Response:
        data = ReversalIn(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.entry_reverse(
            actor=api_user(request),
            entry_id=entry_id,
            action=data.validated_data["action"],
            reason=data.validated_data["reason"],
        )
        return Response(EntryOut(entry, context={"request": request}).data, status=status.HTTP_201_CREATED)


class CountFilters(serializers.Serializer[Any]):
    campaign = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    kind = serializers.ChoiceField(choices=KIND_CHOICES, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # DRF reads an empty optional query parameter as absent; `?kind=` is a mistake, not "all".
        if self.initial_data.get("kind") == "":
            raise ValidationError({"kind": [_("Choose photo or video, or leave kind out.")]})
        return attrs


class ViewFilters(CountFilters):
    view = serializers.ChoiceField(choices=list(selectors.QUEUE_VIEWS), required=False, default="pending")
    q = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class ContestedDecisionOut(serializers.Serializer[Any]):
    action = serializers.CharField()
    guidelines = serializers.ListField(child=serializers.CharField())
    note = serializers.CharField()


class ConsoleAppealOut(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()
    contested_by = serializers.CharField(
        help_text='The moderator who made the contested decision, or "automatic rule".'
    )
    decision = ContestedDecisionOut()
    can_decide = serializers.BooleanField(help_text="False for the moderator who made the contested decision.")
    status = serializers.CharField()
    reasons = serializers.CharField()


class ReportsOut(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    reasons = serializers.DictField(child=serializers.IntegerField(), help_text="Open reports per reason.")
    first_at = serializers.DateTimeField()
    details = serializers.ListField(child=serializers.CharField(), help_text="Up to 5 latest non-empty details.")


class ConsoleEntryOut(QueueEntryOut):
    last_decision = serializers.SerializerMethodField()
    appeal = serializers.SerializerMethodField()
    reports = serializers.SerializerMethodField()

    class Meta(QueueEntryOut.Meta):
        fields = (*QueueEntryOut.Meta.fields, "last_decision", "appeal", "reports")

    @extend_schema_field(ConsoleAppealOut(allow_null=True))
    def get_appeal(self, entry: Entry) -> dict[str, Any] | None:
        appeal = self.context.get("appeals", {}).get(entry.pk)
        if appeal is None:
            return None
        appeal.entry = entry
        return appeal_console_out(appeal, viewer_id=self.context["viewer_id"])

    @extend_schema_field(ReportsOut(allow_null=True))
    def get_reports(self, entry: Entry) -> dict[str, Any] | None:
        """The entry's open reports (the Reported view); null in the other views or without any."""
        summary = self.context.get("reports", {}).get(entry.pk)
        return dict(ReportsOut(summary).data) if summary else None

    @extend_schema_field(DecisionOut(allow_null=True))
    def get_last_decision(self, entry: Entry) -> dict[str, Any] | None:
        decision = self.context["last_decisions"].get(entry.pk)
        if decision is None:
            return None
        decision.entry = entry
        return dict(DecisionOut(decision).data)


def appeal_console_out(appeal: Appeal, *, viewer_id: int | None) -> dict[str, Any]:
    """An appeal as the console shows it: the fan's text and the contested decision."""
    decision = appeal.decision
    if decision is not None:
        contested = {
            "action": decision.action,
            "guidelines": [g.code for g in sorted(decision.guidelines.all(), key=lambda g: g.number)],
            "note": decision.note,
        }
    else:
        rule = appeal.entry.rule_rejection or {}
        contested = {"action": "reject", "guidelines": [rule["guideline"]] if rule.get("guideline") else [], "note": ""}
    by = appeal.contested_by
    return {
        "id": appeal.pk,
        "text": appeal.text,
        "created_at": appeal.created_at,
        "contested_by": by.email if by else _("automatic rule"),
        "decision": contested,
        "can_decide": appeal.decided_at is None
        and (appeal.contested_by_id is None or appeal.contested_by_id != viewer_id),
        "status": appeal.outcome or "open",
        "reasons": appeal.reasons,
    }


class BrandEntries(generics.ListAPIView[Entry]):
    """The console's views of the brand's entries: `pending` (oldest first), `flagged` (pending
    with an automatic flag), `done` (decided in the last 24 hours), `reported` (public or hidden
    entries with open reports, oldest first report first, with `reports`), `appeals` (open
    appeals, oldest first, each entry with its `appeal`); filters by campaign and kind;
    `q` finds an entry id, or words of the caption or the fan's public name."""

    serializer_class = ConsoleEntryOut
    permission_classes = (IsAuthenticated,)

    @extend_schema(parameters=[ViewFilters], responses={200: ConsoleEntryOut(many=True), **errors(400)})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Entry]:
        brand = brand_for_member(user=self.request.user, brand_slug=self.kwargs["brand"], roles=READ_ROLES)
        filters = ViewFilters(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.queue_entries(
            brand=brand,
            view=filters.validated_data["view"],
            campaign=_campaign_of(brand, filters.validated_data["campaign"]),
            kind=filters.validated_data.get("kind"),
            q=filters.validated_data["q"],
        )

    def _view(self) -> str:
        return str(self.request.query_params.get("view", "")) if hasattr(self, "request") else ""

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        page = args[0] if args else []
        entries = list(page) if isinstance(page, list) else []
        kwargs["context"] = {
            **self.get_serializer_context(),
            "brand_slug": self.kwargs.get("brand", ""),  # none while the schema is generated
            "last_decisions": selectors.last_decisions(entries=entries),
            "appeals": selectors.appeals_of(entries=entries),
            "viewer_id": self.request.user.pk,
            "reports": selectors.report_summaries(entries=entries) if self._view() == "reported" else {},
        }
        return ConsoleEntryOut(*args, **kwargs)


class ViewCountsOut(serializers.Serializer[Any]):
    pending = serializers.IntegerField()
    flagged = serializers.IntegerField()
    done = serializers.IntegerField()
    appeals = serializers.IntegerField()
    reported = serializers.IntegerField()


class BrandViewCounts(APIView):
    """How many entries each console view holds, with the same campaign and kind filters."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(parameters=[CountFilters], responses={200: ViewCountsOut, **errors(400)})
    def get(self, request: Request, brand: str) -> Response:
        brand_obj = brand_for_member(user=request.user, brand_slug=brand, roles=READ_ROLES)
        filters = CountFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        counts = selectors.queue_counts(
            brand=brand_obj,
            campaign=_campaign_of(brand_obj, filters.validated_data["campaign"]),
            kind=filters.validated_data.get("kind"),
        )
        return Response(counts)
