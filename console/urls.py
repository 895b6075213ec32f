"""Console pages that live in this app, mounted at /console/ beside moderation's (config/urls.py)."""

from django.urls import path

from console import views, views_rules

urlpatterns = [
    path("<slug:brand>/activity/", views.activity, name="console-activity"),
    path("<slug:brand>/entries/<uuid:entry_id>/", views.entry, name="console-entry"),
    path("<slug:brand>/rules/", views_rules.rules, name="console-rules"),
    path("<slug:brand>/rules/<uuid:rule_id>/edit/", views_rules.rule_edit, name="console-rule-edit"),
    path("<slug:brand>/rules/<uuid:rule_id>/delete/", views_rules.rule_delete, name="console-rule-delete"),
]
