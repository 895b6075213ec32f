"""Console pages that live in this app, mounted at /console/ beside moderation's (config/urls.py)."""

from django.urls import path

from console import views

urlpatterns = [
    path("<slug:brand>/activity/", views.activity, name="console-activity"),
    path("<slug:brand>/entries/<uuid:entry_id>/", views.entry, name="console-entry"),
]
