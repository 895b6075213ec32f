"""Direct uploads: a fan's browser sends the bytes straight to storage through a one-time slot.

1. `upload_slot_create` checks the fan may enter, then returns a slot: with S3 a presigned POST
   whose policy pins the server-made quarantine key, the content type and the length range, valid
   for a few minutes; with local storage a Django URL that streams the file to the same key.
2. The browser sends the file (with a progress bar), then calls `upload_slot_complete`, which does
   not trust the storage to have enforced anything: it checks the object exists, its size (HEAD),
   its real type from its first bytes, moves it out of quarantine and creates the entry.

A slot completes once; reusing its POST afterwards only writes an orphan in quarantine, which the
sweeper deletes.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import uuid
import zlib
from typing import IO, Any

from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Least
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from campaigns.models import Campaign
from config.clients import client_network
from config.errors import Conflict, DomainError, RateLimited
from submissions.models import Entry, EntryKind, EntryState, UploadSlot
from submissions.services import (
    check_can_enter,
    check_details,
    check_size,
    entry_create_from_stored,
    original_key,
    probe_upload,
)
from submissions.storage import private_s3_storage, private_storage

log = logging.getLogger(__name__)

SLOT_LIFETIME = dt.timedelta(minutes=10)
ADVISORY_SLOTS = 1_534  # the class of PostgreSQL advisory locks that serialise one client's slot requests
COMPLETE_WITHIN = dt.timedelta(hours=1)
HEAD_BYTES = 256 * 1024  # each ranged read while probing
CONTENT_TYPES = {
    EntryKind.PHOTO: {"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif", "image/gif"},
    EntryKind.VIDEO: {"video/mp4", "video/quicktime", "video/webm"},
}


def upload_slot_create(
    *, author: User, campaign: Campaign, content_type: str, size: int, client: str = "", resubmission: bool = False
) -> UploadSlot:
    """A one-time slot for one file of `content_type` and at most the campaign's byte limit.

    `resubmission`: the file is for a new version of a rejected entry, which the per-day limit
    does not count (the resubmit endpoint checks the entry itself when the slot is used).

    RateLimited (429) while the fan, or the client address `client`, already holds as many open
    slots as allowed (UPLOAD_SLOTS_PER_FAN, UPLOAD_SLOTS_PER_CLIENT): each is a presigned POST
    valid for minutes, so an unbounded number would let one account fill the bucket.
    """
    content_type = (content_type or "").split(";")[0].strip().lower()
    kind = next((k for k, types in CONTENT_TYPES.items() if content_type in types), None)
    if kind is None:
        raise DomainError(
            _("Send a photo (JPEG, PNG, WebP, HEIC, GIF) or a video (MP4, MOV, WebM)."), field="content_type"
        )
    if resubmission and not _has_rejected_entry(author=author, campaign=campaign):
        raise DomainError(_("You have no rejected entry here to send a new version of."), field="resubmission")
    check_can_enter(author=author, campaign=campaign, kind=kind, resubmission=resubmission)
    check_size(campaign=campaign, size=size)
    slot_id = uuid.uuid4()
    now = timezone.now()
    client = client_network(client)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=author.pk).first()  # concurrent asks of one fan queue here
        if client and connection.vendor == "postgresql":  # and those of one client, across accounts
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_SLOTS, zlib.crc32(client.encode()) >> 1]
                )
        open_slots = UploadSlot.objects.filter(completed_at__isnull=True, expires_at__gt=now)
        mine = open_slots.filter(author=author)
        if mine.count() >= settings.UPLOAD_SLOTS_PER_FAN:
            raise RateLimited(
                _("You have %(n)s uploads under way. Finish one, or wait a few minutes, before starting another.")
                % {"n": settings.UPLOAD_SLOTS_PER_FAN},
                field="upload",
                retry_after=_seconds_until_one_frees(mine, now=now),
            )
        theirs = open_slots.filter(client_address=client) if client else None
        if theirs is not None and theirs.count() >= settings.UPLOAD_SLOTS_PER_CLIENT:
            raise RateLimited(
                _("Too many uploads are under way from your network. Please wait a few minutes and try again."),
                field="upload",
                retry_after=_seconds_until_one_frees(theirs, now=now),
            )
        return UploadSlot.objects.create(
            id=slot_id,
            campaign=campaign,
            author=author,
            key=f"quarantine/{campaign.pk}/{slot_id}",
            kind=kind,
            content_type=content_type,
            max_bytes=campaign.max_bytes,
            expires_at=now + SLOT_LIFETIME,
            client_address=client or None,
        )


def _has_rejected_entry(*, author: User, campaign: Campaign) -> bool:
    """A rejected entry of the fan's here with no new version yet (the resubmit endpoint checks which)."""
    return Entry.objects.filter(
        author=author, campaign=campaign, state=EntryState.REJECTED, resubmission__isnull=True
    ).exists()


