"""API tokens for integrators: the same rules as signing in on the site."""

from __future__ import annotations

from allauth.account.utils import has_verified_email
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from config.parsers import JSONParser, MultiPartParser

UNVERIFIED = _("Verify your e-mail address first: we sent you a link.")


class TokenObtain(ObtainAuthToken):
    """Exchange an e-mail (`username`) and password for an API token.

    Refused (400, field `email`) while the address is unverified and verification is mandatory,
    as the login page refuses it. Throttled per client (scope `token`) against password guessing.
    """

    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "token"
    parser_classes = (JSONParser, FormParser, MultiPartParser)  # the project's: deep nesting is a 400

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer("TokenOut", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="Wrong credentials, or the e-mail address is not verified yet."),
            429: OpenApiResponse(description="Too many attempts; try again later."),
        },
    )
    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        if settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory" and not has_verified_email(user, user.email):
            raise serializers.ValidationError({"email": [UNVERIFIED]})
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
