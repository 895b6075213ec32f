"""API tokens end when a password changes or a membership ends, whichever path caused it.

These listen to allauth's password signals and to Membership deletions (the admin, a brand
deleted, a future team page) so that no caller can forget to revoke. Password changes made
elsewhere (admin, shell) are also caught at authentication time (accounts.authentication).
"""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset, password_set
from django.db.models.signals import post_delete
from django.dispatch import receiver

from accounts.models import Membership
from accounts.tokens import api_tokens_revoke_all


@receiver(password_changed)
@receiver(password_set)
@receiver(password_reset)
def _revoke_tokens_on_password_change(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    if user is not None:
        api_tokens_revoke_all(user=user, reason="password changed")


@receiver(post_delete, sender=Membership)
def _revoke_tokens_on_membership_end(sender: Any, instance: Membership, **kwargs: Any) -> None:
    api_tokens_revoke_all(user=instance.user, reason=f"membership of brand {instance.brand_id} ended")
