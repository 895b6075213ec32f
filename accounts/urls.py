from django.urls import path

from accounts import views

urlpatterns = [
    path("me/tokens/", views.api_tokens, name="api-tokens"),
    path("me/tokens/<uuid:token_id>/revoke/", views.api_token_revoke_view, name="api-token-revoke"),
]
