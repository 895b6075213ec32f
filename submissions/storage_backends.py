"""Storage classes that add what django-storages cannot set per object on its own."""

from __future__ import annotations

from typing import Any

from storages.backends.s3 import S3Storage

# The widget's feature documents are overwritten at one address: caches may keep them briefly.
DOCUMENT_CACHE = "public, max-age=60"
# Renditions never change at their address, but a removed entry must leave caches soon.
RENDITION_CACHE = "public, max-age=3600"


class PublicS3Storage(S3Storage):  # type: ignore[misc]  # django-storages ships no type hints
    """The public bucket (behind the CDN): cache lifetimes by kind of object."""

    def get_object_parameters(self, name: str) -> dict[str, Any]:
        params: dict[str, Any] = super().get_object_parameters(name)
        params["CacheControl"] = DOCUMENT_CACHE if name.startswith("features/") else RENDITION_CACHE
        return params
