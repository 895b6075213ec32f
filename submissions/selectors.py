"""Read-side queries for entries, with who may see what."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import member_brand_ids
from campaigns.models import Guideline
from submissions.models import PUBLIC_STATES, Entry, EntryState
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


@dataclass(frozen=True)
class Rejection:
    """The decision that rejected an entry: a moderator's applied rejection or an automatic rule."""

    action: str
    guidelines: list[Guideline]
    note: str
    created_at: dt.datetime
    automated: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "guidelines": [
                {"number": g.number, "code": g.code, "text": g.text, "fixable": g.fixable} for g in self.guidelines
            ],
            "note": self.note,
            "created_at": self.created_at,
            "automated": self.automated,
        }


def entry_rejection(entry: Entry) -> Rejection | None:
    """What rejected `entry`, or None (not rejected, or refused by processing: the file was unusable).

    Read through the `decisions` reverse relation so submissions need not import moderation.
    """
    if entry.state != EntryState.REJECTED:
        return None
    applied = [
        d for d in entry.decisions.all() if d.action == "reject" and d.applied_at is not None and d.undone_at is None
    ]
    if applied:
        decision = max(applied, key=lambda d: d.created_at)
        return Rejection(
            action="reject",
            guidelines=sorted(decision.guidelines.all(), key=lambda g: g.number),
            note=decision.note,
            created_at=decision.created_at,
            automated=False,
        )
    codes = [f["guideline"] for f in entry.rule_flags if f.get("action") == "reject" and f.get("guideline")]
    if codes:
        return Rejection(
            action="reject",
            guidelines=list(Guideline.objects.filter(campaign_id=entry.campaign_id, code__in=codes).order_by("number")),
            note="",
            created_at=entry.state_changed_at,
            automated=True,
        )
    return None


def entry_resubmit_refusal(entry: Entry, *, author: User | None = None) -> str:
    """Why `entry` cannot be sent again as a new version ("" when it can).

    It can when a moderator's applied rejection, or an automatic rule's, cited only fixable
    guidelines, no new version was sent yet, and the campaign still takes entries. With `author`,
    also that they wrote it.
    """
    if author is not None and entry.author_id != author.pk:
        return _("Only the author can send a new version of an entry.")
    rejection = entry_rejection(entry)
    if rejection is None or not rejection.guidelines:
        return _("Only an entry rejected for a guideline can be sent again.")
    if not all(g.fixable for g in rejection.guidelines):
        return _("This entry was rejected for a guideline that cannot be fixed with a new version.")
    if Entry.objects.filter(resubmission_of=entry).exists():
        return _("A new version of this entry was already sent.")
    # The appeal (moderation's, read through its reverse relation) decides first: an upheld one
    # would leave two copies of the entry live.
    appeal = getattr(entry, "appeal", None)
    if appeal is not None and not appeal.outcome:
        return _("Your appeal of this entry is open; wait for its answer before sending a new version.")
    if not entry.campaign.is_open():
        return _("This campaign is not accepting entries right now.")
    return ""


def entry_resubmittable(entry: Entry, *, author: User | None = None) -> bool:
    """Whether `entry` may be sent again as a new version (see entry_resubmit_refusal)."""
    return not entry_resubmit_refusal(entry, author=author)


def resubmission_history(entry: Entry) -> list[dict[str, Any]]:
    """The earlier versions of `entry`, newest first, each with the decision that rejected it."""
    chain: list[dict[str, Any]] = []
    seen = {entry.pk}
    previous = entry.resubmission_of
    while previous is not None and previous.pk not in seen:
        seen.add(previous.pk)
        rejection = entry_rejection(previous)
        chain.append(
            {
                "id": previous.pk,
                "caption": previous.caption,
                "created_at": previous.created_at,
                "decision": rejection.as_dict() if rejection else None,
            }
        )
        previous = previous.resubmission_of
    return chain
