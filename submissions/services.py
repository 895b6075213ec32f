"""Operations that change entries. Views, the API, tasks and commands all call these."""

from __future__ import annotations

import datetime as dt
import io
import logging
import uuid
from collections.abc import Iterable
from typing import BinaryIO

from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from campaigns.models import Campaign
from config.errors import Conflict, DomainError
from submissions import media
from submissions.models import ALT_TEXT_MAX, CAPTION_MAX, Entry, EntryState, Rendition
from submissions.storage import private_storage, public_storage

log = logging.getLogger(__name__)

# The one table of legal state changes. Nothing else assigns Entry.state.
TRANSITIONS: dict[str, frozenset[str]] = {
    EntryState.UPLOADED: frozenset({EntryState.PROCESSING, EntryState.REJECTED, EntryState.WITHDRAWN}),
    EntryState.PROCESSING: frozenset({EntryState.PENDING, EntryState.REJECTED, EntryState.WITHDRAWN}),
    EntryState.PENDING: frozenset({EntryState.APPROVED, EntryState.REJECTED, EntryState.WITHDRAWN}),
    EntryState.APPROVED: frozenset({EntryState.FEATURED, EntryState.REMOVED, EntryState.WITHDRAWN}),
    EntryState.FEATURED: frozenset({EntryState.REMOVED, EntryState.WITHDRAWN}),
    EntryState.REJECTED: frozenset(),
    EntryState.WITHDRAWN: frozenset(),
    EntryState.REMOVED: frozenset(),
}
MAX_PROCESSING_ATTEMPTS = 3
STUCK_AFTER = dt.timedelta(minutes=10)


def entry_transition(*, entry: Entry, to: str, reason: str = "") -> Entry:
    """Move `entry` to state `to`, or raise Conflict when the state machine forbids it.

    Callers hold the row lock (select_for_update) inside a transaction.
    """
    if to not in TRANSITIONS[entry.state]:
        raise Conflict(
            _("This entry is %(state)s and cannot become %(to)s.")
            % {"state": entry.get_state_display(), "to": EntryState(to).label},
            field="state",
        )
    entry.state = to
    entry.state_changed_at = timezone.now()
    if reason:
        entry.rejection_reason = reason[:300]
    entry.claimed_by = None
    entry.claim_expires_at = None
    entry.save(update_fields=["state", "state_changed_at", "rejection_reason", "claimed_by", "claim_expires_at"])
    return entry


def _validate_entry_input(
    *,
    author: User,
    campaign: Campaign,
    upload: BinaryIO | None,
    size: int,
    caption: str,
    alt_text: str,
    consent: bool,
) -> media.Probe:
    if not campaign.is_open():
        raise DomainError(_("This campaign is not accepting entries right now."), field="campaign")
    if not campaign.accepts_photos:
        raise DomainError(_("This campaign does not accept photos."), field="file")
    if not consent:
        raise DomainError(_("Please accept the campaign's terms to enter."), field="consent")
    if len(caption) > CAPTION_MAX:
        raise DomainError(
            _("The caption is %(n)s characters long; the limit is %(max)s.") % {"n": len(caption), "max": CAPTION_MAX},
            field="caption",
        )
    if not alt_text.strip():
        raise DomainError(_("Describe the picture in a few words for people who cannot see it."), field="alt_text")
    if len(alt_text) > ALT_TEXT_MAX:
        raise DomainError(
            _("The description is longer than %(max)s characters.") % {"max": ALT_TEXT_MAX}, field="alt_text"
        )
    if upload is None:
        raise DomainError(_("Choose a photo to upload."), field="file")
    if size == 0:
        raise DomainError(_("The file is empty."), field="file")
    if size > campaign.max_bytes:
        raise DomainError(
            _("The file is %(mb).1f MB; this campaign accepts up to %(max).1f MB.")
            % {"mb": size / 1048576, "max": campaign.max_bytes / 1048576},
            field="file",
        )
    live = Entry.objects.filter(author=author, campaign=campaign).exclude(
        state__in=[EntryState.REJECTED, EntryState.WITHDRAWN]
    )
    if live.count() >= campaign.max_entries_per_fan:
        raise DomainError(
            _("You already have %(n)s entries in this campaign, the most it allows.")
            % {"n": campaign.max_entries_per_fan},
            field="file",
        )
    try:
        return media.probe(upload, max_pixels=campaign.max_pixels)
    except media.MediaRejected as exc:
        raise DomainError(str(exc), field="file") from exc


def entry_create(
    *,
    author: User,
    campaign: Campaign,
    upload: BinaryIO | None,
    size: int,
    caption: str = "",
    alt_text: str = "",
    consent: bool = False,
) -> Entry:
    """Create a fan's entry from an uploaded photo and queue its processing.

    The file's real type and pixel count are checked from its bytes before anything is stored;
    on any DomainError nothing is left behind (no entry, no file, no task).
    """
    caption = caption.strip()
    alt_text = alt_text.strip()
    info = _validate_entry_input(
        author=author,
        campaign=campaign,
        upload=upload,
        size=size,
        caption=caption,
        alt_text=alt_text,
        consent=consent,
    )
    if upload is None:  # already refused by the validation; keeps type checkers informed
        raise DomainError(_("Choose a photo to upload."), field="file")
    entry_id = uuid.uuid4()
    # Server-made key under a private prefix; the fan's file name is never used.
    key = f"originals/{campaign.pk}/{entry_id}.{info.format}"
    upload.seek(0)
    stored = private_storage().save(key, File(upload, name=key))
    try:
        with transaction.atomic():
            entry = Entry.objects.create(
                id=entry_id,
                campaign=campaign,
                author=author,
                caption=caption,
                alt_text=alt_text,
                original=stored,
                original_bytes=size,
                original_format=info.format,
                width=info.width,
                height=info.height,
                consent_version=campaign.consent_version,
                consent_given_at=timezone.now(),
            )
            transaction.on_commit(lambda: queue_processing(entry_id=entry.pk))
    except BaseException:
        private_storage().delete(stored)
        raise
    return entry


