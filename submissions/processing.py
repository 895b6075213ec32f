"""Processing an uploaded entry: renditions, hashes, metadata summary, automatic flags.

Idempotent and safe to run twice: the state moves uploaded → processing → pending (or rejected)
under a row lock, each delivery is counted, and a file that keeps killing its worker is rejected
after MAX_PROCESSING_ATTEMPTS deliveries instead of looping forever. Outages of the storage or of
the database are not the file's fault: they are raised for the task to retry, and the delivery
they interrupted does not count.
"""

from __future__ import annotations

import io
import logging
import shutil
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.base import ContentFile
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activity.services import activity_record
from submissions import media, traits, video
from submissions.models import Entry, EntryKind, EntryState, Rendition
from submissions.services import MAX_PROCESSING_ATTEMPTS, entry_transition
from submissions.signals import entry_ready_for_review
from submissions.storage import private_storage

log = logging.getLogger(__name__)
POSTER_MAX_PIXELS = video.MAX_VIDEO_SIDE * video.MAX_VIDEO_SIDE
# Failures of the storage or the network around it: worth retrying, never the file's fault.
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)
# The database went away (a restart, a failover, a dropped connection): worth retrying too.
DATABASE_ERRORS = (OperationalError, InterfaceError)
UNPROCESSABLE = gettext_lazy("We could not process this file. Please try another one.")


@dataclass
class Outcome:
    """What processing made: files to store and facts to record on the entry."""

    images: list[media.RenditionImage]
    sha256: str
    summary: dict[str, Any]
    width: int
    height: int
    duration: float | None = None
    web_video: Path | None = None
    frame_hashes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


class DatabaseUnavailable(Exception):
    """Processing was interrupted by a database outage; the task retries it.

    `counted` says whether the interrupted delivery's attempt is already recorded on the entry
    (the database went away after the first step committed): the retry must then not count
    itself again, which the database, being down, could not be told now.
    """

    def __init__(self, *, counted: bool) -> None:
        super().__init__("the database is unavailable")
        self.counted = counted


@dataclass
class _Delivery:
    counted: bool


def process_entry(*, entry_id: uuid.UUID | str, counted: bool = False) -> Entry | None:
    """Process one entry (see the module docstring).

    Storage errors are raised as they are; database errors as DatabaseUnavailable. `counted` is
    True for a retry whose interrupted delivery was already counted (DatabaseUnavailable.counted).
    """
    delivery = _Delivery(counted=counted)
    try:
        return _process(entry_id=entry_id, delivery=delivery)
    except DATABASE_ERRORS as exc:
        raise DatabaseUnavailable(counted=delivery.counted) from exc


def _process(*, entry_id: uuid.UUID | str, delivery: _Delivery) -> Entry | None:
    with transaction.atomic():
        entry = Entry.objects.select_for_update().filter(pk=entry_id).first()
        if entry is None or entry.state not in (EntryState.UPLOADED, EntryState.PROCESSING):
            return entry
        if not delivery.counted:
            entry.processing_attempts += 1
            entry.save(update_fields=["processing_attempts"])
            if entry.processing_attempts > MAX_PROCESSING_ATTEMPTS:
                entry_transition(entry=entry, to=EntryState.REJECTED, reason=str(UNPROCESSABLE))
                _record(
                    entry, "entry.refused", {"reason": entry.rejection_reason, "attempts": entry.processing_attempts}
                )
                return entry
        if entry.state == EntryState.UPLOADED:
            entry_transition(entry=entry, to=EntryState.PROCESSING)
        campaign = entry.campaign
    delivery.counted = True

    # This run's own folder: a concurrent or killed delivery never overwrites or deletes files an
    # approval may be copying; the run that records its renditions removes the others' after commit.
    run = uuid.uuid4().hex[:12]
    workdir = Path(tempfile.mkdtemp(prefix="fanfare-"))
    try:
        try:
            if entry.kind == EntryKind.VIDEO:
                outcome = _process_video(entry, workdir, max_seconds=campaign.max_video_seconds)
            else:
                outcome = _process_photo(entry, max_pixels=campaign.max_pixels)
        except media.MediaRejected as exc:
            return entry_reject_unprocessable(entry_id=entry.pk, reason=str(exc))
        names = _store(entry=entry, outcome=outcome, run=run)
    except STORAGE_ERRORS:
        # The storage failed, not the file: this delivery does not count towards the poison
        # limit, and the task retries with backoff (submissions.tasks).
        Entry.objects.filter(pk=entry.pk, processing_attempts__gt=0).update(
            processing_attempts=F("processing_attempts") - 1
        )
        delivery.counted = False
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    look = traits.picture_traits(min(outcome.images, key=lambda i: (i.format != "jpeg", i.width)).data)
    with transaction.atomic():
        entry = Entry.objects.select_for_update().get(pk=entry.pk)
        if entry.state != EntryState.PROCESSING:
            # Withdrawn meanwhile, or another delivery finished first: this run's files are nobody's.
            transaction.on_commit(lambda: _delete_files(row["name"] for row in names), robust=True)
            return entry
        entry.renditions.all().delete()
        Rendition.objects.bulk_create(Rendition(entry=entry, **row) for row in names)
        recorded = entry.pk
        transaction.on_commit(lambda: _delete_other_runs(entry_id=recorded, keep=run), robust=True)
        entry.width, entry.height = outcome.width, outcome.height
        entry.duration_seconds = outcome.duration
        entry.sha256 = outcome.sha256
        entry.original_summary = outcome.summary
        entry.phash = look["phash"]
        entry.frame_hashes = outcome.frame_hashes
        entry.dominant_color = look["dominant_color"]
        entry.placeholder = look["placeholder"]
        _flag_duplicates(entry)
        entry.save()
        entry_transition(entry=entry, to=EntryState.PENDING)
        entry_ready_for_review.send(sender=Entry, entry=entry)
        _record(entry, "entry.processed", {"state": entry.state, "flags": [f.get("kind") for f in entry.flags]})
    return entry


