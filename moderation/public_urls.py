"""Moderation's public pages (for fans), mounted at the site root."""

from django.urls import path

from moderation import views_appeals

urlpatterns = [
    path("me/entries/<uuid:entry_id>/appeal/", views_appeals.entry_appeal, name="entry-appeal"),
]
