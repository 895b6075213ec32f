from django.urls import path

from moderation import views

urlpatterns = [
    path("", views.console_home, name="console-home"),
]
