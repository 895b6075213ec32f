"""API tokens: issued for a verified account, expiring, revocable, gone with a password change.

Tokens come from django-rest-knox (only a hash is stored). A person may hold several (one per
integration or device, each with a name) up to MAX_TOKENS_PER_USER; issuing one more retires the
oldest. Every token ends when it expires, when its holder revokes it, when the password changes
(see `password_stamp`) and when the holder leaves a brand.
"""

from __future__ import annotations

import hashlib
import logging
import uuid

from django.db import transaction

from accounts.models import ApiToken, User

log = logging.getLogger(__name__)

MAX_TOKENS_PER_USER = 20


def password_stamp(user: User) -> str:
    """A value that changes whenever the user's password does.

    A digest of the stored password hash, not Django's session hash: that one is keyed with
    SECRET_KEY, and rotating the key must not end every integration's token.
    """
    return hashlib.sha256(f"fanfare.api-token:{user.password}".encode()).hexdigest()


def api_token_issue(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token for `user`: the stored row and the plain key, which is shown only this once.

    Callers must have checked the person's credentials (and that the e-mail is verified).
    """
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one issuer at a time per person
        instance, key = ApiToken.objects.create(user, name=name.strip()[:60], password_stamp=password_stamp(user))
        keep = ApiToken.objects.filter(user=user).order_by("-created").values_list("digest", flat=True)
        stale = list(keep[MAX_TOKENS_PER_USER:])
        if stale:
            ApiToken.objects.filter(digest__in=stale).delete()
    return instance, key


def api_token_create(*, user: User, name: str = "") -> str:
    """Issue a token and return only its plain key (for scripts, tests and benchmarks)."""
    return api_token_issue(user=user, name=name)[1]


def api_tokens_of(*, user: User) -> list[ApiToken]:
    """The person's live tokens, newest first (expired ones and ones of an old password left out)."""
    from django.utils import timezone

    stamp = password_stamp(user)
    tokens = ApiToken.objects.filter(user=user).order_by("-created")
    return [t for t in tokens if t.password_stamp == stamp and (t.expiry is None or t.expiry > timezone.now())]


def api_token_revoke(*, user: User, token_id: uuid.UUID | str) -> bool:
    """Revoke one of the person's own tokens; False when there is no such token (of theirs)."""
    try:
        deleted: int = ApiToken.objects.filter(user=user, public_id=token_id).delete()[0]
    except (ValueError, TypeError):  # not a UUID
        return False
    return deleted > 0


def api_tokens_revoke_all(*, user: User, reason: str) -> int:
    """Revoke every token of `user` (password changed, membership removed…)."""
    deleted: int = ApiToken.objects.filter(user=user).delete()[0]
    if deleted:
        log.info("Revoked %s API token(s) of user %s: %s", deleted, user.pk, reason)
    return deleted
