"""API tokens for integrators: the same rules and the same lockout as signing in on the site."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.utils import has_verified_email
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.models import ApiToken, User
from accounts.permissions import api_user
from accounts.tokens import api_token_issue, api_token_revoke, api_tokens_of

# One answer for a wrong password, an unknown address and an unverified one: the API must not
# tell an attacker which accounts exist or which password was right.
REFUSED = _("Unable to sign in with that e-mail and password, or the address is not verified yet.")
LOCKED = _("Too many failed sign-in attempts. Try again in a few minutes.")
LOCKOUT_SECONDS = 300  # allauth's ACCOUNT_LOGIN_ATTEMPTS_TIMEOUT default


class TokenIn(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=254, help_text="The account's e-mail address.")
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    name = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default="", help_text="A label to recognise the token by."
    )


class TokenOut(serializers.Serializer[dict[str, Any]]):
    id = serializers.UUIDField(help_text="Identifies the token for listing and revoking; not a secret.")
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`. Shown only once.")
    name = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class TokenInfoOut(serializers.Serializer[ApiToken]):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    created_at = serializers.DateTimeField(source="created")
    expires_at = serializers.DateTimeField(source="expiry")
    current = serializers.SerializerMethodField(help_text="Whether this request was made with this token.")

    def get_current(self, token: ApiToken) -> bool:
        auth = self.context.get("auth")
        return isinstance(auth, ApiToken) and auth.pk == token.pk


def _locked_out() -> exceptions.Throttled:
    return exceptions.Throttled(wait=LOCKOUT_SECONDS, detail=str(LOCKED))


class TokenObtain(APIView):
    """Exchange an e-mail (`username`) and password for an API token that expires.

    Wrong credentials and an unverified address get the same 400. Throttled per client (scope
    `token`) and per account with the web login's own lockout (allauth's `login_failed` limit):
    attempts on the site and here count together, and a client cannot escape the per-account
    limit by changing its address.
    """

    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "token"

    @extend_schema(
        request=TokenIn,
        responses={
            200: TokenOut,
            400: OpenApiResponse(description="Wrong credentials, or the e-mail address is not verified yet."),
            429: OpenApiResponse(description="Too many attempts from this client or for this account."),
        },
    )
    def post(self, request: Request) -> Response:
        data = TokenIn(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["username"].strip().lower()
        credentials = {"email": email, "password": data.validated_data["password"]}
        adapter = get_adapter(request._request)
        try:
            user = adapter.authenticate(request._request, **credentials)
            verified = user is not None and (
                settings.ACCOUNT_EMAIL_VERIFICATION != "mandatory" or has_verified_email(user, user.email)
            )
            if user is not None and (not verified or not user.is_active):
                # The right password for an unverified address or a deactivated account counts as a
                # failed attempt too, so the lockout cannot reveal that the guess was right.
                adapter.pre_authenticate(request._request, **credentials)
        except DjangoValidationError as exc:  # allauth's per-account lockout
            raise _locked_out() from exc
        if user is None or not verified or not user.is_active:
            raise exceptions.ValidationError({"non_field_errors": [str(REFUSED)]})
        assert isinstance(user, User)  # noqa: S101 - the project's only user model
        token, key = api_token_issue(user=user, name=data.validated_data["name"])
        body = {
            "id": token.public_id,
            "token": key,
            "name": token.name,
            "created_at": token.created,
            "expires_at": token.expiry,
        }
        return Response(TokenOut(body).data)


class TokenList(APIView):
    """The signed-in person's own API tokens (never their keys), newest first."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(responses=TokenInfoOut(many=True))
    def get(self, request: Request) -> Response:
        tokens = api_tokens_of(user=api_user(request))
        listed = TokenInfoOut(tokens, many=True, context={"auth": request.auth})  # type: ignore[arg-type]  # many=True takes a list; the stubs expect one instance
        return Response(listed.data)


class TokenDetail(APIView):
    """Revoke one of the signed-in person's own tokens (404 for anyone else's)."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, token_id: str) -> Response:
        if not api_token_revoke(user=api_user(request), token_id=token_id):
            raise exceptions.NotFound(_("No such token."))
        return Response(status=status.HTTP_204_NO_CONTENT)
