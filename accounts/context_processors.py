"""Template context: the brands whose console the signed-in user may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.models import Membership


def console(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"console_memberships": []}
    return {
        "console_memberships": Membership.objects.filter(user=user).select_related("brand"),
    }
