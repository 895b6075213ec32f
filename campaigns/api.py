"""Public campaign API: read-only lists and details."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny

from campaigns.models import Campaign, Guideline
from campaigns.selectors import campaign_for_viewer, campaigns_open


class GuidelineOut(serializers.ModelSerializer[Guideline]):
    class Meta:
        model = Guideline
        fields = ("number", "code", "text", "fixable")


class CampaignOut(serializers.ModelSerializer[Campaign]):
    brand = serializers.CharField(source="brand.name")
    guidelines = serializers.SerializerMethodField()
    is_open = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = (
            "slug",
            "title",
            "hashtag",
            "brand",
            "description",
            "guidelines",
            "consent_terms",
            "consent_version",
            "opens_at",
            "closes_at",
            "time_zone",
            "is_open",
            "max_bytes",
            "max_pixels",
            "max_entries_per_fan",
            "feature_weekday",
            "feature_hour",
            "feature_count",
        )

    @extend_schema_field(GuidelineOut(many=True))
    def get_guidelines(self, campaign: Campaign) -> list[dict[str, object]]:
        guidelines = GuidelineOut(campaign.guidelines.filter(active=True), many=True)
        return guidelines.data  # type: ignore[return-value]  # many=True makes a ListSerializer: its data is a list

    def get_is_open(self, campaign: Campaign) -> bool:
        return campaign.is_open(timezone.now())


class CampaignList(generics.ListAPIView[Campaign]):
    """Campaigns that are open for entries now."""

    serializer_class = CampaignOut
    permission_classes = (AllowAny,)

    def get_queryset(self) -> QuerySet[Campaign]:
        return campaigns_open().prefetch_related("guidelines")


class CampaignDetail(generics.RetrieveAPIView[Campaign]):
    """One campaign by slug (also after it has closed; before it opens, only its brand's members)."""

    serializer_class = CampaignOut
    permission_classes = (AllowAny,)
    lookup_field = "slug"
    queryset = Campaign.objects.select_related("brand")

    def get_object(self) -> Campaign:
        campaign, _preview = campaign_for_viewer(slug=self.kwargs["slug"], user=self.request.user)
        return campaign
