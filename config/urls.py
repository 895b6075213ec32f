"""URL map: public pages, the brand console, the embed widget and the REST API (/api/v1/)."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularSwaggerSplitView

from accounts import api as accounts_api
from activity import api as activity_api
from campaigns import api as campaigns_api
from config.api import api_not_found, handler
from config.schema_view import SchemaView
from moderation import api as moderation_api
from moderation import api_appeals, api_reports, api_rules, views_reports
from submissions import api as submissions_api
from widget import api as widget_api
from widget import views as widget_views

api_v1 = [
    path("auth/token/", accounts_api.TokenObtain.as_view(), name="api-token"),
    path("auth/tokens/", accounts_api.TokenList.as_view(), name="api-tokens"),
    path("auth/tokens/<uuid:token_id>/", accounts_api.TokenDetail.as_view(), name="api-token-detail"),
    path("campaigns/", campaigns_api.CampaignList.as_view(), name="api-campaigns"),
    path("campaigns/<slug:slug>/", campaigns_api.CampaignDetail.as_view(), name="api-campaign"),
    path("campaigns/<slug:slug>/entries/", submissions_api.CampaignEntries.as_view(), name="api-campaign-entries"),
    path("campaigns/<slug:slug>/featured/", widget_api.CampaignFeatured.as_view(), name="api-campaign-featured"),
    path(
        "campaigns/<slug:slug>/features/publish/",
        moderation_api.FeaturePublish.as_view(),
        name="api-feature-publish",
    ),
    path("campaigns/<slug:slug>/uploads/", submissions_api.CampaignUploads.as_view(), name="api-campaign-uploads"),
    path("uploads/<uuid:slot_id>/file/", submissions_api.UploadFile.as_view(), name="api-upload-file"),
    path("uploads/<uuid:slot_id>/complete/", submissions_api.UploadComplete.as_view(), name="api-upload-complete"),
    path("me/entries/", submissions_api.MyEntries.as_view(), name="api-my-entries"),
    path("entries/<str:entry_id>/", submissions_api.EntryDetail.as_view(), name="api-entry"),
    path("entries/<str:entry_id>/resubmit/", submissions_api.EntryResubmit.as_view(), name="api-entry-resubmit"),
    path("entries/<str:entry_id>/decision/", moderation_api.EntryDecision.as_view(), name="api-entry-decision"),
    path("entries/<str:entry_id>/shortlist/", moderation_api.EntryShortlist.as_view(), name="api-entry-shortlist"),
    path("entries/<str:entry_id>/activity/", activity_api.EntryActivity.as_view(), name="api-entry-activity"),
    path("brands/<slug:brand>/activity/", activity_api.BrandActivity.as_view(), name="api-brand-activity"),
    path(
        "brands/<slug:brand>/activity/export.csv",
        activity_api.BrandActivityCsv.as_view(),
        name="api-brand-activity-csv",
    ),
    path(
        "brands/<slug:brand>/activity/export.jsonl",
        activity_api.BrandActivityJsonl.as_view(),
        name="api-brand-activity-jsonl",
    ),
    path("brands/<slug:brand>/rules/", api_rules.BrandRules.as_view(), name="api-brand-rules"),
    path("brands/<slug:brand>/rules/test/", api_rules.BrandRulesTest.as_view(), name="api-brand-rules-test"),
    path("brands/<slug:brand>/rules/<str:rule_id>/", api_rules.BrandRule.as_view(), name="api-brand-rule"),
    path("brands/<slug:brand>/queue/", moderation_api.BrandQueue.as_view(), name="api-brand-queue"),
    path("brands/<slug:brand>/queue/claim/", moderation_api.BrandQueueClaim.as_view(), name="api-brand-queue-claim"),
    path("brands/<slug:brand>/queue/claims/", moderation_api.BrandQueueClaims.as_view(), name="api-brand-queue-claims"),
    path("brands/<slug:brand>/queue/leases/", moderation_api.BrandQueueLeases.as_view(), name="api-brand-queue-leases"),
    path(
        "brands/<slug:brand>/queue/release/", moderation_api.BrandQueueRelease.as_view(), name="api-brand-queue-release"
    ),
    path("brands/<slug:brand>/bulk/", moderation_api.BrandBulk.as_view(), name="api-brand-bulk"),
    path(
        "brands/<slug:brand>/bulk/<uuid:bulk_id>/undo/",
        moderation_api.BrandBulkUndo.as_view(),
        name="api-brand-bulk-undo",
    ),
    path("brands/<slug:brand>/entries/", moderation_api.BrandEntries.as_view(), name="api-brand-entries"),
    path("brands/<slug:brand>/views/", moderation_api.BrandViewCounts.as_view(), name="api-brand-views"),
    path("decisions/<str:decision_id>/undo/", moderation_api.DecisionUndo.as_view(), name="api-decision-undo"),
    path("entries/<str:entry_id>/reversal/", moderation_api.EntryReversal.as_view(), name="api-entry-reversal"),
    path("entries/<str:entry_id>/appeal/", api_appeals.EntryAppeal.as_view(), name="api-entry-appeal"),
    path(
        "entries/<str:entry_id>/appeal/decision/",
        api_appeals.EntryAppealDecision.as_view(),
        name="api-entry-appeal-decision",
    ),
    path("entries/<str:entry_id>/reports/", api_reports.EntryReports.as_view(), name="api-entry-reports"),
    path("entries/<str:entry_id>/keep/", api_reports.EntryKeep.as_view(), name="api-entry-keep"),
    path("entries/<str:entry_id>/remove/", api_reports.EntryRemove.as_view(), name="api-entry-remove"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # One documentation page: Redoc's bundle needs inline styles, blob: workers and a logo from its
    # CDN, which our Content-Security-Policy refuses; Swagger UI needs none of them.
    path("api/redoc/", RedirectView.as_view(pattern_name="api-docs", permanent=True), name="api-redoc"),
    # Any other /api/ path: a JSON 404 in every mode (with DEBUG on, Django would show its HTML page).
    re_path(r"^api/", api_not_found),
    path("embed/v1/gallery.js", widget_views.gallery_js, name="embed-gallery-js"),
    path("embed/v1/<slug:slug>/", widget_views.gallery_frame, name="embed-gallery-frame"),
    path("media/<path:path>", widget_views.public_media, name="public-media"),
    path("e/<str:entry_id>/report/", views_reports.entry_report, name="entry-report"),
    path("console/", include("moderation.urls")),
    path("console/", include("console.urls")),
    path("", include("accounts.urls")),
    path("", include("moderation.public_urls")),
    path("", include("submissions.urls")),
    path("", include("campaigns.urls")),
]

# Under /api/ Django's own error answers are JSON in the API's error shape too (config/api.py).
handler400 = handler(400, defaults.bad_request, lambda: _("The request is not valid."))
handler403 = handler(403, defaults.permission_denied, lambda: _("You are not allowed to do this."))
handler404 = handler(404, defaults.page_not_found, lambda: _("There is no such API endpoint; see /api/docs/."))
handler500 = handler(500, defaults.server_error, lambda: _("Something went wrong on our side; please try again."))
