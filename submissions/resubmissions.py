"""Fix and resubmit: a fan sends a new version of an entry rejected for fixable guidelines only.

The new version is an ordinary entry (processing, then the queue) that links the rejected one
through `Entry.resubmission_of`; a rejected entry has at most one new version.
"""

from __future__ import annotations

import uuid

from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from activity.services import Fan, activity_record
from config.errors import Conflict, DomainError
from submissions import media, uploads
from submissions.models import Entry
from submissions.selectors import entry_resubmit_refusal
from submissions.services import check_can_enter, check_details, entry_create_from_stored, original_key
from submissions.storage import private_storage


def entry_resubmit(
    *,
    actor: User,
    entry: Entry,
    caption: str,
    alt_text: str,
    consent: bool,
    slot_id: uuid.UUID | str | None = None,
) -> Entry:
    """Send a new version of the rejected `entry`, with a new file (`slot_id`) or the same one.

    Only its author may (404 for anyone else), once (Conflict on a second try), and only when
    every guideline its rejection cited is fixable and the campaign is open (DomainError naming
    `entry`). With `slot_id` the file uploaded to that slot is used (checked as any upload);
    without, the rejected entry's private original is copied to a new key and only the caption
    and alt text change. Either way the new entry is processed and queued like any other, counts
    once against the per-fan limits, and `entry.resubmitted` is recorded by the fan.
    """
    try:
        return _resubmit(actor=actor, entry=entry, caption=caption, alt_text=alt_text, consent=consent, slot_id=slot_id)
    except Conflict:
        raise
    except DomainError:
        if slot_id is not None:  # a refused version frees its upload slot, as a refused completion does
            uploads.upload_slot_release(author=actor, slot_id=slot_id)
        raise


def _resubmit(
    *, actor: User, entry: Entry, caption: str, alt_text: str, consent: bool, slot_id: uuid.UUID | str | None
) -> Entry:
    caption, alt_text = caption.strip(), alt_text.strip()
    with transaction.atomic():
        previous = Entry.objects.select_for_update().select_related("campaign").filter(pk=entry.pk).first()
        if previous is None or previous.author_id != actor.pk:
            raise DomainError(_("Only the author can send a new version of an entry."), status=404)
        if Entry.objects.filter(resubmission_of=previous).exists():
            raise Conflict(_("A new version of this entry was already sent."), field="entry")
        refusal = entry_resubmit_refusal(previous, author=actor)
        if refusal:
            raise DomainError(refusal, field="entry")
        check_details(caption=caption, alt_text=alt_text, consent=consent)
        if slot_id is not None:
            new = uploads.upload_slot_complete(
                author=actor,
                slot_id=slot_id,
                caption=caption,
                alt_text=alt_text,
                consent=consent,
                resubmission_of=previous,
            )
        else:
            new = _resubmit_same_file(actor=actor, previous=previous, caption=caption, alt_text=alt_text)
        activity_record(
            actor=Fan(pk=actor.pk),
            verb="entry.resubmitted",
            target_type="entry",
            target_id=new.pk,
            brand_id=new.brand_id,
            campaign_id=new.campaign_id,
            entry_id=new.pk,
            snapshot={"previous": str(previous.pk), "new_file": slot_id is not None},
        )
    return new


def _resubmit_same_file(*, actor: User, previous: Entry, caption: str, alt_text: str) -> Entry:
    """A new entry from a server-side copy of the rejected entry's private original."""
    campaign = previous.campaign
    check_can_enter(author=actor, campaign=campaign, kind=previous.kind, resubmission=True)
    entry_id = uuid.uuid4()
    key = original_key(campaign=campaign, entry_id=entry_id, fmt=previous.original_format)
    storage = private_storage()
    if not previous.original or not storage.exists(previous.original):
        raise DomainError(_("The earlier file is no longer stored; please choose a new one."), field="slot")
    with storage.open(previous.original, "rb") as fh:
        stored = storage.save(key, File(fh, name=key))
    info = media.Probe(
        kind=previous.kind,
        format=previous.original_format,
        width=previous.width or 0,
        height=previous.height or 0,
    )
    return entry_create_from_stored(
        entry_id=entry_id,
        author=actor,
        campaign=campaign,
        stored=stored,
        size=previous.original_bytes,
        info=info,
        caption=caption,
        alt_text=alt_text,
        resubmission_of=previous,
    )
