"""The one permission helper for brand-scoped pages and API views.

A user who is not a member of the brand (or lacks the role) gets 404, never 403: outsiders must
not learn that a brand, campaign or entry exists.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from accounts.models import READ_ROLES, Brand, Membership, User


class AuthenticatedHttpRequest(HttpRequest):
    """The request type of a `login_required` view: its `user` is signed in (for the type checker only)."""

    user: User


def api_user(request: Request) -> User:
    """The signed-in user of an API request, for views behind `IsAuthenticated`.

    Raises NotAuthenticated for an anonymous request (the permission has refused it already).
    """
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated
    return user


def brand_for_member(*, user: User | AnonymousUser, brand_slug: str, roles: Iterable[str] = READ_ROLES) -> Brand:
    """The brand named by `brand_slug` if `user` holds one of `roles` in it; otherwise Http404."""
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("brand")
        .filter(user=user, brand__slug=brand_slug, role__in=list(roles))
        .first()
    )
    if membership is None:
        raise Http404
    return membership.brand


def member_brand_ids(*, user: User | AnonymousUser, roles: Iterable[str] = READ_ROLES) -> list[int]:
    """Ids of the brands where `user` holds one of `roles` (empty for anonymous users)."""
    if not user.is_authenticated:
        return []
    return list(Membership.objects.filter(user=user, role__in=list(roles)).values_list("brand_id", flat=True))


def require_brand_role(*, user: User, brand_id: int, roles: Iterable[str]) -> None:
    """Http404 unless `user` holds one of `roles` in the brand with id `brand_id`."""
    if brand_id not in member_brand_ids(user=user, roles=roles):
        raise Http404