def _seconds_until_one_frees(slots: QuerySet[UploadSlot], *, now: dt.datetime) -> int:
    first = slots.order_by("expires_at").values_list("expires_at", flat=True).first()
    return max(1, int((first - now).total_seconds()) + 1) if first else 60


def upload_target(slot: UploadSlot) -> dict[str, Any]:
    """Where and how the browser sends the file: {"url", "method", "fields", "file_field"}."""
    if settings.USE_S3:
        storage = private_s3_storage()
        client = storage.connection.meta.client
        post = client.generate_presigned_post(
            Bucket=storage.bucket_name,
            Key=slot.key,
            Fields={"Content-Type": slot.content_type},
            Conditions=[
                {"Content-Type": slot.content_type},
                ["content-length-range", 1, slot.max_bytes],
            ],
            ExpiresIn=int(SLOT_LIFETIME.total_seconds()),
        )
        return {"url": post["url"], "method": "POST", "fields": post["fields"], "file_field": "file"}
    return {
        "url": reverse("api-upload-file", kwargs={"slot_id": slot.pk}),
        "method": "POST",
        "fields": {},
        "file_field": "file",
    }


def _slot_for(*, author: User, slot_id: uuid.UUID | str, lock: bool = False) -> UploadSlot:
    try:
        qs = UploadSlot.objects.select_related("campaign")
        if lock:
            qs = qs.select_for_update(of=("self",))
        slot = qs.filter(pk=slot_id, author=author).first()
    except (ValueError, TypeError) as exc:
        raise Http404 from exc
    if slot is None:
        raise Http404
    return slot


def upload_slot_receive(*, author: User, slot_id: uuid.UUID | str, upload: IO[bytes] | None, size: int) -> None:
    """Local storage: stream the file to the slot's key (the S3 flow skips Django entirely)."""
    slot = _slot_for(author=author, slot_id=slot_id)
    if slot.completed_at or slot.expires_at < timezone.now():
        raise Conflict(_("This upload link has expired or was already used; start again."), field="file")
    if upload is None:
        raise DomainError(_("Choose a photo or a video to upload."), field="file")
    if size > slot.max_bytes:
        raise DomainError(
            _("The file is %(mb).1f MB; this campaign accepts up to %(max).1f MB.")
            % {"mb": size / 1048576, "max": slot.max_bytes / 1048576},
            field="file",
        )
    storage = private_storage()
    storage.delete(slot.key)
    upload.seek(0)
    storage.save(slot.key, File(upload, name=slot.key))


class _S3RangeReader(io.RawIOBase):
    """A seekable, read-only view of one version of an S3 object, fetched by byte ranges on demand.

    Lets the probe read just the headers it needs (however long the metadata before them) without
    downloading the whole upload into the web process. `etag` pins the version that was checked.
    """

    def __init__(self, *, client: Any, bucket: str, key: str, size: int, etag: str) -> None:
        self._client, self._bucket, self._key, self._size, self._etag = client, bucket, key, size, etag
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        if self._pos >= self._size or not len(buffer):
            return 0
        end = min(self._pos + len(buffer), self._size) - 1
        body = self._client.get_object(
            Bucket=self._bucket, Key=self._key, Range=f"bytes={self._pos}-{end}", IfMatch=self._etag
        )["Body"].read()
        buffer[: len(body)] = body
        self._pos += len(body)
        return len(body)


def _stat(name: str) -> tuple[int, str]:
    """Size and version tag of a stored upload (HEAD on S3; the ETag is empty locally)."""
    storage = private_storage()
    if settings.USE_S3:
        s3 = private_s3_storage()
        head = s3.connection.meta.client.head_object(Bucket=s3.bucket_name, Key=name)
        return int(head["ContentLength"]), str(head["ETag"])
    return storage.size(name), ""


def _open_for_probe(name: str, *, size: int, etag: str) -> IO[bytes]:
    storage = private_storage()
    if settings.USE_S3:
        s3 = private_s3_storage()
        raw = _S3RangeReader(client=s3.connection.meta.client, bucket=s3.bucket_name, key=name, size=size, etag=etag)
        return io.BufferedReader(raw, buffer_size=HEAD_BYTES)
    return storage.open(name, "rb")