def queue_processing(*, entry_id: uuid.UUID) -> None:
    """Queue the processing task; a broker outage is logged and the sweeper re-queues later."""
    from submissions.tasks import process_entry

    try:
        process_entry.delay(str(entry_id))
    except Exception:
        if process_entry.app.conf.task_always_eager:
            raise
        log.exception("Could not queue entry %s; the sweeper will retry", entry_id)


def entry_process(*, entry_id: uuid.UUID | str) -> Entry | None:
    """Make the renditions of an uploaded entry and put it in review (or reject it).

    Idempotent: an entry that is already past processing is left alone, so a task delivered twice
    (a killed worker, a re-queue) does no harm. Gives up after MAX_PROCESSING_ATTEMPTS deliveries.
    """
    with transaction.atomic():
        entry = Entry.objects.select_for_update().filter(pk=entry_id).first()
        if entry is None or entry.state not in (EntryState.UPLOADED, EntryState.PROCESSING):
            return entry
        entry.processing_attempts += 1
        entry.save(update_fields=["processing_attempts"])
        if entry.processing_attempts > MAX_PROCESSING_ATTEMPTS:
            return entry_transition(
                entry=entry,
                to=EntryState.REJECTED,
                reason=_("We could not process this file. Please try another one."),
            )
        if entry.state == EntryState.UPLOADED:
            entry_transition(entry=entry, to=EntryState.PROCESSING)
        campaign = entry.campaign

    try:
        with private_storage().open(entry.original, "rb") as fh:
            data = io.BytesIO(fh.read())
        _info, images = media.make_renditions(data, max_pixels=campaign.max_pixels)
        digest = media.sha256_of(data)
    except media.MediaRejected as exc:
        with transaction.atomic():
            entry = Entry.objects.select_for_update().get(pk=entry_id)
            if entry.state == EntryState.PROCESSING:
                entry_transition(entry=entry, to=EntryState.REJECTED, reason=str(exc))
        return entry

    names = _store_private_renditions(entry=entry, images=images)
    with transaction.atomic():
        entry = Entry.objects.select_for_update().get(pk=entry_id)
        if entry.state != EntryState.PROCESSING:
            return entry  # another delivery finished first
        entry.renditions.all().delete()
        Rendition.objects.bulk_create(
            Rendition(
                entry=entry, name=name, format=img.format, width=img.width, height=img.height, bytes=len(img.data)
            )
            for name, img in zip(names, images, strict=True)
        )
        largest = max(images, key=lambda img: img.width * img.height)
        entry.width, entry.height = largest.width, largest.height
        entry.sha256 = digest
        entry.save(update_fields=["width", "height", "sha256"])
        entry_transition(entry=entry, to=EntryState.PENDING)
    return entry


def _store_private_renditions(*, entry: Entry, images: Iterable[media.RenditionImage]) -> list[str]:
    storage = private_storage()
    names = []
    for img in images:
        name = f"renditions/{entry.pk}/{img.width}.{'jpg' if img.format == 'jpeg' else 'webp'}"
        storage.delete(name)  # a re-delivery overwrites rather than piling up copies
        names.append(storage.save(name, ContentFile(img.data, name=name)))
    return names


def entry_publish_renditions(*, entry: Entry) -> None:
    """Copy an entry's renditions to public storage (on approval). Undone on any failure."""
    public = public_storage()
    done: list[Rendition] = []
    try:
        for rendition in entry.renditions.all():
            if rendition.public_name:
                continue
            with private_storage().open(rendition.name, "rb") as fh:
                content = ContentFile(fh.read(), name=rendition.name)
            # The random entry UUID keeps public names unguessable before approval.
            target = rendition.name.replace("renditions/", "entries/", 1)
            rendition.public_name = public.save(target, content)
            rendition.save(update_fields=["public_name"])
            done.append(rendition)
    except BaseException:
        for rendition in done:
            public.delete(rendition.public_name)
        raise


def entry_unpublish_renditions(*, entry: Entry) -> None:
    """Delete an entry's public copies (on removal or withdrawal)."""
    public = public_storage()
    for rendition in entry.renditions.exclude(public_name=""):
        public.delete(rendition.public_name)
        rendition.public_name = ""
        rendition.save(update_fields=["public_name"])


def entry_withdraw(*, actor: User, entry: Entry) -> Entry:
    """The author takes an entry back; it is no longer shown anywhere."""
    with transaction.atomic():
        entry = Entry.objects.select_for_update().get(pk=entry.pk)
        if entry.author_id != actor.pk:
            raise DomainError(_("Only the author can withdraw an entry."), status=404)
        was_public = entry.is_public
        entry_transition(entry=entry, to=EntryState.WITHDRAWN)
        if was_public:
            entry_unpublish_renditions(entry=entry)
    return entry


def requeue_stuck_entries(*, older_than: dt.timedelta = STUCK_AFTER) -> int:
    """Queue processing again for entries stuck in uploaded/processing (a lost task or worker)."""
    cutoff = timezone.now() - older_than
    stuck = list(
        Entry.objects.filter(
            state__in=[EntryState.UPLOADED, EntryState.PROCESSING], state_changed_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
    for entry_id in stuck:
        queue_processing(entry_id=entry_id)
    return len(stuck)
