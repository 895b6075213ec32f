"""The brand console, mounted at /console/. Every route below the brand slug is brand-scoped."""

from django.urls import path

from moderation import views, views_stats

feature = "<slug:brand>/campaigns/<slug:slug>/feature/"

urlpatterns = [
    path("", views.console_home, name="console-home"),
    path("<slug:brand>/", views.brand_home, name="console-brand"),
    path("<slug:brand>/campaigns/new/", views.campaign_create, name="console-campaign-create"),
    path("<slug:brand>/campaigns/<slug:slug>/edit/", views.campaign_edit, name="console-campaign-edit"),
    path("<slug:brand>/moderators/", views_stats.moderators, name="console-moderators"),
    path("<slug:brand>/queue/", views.queue, name="console-queue"),
    path("<slug:brand>/queue/<uuid:entry_id>/decide/", views.decide, name="console-decide"),
    path("<slug:brand>/queue/<uuid:entry_id>/skip/", views.skip, name="console-skip"),
    path("<slug:brand>/entries/<uuid:entry_id>/original/", views.original, name="console-original"),
    path(feature, views.feature, name="console-feature"),
    path(f"{feature}publish/", views.feature_publish, name="console-feature-publish"),
    path(f"{feature}<uuid:entry_id>/shortlist/", views.shortlist, name="console-shortlist"),
    path(f"{feature}<uuid:entry_id>/unshortlist/", views.unshortlist, name="console-unshortlist"),
    path(f"{feature}<uuid:entry_id>/remove/", views.remove, name="console-remove"),
]