def _record(entry: Entry, verb: str, snapshot: dict[str, Any]) -> None:
    """One activity row by `system:processing`, in the caller's transaction: one insert, no reads."""
    activity_record(
        actor="system:processing",
        verb=verb,
        target_type="entry",
        target_id=entry.pk,
        brand_id=entry.brand_id,
        campaign_id=entry.campaign_id,
        entry_id=entry.pk,
        snapshot=snapshot,
    )


def entry_reject_unprocessable(*, entry_id: uuid.UUID | str, reason: str) -> Entry | None:
    """Reject an entry whose file cannot be used, with a reason the fan can read."""
    with transaction.atomic():
        entry = Entry.objects.select_for_update().filter(pk=entry_id).first()
        if entry is not None and entry.state in (EntryState.UPLOADED, EntryState.PROCESSING):
            entry_transition(entry=entry, to=EntryState.REJECTED, reason=reason)
            _record(entry, "entry.refused", {"reason": entry.rejection_reason})
    return entry


def _process_photo(entry: Entry, *, max_pixels: int) -> Outcome:
    with private_storage().open(entry.original, "rb") as fh:
        data = fh.read()
    _info, images = media.make_renditions(io.BytesIO(data), max_pixels=max_pixels)
    largest = max(images, key=lambda img: img.width * img.height)
    return Outcome(
        images=images,
        sha256=media.sha256_of(io.BytesIO(data)),
        summary=traits.photo_summary(data, entry.original_format),
        width=largest.width,
        height=largest.height,
    )


def _process_video(entry: Entry, workdir: Path, *, max_seconds: int) -> Outcome:
    if not video.available():
        raise media.MediaRejected(_("Video entries cannot be processed on this server right now."))
    source = workdir / "original"
    with private_storage().open(entry.original, "rb") as fh, source.open("wb") as out:
        shutil.copyfileobj(fh, out, 1024 * 1024)
    info = video.probe_video(source, fmt=entry.original_format, max_seconds=max_seconds)
    poster = video.poster_frame(source, fmt=entry.original_format, duration=info.duration)
    _poster_info, images = media.make_renditions(io.BytesIO(poster), max_pixels=POSTER_MAX_PIXELS)
    web = workdir / "web.mp4"
    decoder_log = video.web_rendition(source, web, fmt=entry.original_format, has_audio=info.audio_codec is not None)
    web_info = video.probe_video(web, fmt="mp4", max_seconds=max_seconds + 5)
    video.check_decoded(probed=info.kept_duration, decoded=web_info.duration, decoder_log=decoder_log)
    with source.open("rb") as fh:
        digest = media.sha256_of(fh)
    frames = video.frame_thumbnails(source, fmt=entry.original_format, duration=info.duration)
    return Outcome(
        frame_hashes=[traits.dhash(frame) for frame in frames],
        images=images,
        sha256=digest,
        summary=video.summary_of_tags(info.tags),
        width=web_info.width,
        height=web_info.height,
        duration=round(info.duration, 2),
        web_video=web,
    )


