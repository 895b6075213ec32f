"""The featured API: the dynamic, cached twin of the widget's static document."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.selectors import campaign_for_viewer
from moderation.api import FeatureDocumentOut
from moderation.selectors import feature_document_cached


class CampaignFeatured(APIView):
    """The latest published feature of a campaign: public, cacheable, readable from any origin."""

    permission_classes = (AllowAny,)
    authentication_classes = ()  # public and cookie-less, so any origin may read it

    @extend_schema(responses=FeatureDocumentOut)
    def get(self, request: Request, slug: str) -> Response:
        campaign, _preview = campaign_for_viewer(slug=slug, user=None, allow_preview=False)
        response = Response(feature_document_cached(campaign=campaign))
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = "public, max-age=60"
        return response
