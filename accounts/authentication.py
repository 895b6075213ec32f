"""API authentication: knox's expiring tokens, refused once the password has changed."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions

from accounts.tokens import password_stamp


class TokenAuthentication(KnoxTokenAuthentication):
    """`Authorization: Token <key>`; expired tokens are deleted on sight (knox).

    A token issued under an earlier password is deleted and refused, so a password change or reset
    ends every session of the API at once, however the password was changed.
    """

    def validate_user(self, auth_token: Any) -> tuple[Any, Any]:
        user, token = super().validate_user(auth_token)
        if token.password_stamp != password_stamp(user):
            token.delete()
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return user, token


class TokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes the token header (drf-spectacular finds it by target class)."""

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")  # noqa: S106 - a header scheme name
