"""Template helpers for console pages rendered by other apps' views (the brand home)."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import AUDIT_ROLES, Brand
from accounts.permissions import member_brand_ids

register = template.Library()


@register.simple_tag(takes_context=True)
def can_read_activity(context: dict[str, Any], brand: Brand) -> bool:
    """Whether the signed-in person may read the brand's audit trail (console-activity)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return user is not None and brand.pk in member_brand_ids(user=user, roles=AUDIT_ROLES)
