"""Operations that change who belongs to a brand, each recorded in the activity trail.

Today the Django admin (the brand's membership inline) is the only place memberships change; it
calls these, so every change has an acting person and an activity row. Memberships that go with a
deleted brand or user are not recorded one by one (no person chose them).
"""

from __future__ import annotations

from django.db import transaction

from accounts.models import ADMIN_ROLES, Brand, Membership, Role, User
from accounts.permissions import require_brand_role
from activity.services import activity_record


def _may_manage(*, actor: User, brand_id: int) -> None:
    """Site superusers (the admin) and the brand's owners and admins; Http404 for anyone else."""
    if not actor.is_superuser:
        require_brand_role(user=actor, brand_id=brand_id, roles=ADMIN_ROLES)


def _record(*, actor: User, verb: str, membership: Membership, snapshot: dict[str, object]) -> None:
    activity_record(
        actor=actor,
        verb=verb,
        target_type="membership",
        target_id=membership.pk,
        brand_id=membership.brand_id,
        snapshot={"user_id": membership.user_id, **snapshot},
    )


def membership_add(*, actor: User, brand: Brand, user: User, role: str) -> Membership:
    """Give `user` a role in `brand`. Recorded as `membership.added`."""
    _may_manage(actor=actor, brand_id=brand.pk)
    role = Role(role)
    with transaction.atomic():
        membership = Membership.objects.create(brand=brand, user=user, role=role)
        _record(actor=actor, verb="membership.added", membership=membership, snapshot={"role": role.value})
    return membership


def membership_role_change(*, actor: User, membership: Membership, role: str) -> Membership:
    """Change a member's role. Recorded as `membership.role_changed` (from, to); no change, no row."""
    _may_manage(actor=actor, brand_id=membership.brand_id)
    role = Role(role)
    with transaction.atomic():
        current = Membership.objects.select_for_update().get(pk=membership.pk)
        if current.role != role:
            previous = current.role
            current.role = role
            current.save(update_fields=["role"])
            _record(
                actor=actor,
                verb="membership.role_changed",
                membership=current,
                snapshot={"from": previous, "to": role.value},
            )
    return current


def membership_remove(*, actor: User, membership: Membership) -> None:
    """End a membership (its API tokens go too: accounts.receivers). Recorded as `membership.removed`."""
    _may_manage(actor=actor, brand_id=membership.brand_id)
    with transaction.atomic():
        current = Membership.objects.select_for_update().get(pk=membership.pk)
        _record(actor=actor, verb="membership.removed", membership=current, snapshot={"role": current.role})
        current.delete()
