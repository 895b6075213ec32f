"""Operations that change entries. Views, the API, tasks and commands all call these."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import IO

from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from activity.services import Fan, activity_record
from campaigns.models import Campaign
from config.clients import burst_network
from config.errors import Conflict, DomainError
from submissions import media, video
from submissions.models import ALT_TEXT_MAX, CAPTION_MAX, Entry, EntryKind, EntryState, EntryTally, Rendition
from submissions.signals import entry_allowed, entry_left_public, entry_withdrawn
from submissions.storage import private_storage, public_storage

log = logging.getLogger(__name__)

# The one table of legal state changes. Nothing else assigns Entry.state.
TRANSITIONS: dict[str, frozenset[str]] = {
    EntryState.UPLOADED: frozenset({EntryState.PROCESSING, EntryState.REJECTED, EntryState.WITHDRAWN}),
    EntryState.PROCESSING: frozenset({EntryState.PENDING, EntryState.REJECTED, EntryState.WITHDRAWN}),
    EntryState.PENDING: frozenset({EntryState.APPROVED, EntryState.REJECTED, EntryState.WITHDRAWN}),
    EntryState.APPROVED: frozenset({EntryState.FEATURED, EntryState.REMOVED, EntryState.WITHDRAWN, EntryState.HIDDEN}),
    EntryState.FEATURED: frozenset({EntryState.REMOVED, EntryState.WITHDRAWN, EntryState.HIDDEN}),
    # Kept after a look at the reports (back to where it was), or removed, or withdrawn by its author.
    EntryState.HIDDEN: frozenset({EntryState.APPROVED, EntryState.FEATURED, EntryState.REMOVED, EntryState.WITHDRAWN}),
    EntryState.REJECTED: frozenset(),
    EntryState.WITHDRAWN: frozenset(),
    EntryState.REMOVED: frozenset(),
}
# Reversing a decision after its undo window: re-open a rejection, restore a removal, withdraw
# an approval (back to review).
REVERSALS: dict[str, frozenset[str]] = {
    # Back to review; or approved at once when an appeal against the rejection is upheld.
    EntryState.REJECTED: frozenset({EntryState.PENDING, EntryState.APPROVED}),
    EntryState.REMOVED: frozenset({EntryState.APPROVED}),
    EntryState.APPROVED: frozenset({EntryState.PENDING}),
    EntryState.FEATURED: frozenset({EntryState.PENDING}),
}
MAX_PROCESSING_ATTEMPTS = 3
STUCK_AFTER = dt.timedelta(minutes=10)


def tally_move(*, campaign_id: int, from_state: str | None, to_state: str | None) -> None:
    """Count an entry out of one state and into another (None: created or deleted); see EntryTally."""
    rows = [EntryTally(campaign_id=campaign_id, state=st, n=n) for st, n in ((from_state, -1), (to_state, 1)) if st]
    EntryTally.objects.bulk_create(rows)


def tallies_compact() -> int:
    """Fold each campaign's tally deltas into one row per state (periodic; safe to run twice).

    Rows are read and deleted in one statement per campaign under the campaign's tally lock, so a
    delta written meanwhile is either folded or left for the next run, never lost or counted twice.
    """
    folded = 0
    campaign_ids = (
        EntryTally.objects.values("campaign_id", "state")
        .annotate(rows=Count("id"))
        .filter(rows__gt=1)
        .values_list("campaign_id", flat=True)
        .distinct()
    )
    for campaign_id in list(campaign_ids):
        with transaction.atomic():
            rows = list(EntryTally.objects.select_for_update().filter(campaign_id=campaign_id))
            totals: dict[str, int] = {}
            for row in rows:
                totals[row.state] = totals.get(row.state, 0) + row.n
            EntryTally.objects.filter(pk__in=[r.pk for r in rows]).delete()
            EntryTally.objects.bulk_create(
                EntryTally(campaign_id=campaign_id, state=st, n=n) for st, n in totals.items() if n
            )
            folded += len(rows)
    return folded


def entry_transition(*, entry: Entry, to: str, reason: str = "", reversal: bool = False) -> Entry:
    """Move `entry` to state `to`, or raise Conflict when the state machine forbids it.

    `reversal` also allows the moves that reverse a moderator's decision (REVERSALS), which
    only moderation.services.entry_reverse makes. Callers hold the row lock
    (select_for_update) inside a transaction.
    """
    allowed = TRANSITIONS[entry.state] | (REVERSALS.get(entry.state, frozenset()) if reversal else frozenset())
    if to not in allowed:
        raise Conflict(
            _("This entry is %(state)s and cannot become %(to)s.")
            % {"state": entry.get_state_display(), "to": EntryState(to).label},
            field="state",
        )
    tally_move(campaign_id=entry.campaign_id, from_state=entry.state, to_state=to)
    entry.state = to
    entry.state_changed_at = timezone.now()
    if reason:
        entry.rejection_reason = reason[:300]
    entry.claimed_by = None
    entry.claim_expires_at = None
    entry.save(update_fields=["state", "state_changed_at", "rejection_reason", "claimed_by", "claim_expires_at"])
    return entry


def check_details(*, caption: str, alt_text: str, consent: bool) -> None:
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


def check_can_enter(*, author: User, campaign: Campaign, kind: str | None = None, resubmission: bool = False) -> None:
    """The campaign takes entries now, of this kind, and the fan is within the per-fan limits.

    Checked when a fan asks for an upload slot and again when the entry is created. A new
    version of a rejected entry (`resubmission`) counts once: the rejected one no longer counts,
    and the new version may be sent at the per-day limit (the limit counts it afterwards).
    """
    if not campaign.is_open():
        raise DomainError(_("This campaign is not accepting entries right now."), field="campaign")
    if kind == EntryKind.PHOTO and not campaign.accepts_photos:
        raise DomainError(_("This campaign does not accept photos."), field="file")
    if kind == EntryKind.VIDEO:
        if not campaign.accepts_videos:
            raise DomainError(_("This campaign does not accept videos."), field="file")
        if not video.available():
            raise DomainError(
                _("Video entries cannot be processed on this server right now; please send a photo."), field="file"
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
    # Asked first, whatever the entry: a blocked fan is refused a new version too.
    entry_allowed.send(sender=Entry, author=author, campaign=campaign)
    if resubmission:
        return
    today = live.filter(created_at__gte=timezone.now() - dt.timedelta(days=1)).count()
    if today >= campaign.max_entries_per_fan_per_day:
        raise DomainError(
            _("You sent %(n)s entries in the last 24 hours, the most this campaign allows per day. Try again later.")
            % {"n": campaign.max_entries_per_fan_per_day},
            field="file",
        )


def check_size(*, campaign: Campaign, size: int) -> None:
    if size <= 0:
        raise DomainError(_("The file is empty."), field="file")
    if size > campaign.max_bytes:
        raise DomainError(
            _("The file is %(mb).1f MB; this campaign accepts up to %(max).1f MB.")
            % {"mb": size / 1048576, "max": campaign.max_bytes / 1048576},
            field="file",
        )


def probe_upload(*, campaign: Campaign, head: IO[bytes]) -> media.Probe:
    """The real type (and, for photos, the pixel count) from the file's first bytes."""
    try:
        return media.probe(head, max_pixels=campaign.max_pixels)
    except media.MediaRejected as exc:
        raise DomainError(str(exc), field="file") from exc