def _move(source: str, target: str, *, etag: str) -> str:
    """Take the checked upload out of quarantine; refuses if it changed since (a reused POST).

    The quarantined object is deleted only once the entry is committed: if the database or the
    storage fails before that, the fan's upload is still in its slot and completing again works.
    A deletion that fails after the commit leaves it to the sweeper.
    """
    storage = private_storage()
    transaction.on_commit(lambda: storage.delete(source), robust=True)
    if settings.USE_S3:
        s3 = private_s3_storage()
        client = s3.connection.meta.client
        try:
            client.copy_object(
                Bucket=s3.bucket_name,
                Key=target,
                CopySource={"Bucket": s3.bucket_name, "Key": source},
                CopySourceIfMatch=etag,
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412"):
                raise DomainError(
                    _("The file changed while we checked it; please send it again."), field="file"
                ) from exc
            raise
        return target
    with storage.open(source, "rb") as fh:
        return storage.save(target, File(fh, name=target))


def upload_slot_complete(
    *,
    author: User,
    slot_id: uuid.UUID | str,
    caption: str = "",
    alt_text: str = "",
    consent: bool = False,
    resubmission_of: Entry | None = None,
) -> Entry:
    """Turn an uploaded slot into an entry, after checking what really arrived.

    Refuses (and deletes the object) when nothing arrived, when it is empty or too big, when its
    bytes are not an accepted type, or when they are not the kind the fan declared. A refused
    completion stops counting as an upload under way (UPLOAD_SLOTS_PER_FAN), so a fan who forgot
    the consent box a few times is not locked out; it can still be completed with corrected
    details within the hour.
    """
    try:
        return _complete(
            author=author,
            slot_id=slot_id,
            caption=caption,
            alt_text=alt_text,
            consent=consent,
            resubmission_of=resubmission_of,
        )
    except Conflict:
        raise
    except DomainError:
        upload_slot_release(author=author, slot_id=slot_id)
        raise


def upload_slot_release(*, author: User, slot_id: uuid.UUID | str) -> None:
    """A completion was refused: the slot stops counting as an upload under way (its expiry comes now).

    It can still be completed with corrected details within COMPLETE_WITHIN.
    """
    UploadSlot.objects.filter(pk=slot_id, author=author, completed_at__isnull=True).update(
        expires_at=Least(F("expires_at"), Value(timezone.now()))
    )


def _complete(
    *,
    author: User,
    slot_id: uuid.UUID | str,
    caption: str,
    alt_text: str,
    consent: bool,
    resubmission_of: Entry | None = None,
) -> Entry:
    caption, alt_text = caption.strip(), alt_text.strip()
    with transaction.atomic():
        slot = _slot_for(author=author, slot_id=slot_id, lock=True)
        if slot.completed_at is not None:
            raise Conflict(_("This upload was already turned into an entry."), field="upload")
        if slot.created_at < timezone.now() - COMPLETE_WITHIN:
            raise Conflict(_("This upload has expired; please send the file again."), field="upload")
        campaign = slot.campaign
        if resubmission_of is not None and resubmission_of.campaign_id != campaign.pk:
            raise DomainError(_("This upload belongs to another campaign."), field="slot")
        check_details(caption=caption, alt_text=alt_text, consent=consent)
        check_can_enter(author=author, campaign=campaign, kind=slot.kind, resubmission=resubmission_of is not None)
        storage = private_storage()
        if not storage.exists(slot.key):
            raise DomainError(_("We did not receive the file; please send it again."), field="file")
        try:
            size, etag = _stat(slot.key)
            check_size(campaign=campaign, size=size)
            with _open_for_probe(slot.key, size=size, etag=etag) as head:
                info = probe_upload(campaign=campaign, head=head)
            if info.kind != slot.kind:
                raise DomainError(
                    _("You chose to send a %(declared)s but the file is a %(real)s.")
                    % {"declared": EntryKind(slot.kind).label.lower(), "real": EntryKind(info.kind).label.lower()},
                    field="file",
                )
        except DomainError:
            storage.delete(slot.key)  # nothing half-made: a retry finds no file and says so
            raise
        entry_id = uuid.uuid4()
        try:
            stored = _move(slot.key, original_key(campaign=campaign, entry_id=entry_id, fmt=info.format), etag=etag)
        except DomainError:
            storage.delete(slot.key)
            raise

        def mark_used(entry: Entry) -> None:
            slot.completed_at = timezone.now()
            slot.entry = entry
            slot.save(update_fields=["completed_at", "entry"])

        return entry_create_from_stored(
            entry_id=entry_id,
            author=author,
            campaign=campaign,
            stored=stored,
            size=size,
            info=info,
            caption=caption,
            alt_text=alt_text,
            on_created=mark_used,
            resubmission_of=resubmission_of,
            client=slot.client_address or "",
        )


def upload_slots_sweep(*, now: dt.datetime | None = None) -> int:
    """Delete what is left in quarantine by slots past their time, then the slots themselves.

    Their presigned POSTs expired long before, so nothing can arrive at those keys again.
    """
    now = now or timezone.now()
    storage = private_storage()
    stale = UploadSlot.objects.filter(expires_at__lt=now - COMPLETE_WITHIN)
    count = 0
    for slot in stale.iterator():
        if storage.exists(slot.key):
            storage.delete(slot.key)
            count += 1
    stale.delete()
    return count
