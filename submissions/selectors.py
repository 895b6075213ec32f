"""Read-side queries for entries, with who may see what."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from accounts.permissions import member_brand_ids
from submissions.models import PUBLIC_STATES, Entry
from submissions.storage import private_url, public_storage


def entry_visible_to(*, user: User | AnonymousUser, entry_id: uuid.UUID | str) -> Entry:
    """An entry the user may see: public ones, their own, and those of their brands. Else 404."""
    try:
        entry = Entry.objects.select_related("campaign__brand", "author").filter(pk=entry_id).first()
    except (ValueError, ValidationError) as exc:  # not a UUID
        raise Http404 from exc
    if entry is None:
        raise Http404
    if entry.state in PUBLIC_STATES:
        return entry
    if user.is_authenticated and (entry.author_id == user.pk or entry.campaign.brand_id in member_brand_ids(user=user)):
        return entry
    raise Http404


def entries_of_author(*, user: User) -> QuerySet[Entry]:
    return (
        Entry.objects.filter(author=user)
        .select_related("campaign")
        .prefetch_related("renditions", "decisions__guidelines")
        .order_by("-created_at")
    )


def entries_public(*, campaign_id: int) -> QuerySet[Entry]:
    return (
        Entry.objects.filter(campaign_id=campaign_id, state__in=list(PUBLIC_STATES))
        .select_related("author")
        .prefetch_related("renditions")
        .order_by("-state_changed_at")
    )


def rendition_urls(entry: Entry) -> list[dict[str, Any]]:
    """The entry's renditions: public addresses when it is public, else short-lived signed ones.

    Callers must already know the viewer may see the entry.
    """
    public = entry.state in PUBLIC_STATES
    storage = public_storage()
    out = []
    for r in entry.renditions.all():
        if public and r.public_name:
            url = storage.url(r.public_name)
        elif public:
            continue
        else:
            url = private_url(r.name)
        out.append({"url": url, "width": r.width, "height": r.height, "format": r.format})
    return out


def rejection_of(entry: Entry) -> dict[str, Any] | None:
    """Why an entry was rejected, removed or hidden after reports, in words the fan can read."""
    if entry.state == "hidden":
        return {"reason": entry.rejection_reason, "guidelines": [], "note": ""}
    if entry.state not in ("rejected", "removed"):
        return None
    decision = next(iter(entry.decisions.all()), None)  # newest first
    if decision is None:
        return {"reason": entry.rejection_reason, "guidelines": [], "note": ""}
    return {
        "reason": entry.rejection_reason,
        "guidelines": [
            {"number": g.number, "code": g.code, "text": g.text}
            for g in sorted(decision.guidelines.all(), key=lambda g: g.number)
        ],
        "note": decision.note,
    }