def _store(*, entry: Entry, outcome: Outcome, run: str) -> list[dict[str, Any]]:
    """Write the renditions to private storage in this run's own folder (never another run's)."""
    storage = private_storage()
    rows = []

    def put(name: str, content: ContentFile[bytes] | Any) -> str:
        storage.delete(name)  # only a retry of this same run can have written it
        return storage.save(name, content)

    prefix = f"renditions/{entry.pk}/{run}/"
    for img in outcome.images:
        name = f"{prefix}{'poster-' if entry.kind == EntryKind.VIDEO else ''}{img.width}.{_ext(img.format)}"
        rows.append(
            {
                "name": put(name, ContentFile(img.data, name=name)),
                "format": img.format,
                "width": img.width,
                "height": img.height,
                "bytes": len(img.data),
            }
        )
    if outcome.web_video is not None:
        name = f"{prefix}video-{outcome.width}.mp4"
        with outcome.web_video.open("rb") as fh:
            stored = put(name, ContentFile(fh.read(), name=name))
        rows.append(
            {
                "name": stored,
                "format": "mp4",
                "width": outcome.width,
                "height": outcome.height,
                "bytes": outcome.web_video.stat().st_size,
            }
        )
    return rows


def _delete_files(names: Iterable[str]) -> None:
    storage = private_storage()
    for name in names:
        storage.delete(name)


def _delete_other_runs(*, entry_id: uuid.UUID, keep: str) -> None:
    """Remove what other deliveries (killed, or finished second) left under the entry's renditions."""
    storage = private_storage()
    base = f"renditions/{entry_id}/"
    try:
        folders, files = storage.listdir(base)
    except FileNotFoundError:
        return
    _delete_files(base + name for name in files)  # names of the time before per-run folders
    for folder in folders:
        if folder != keep:
            _delete_files(base + folder + "/" + name for name in storage.listdir(base + folder)[1])


def _ext(fmt: str) -> str:
    return {"jpeg": "jpg", "webp": "webp", "mp4": "mp4"}[fmt]


# How many of the brand's latest entries a new one is compared with for near-duplicates (the exact
# comparison, by SHA-256, goes through its index and sees them all).
NEAR_DUPLICATE_SCAN = 20_000
# A video repeats another when this share of its sampled frames has a near-identical frame there.
FRAMES_SHARE = 0.6


def _flag_duplicates(entry: Entry) -> None:
    """Flag an entry that repeats one already sent to any of the brand's campaigns, exactly or
    nearly, for moderators. Videos are compared frame by frame (several frames spread over the
    video), so a re-encoded or trimmed copy is found even when its poster differs."""
    others = (
        Entry.objects.filter(brand_id=entry.brand_id)
        .exclude(pk=entry.pk)
        .exclude(state__in=[EntryState.UPLOADED, EntryState.PROCESSING, EntryState.WITHDRAWN])
    )
    exact = others.filter(sha256=entry.sha256).order_by("created_at").first()
    if exact is not None:
        _flag_duplicate(entry, of=exact.pk, campaign_id=exact.campaign_id, exact=True, distance=0)
        return
    best: tuple[int, Any, Any, int] | None = None  # the closest, then the earliest
    recent = others.exclude(phash="").order_by("-state_changed_at")[:NEAR_DUPLICATE_SCAN]
    rows = recent.values_list("pk", "campaign_id", "phash", "frame_hashes", "created_at")
    for pk, campaign_id, phash, frames, created_at in rows:
        if entry.frame_hashes and frames:
            matched = traits.frames_match(entry.frame_hashes, frames)
            if matched < FRAMES_SHARE * len(entry.frame_hashes):
                continue
            distance = len(entry.frame_hashes) - matched  # frames without a twin
        else:
            distance = traits.hamming(entry.phash, phash)
            if distance > traits.NEAR_DUPLICATE_BITS:
                continue
        if best is None or (distance, created_at) < best[:2]:
            best = (distance, created_at, pk, campaign_id)
    if best is not None:
        _flag_duplicate(entry, of=best[2], campaign_id=best[3], exact=False, distance=best[0])


def _flag_duplicate(entry: Entry, *, of: Any, campaign_id: int, exact: bool, distance: int) -> None:
    entry.duplicate_of_id = of
    flag: dict[str, Any] = {"kind": "duplicate", "of": str(of), "exact": exact, "distance": distance}
    if campaign_id != entry.campaign_id:
        flag["campaign_id"] = campaign_id  # sent to another of the brand's campaigns
    if entry.frame_hashes:
        flag["frames"] = True
    entry.flags = [f for f in entry.flags if f.get("kind") != "duplicate"] + [flag]