def entry_create(
    *,
    author: User,
    campaign: Campaign,
    upload: IO[bytes] | None,
    size: int,
    caption: str = "",
    alt_text: str = "",
    consent: bool = False,
    client: str = "",
) -> Entry:
    """Create a fan's entry from a file streamed through Django, and queue its processing.

    The real type (and a photo's pixel count) is checked from the bytes before anything is
    stored; on any DomainError nothing is left behind (no entry, no file, no task). `client` is
    the request's client address (config.clients.client_address), kept as its burst network.
    """
    caption, alt_text = caption.strip(), alt_text.strip()
    check_can_enter(author=author, campaign=campaign)
    check_details(caption=caption, alt_text=alt_text, consent=consent)
    if upload is None:
        raise DomainError(_("Choose a photo or a video to upload."), field="file")
    check_size(campaign=campaign, size=size)
    info = probe_upload(campaign=campaign, head=upload)
    check_can_enter(author=author, campaign=campaign, kind=info.kind)
    entry_id = uuid.uuid4()
    # Server-made key under a private prefix; the fan's file name is never used.
    key = original_key(campaign=campaign, entry_id=entry_id, fmt=info.format)
    upload.seek(0)
    stored = private_storage().save(key, File(upload, name=key))
    return entry_create_from_stored(
        entry_id=entry_id,
        author=author,
        campaign=campaign,
        stored=stored,
        size=size,
        info=info,
        caption=caption,
        alt_text=alt_text,
        client=client,
    )


