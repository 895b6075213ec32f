"""The two media storages and how private files are reached.

`default` holds originals and private renditions and is never served publicly; `public` holds
renditions of approved entries and the widget's feature documents (a CDN bucket in production).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.core.files.storage import Storage, default_storage, storages
from django.urls import reverse

if TYPE_CHECKING:
    from storages.backends.s3 import S3Storage

PRIVATE_URL_SALT = "fanfare.private-media"
PRIVATE_URL_MAX_AGE = 300  # seconds


def private_storage() -> Storage:
    return default_storage


def private_s3_storage() -> S3Storage:
    """The private storage as what it is when settings.USE_S3: django-storages' S3Storage.

    For the S3-only paths that reach the bucket itself (`connection`, `bucket_name`); callers
    check settings.USE_S3 first.
    """
    return default_storage


def public_storage() -> Storage:
    return storages["public"]


def private_url(name: str) -> str:
    """A short-lived URL for a private file. Callers must have checked who is asking.

    With S3 it is a presigned GET; with local storage, a signed link to a Django view.
    """
    if settings.USE_S3:
        return private_storage().url(name)
    token = signing.dumps(name, salt=PRIVATE_URL_SALT, compress=True)
    return reverse("private-media", kwargs={"token": token})


def name_from_private_token(token: str) -> str:
    """The file name a private link points to; raises signing.BadSignature when forged or old."""
    name: str = signing.loads(token, salt=PRIVATE_URL_SALT, max_age=PRIVATE_URL_MAX_AGE)  # what private_url signed
    return name