def original_key(*, campaign: Campaign, entry_id: uuid.UUID, fmt: str) -> str:
    return f"originals/{campaign.pk}/{entry_id}.{fmt}"


def entry_create_from_stored(
    *,
    entry_id: uuid.UUID,
    author: User,
    campaign: Campaign,
    stored: str,
    size: int,
    info: media.Probe,
    caption: str,
    alt_text: str,
    on_created: Callable[[Entry], None] | None = None,
    resubmission_of: Entry | None = None,
    client: str = "",
) -> Entry:
    """Record the entry for an original already in private storage; the file goes if this fails.

    The fan's row is locked while the limits are checked again, so two uploads finishing at the
    same moment cannot both squeeze under them. `resubmission_of`: the rejected entry this one
    is a new version of (see submissions.resubmissions).
    """
    try:
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=author.pk).first()
            check_can_enter(author=author, campaign=campaign, kind=info.kind, resubmission=resubmission_of is not None)
            entry = Entry.objects.create(
                id=entry_id,
                campaign=campaign,
                brand_id=campaign.brand_id,
                author=author,
                kind=info.kind,
                caption=caption,
                alt_text=alt_text,
                original=stored,
                original_bytes=size,
                original_format=info.format,
                width=info.width or None,
                height=info.height or None,
                consent_version=campaign.consent_version,
                consent_given_at=timezone.now(),
                resubmission_of=resubmission_of,
                client_network=burst_network(client),
            )
            tally_move(campaign_id=campaign.pk, from_state=None, to_state=entry.state)
            if on_created is not None:
                on_created(entry)
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


def entry_process(*, entry_id: uuid.UUID | str, counted: bool = False) -> Entry | None:
    """Make an entry's renditions and put it in review, or reject it (see submissions.processing)."""
    from submissions.processing import process_entry

    return process_entry(entry_id=entry_id, counted=counted)


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
    """The author takes an entry back; it is no longer shown anywhere.

    Recorded as `entry.withdrawn` by the fan (by id: activity.services.Fan).
    """
    with transaction.atomic():
        entry = Entry.objects.select_for_update().get(pk=entry.pk)
        if entry.author_id != actor.pk:
            raise DomainError(_("Only the author can withdraw an entry."), status=404)
        was_public, previous = entry.is_public, entry.state
        entry_transition(entry=entry, to=EntryState.WITHDRAWN)
        activity_record(
            actor=Fan(pk=actor.pk),
            verb="entry.withdrawn",
            target_type="entry",
            target_id=entry.pk,
            brand_id=entry.brand_id,
            campaign_id=entry.campaign_id,
            entry_id=entry.pk,
            snapshot={"from": previous, "was_public": was_public},
        )
        entry_withdrawn.send(sender=Entry, entry=entry)
        if was_public:
            withdrawn = entry
            transaction.on_commit(lambda: entry_unpublish_renditions(entry=withdrawn))
            transaction.on_commit(lambda: entry_left_public.send(sender=Entry, entry=withdrawn))
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
