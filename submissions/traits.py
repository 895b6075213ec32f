"""What we learn from an entry's picture besides its renditions.

- a summary of the original's metadata for moderators (the original keeps it, privately),
- a perceptual (difference) hash to spot near-duplicates,
- the dominant colour and a tiny blurred placeholder for the gallery.
"""

from __future__ import annotations

import base64
import io
import logging
import warnings
from typing import Any, cast

from PIL import Image, ImageFilter

from submissions.media import PHOTO_FORMATS

log = logging.getLogger(__name__)

# EXIF tags (base IFD and the Exif sub-IFD)
MAKE, MODEL, SOFTWARE, DATETIME = 0x010F, 0x0110, 0x0131, 0x0132
EXIF_IFD, GPS_IFD, DATETIME_ORIGINAL = 0x8769, 0x8825, 0x9003
NEAR_DUPLICATE_BITS = 6  # of 64: pictures this close are the same picture, re-encoded or resized


def photo_summary(data: bytes, fmt: str) -> dict[str, Any]:
    """Camera, capture time, location present, editing software, content credentials.

    Reads only metadata blocks; never raises on odd metadata (the summary is best effort).
    """
    summary: dict[str, Any] = {
        "camera": "",
        "captured_at": "",
        "has_location": False,
        "software": "",
        "content_credentials": _has_content_credentials(data),
        "has_xmp": b"http://ns.adobe.com/xap/1.0/" in data[:1_000_000],
    }
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[PHOTO_FORMATS[fmt]]) as im:
                exif = im.getexif()
    except Exception:  # a summary must never fail processing; the renditions decide
        return summary
    make, model = str(exif.get(MAKE, "")).strip("\x00 "), str(exif.get(MODEL, "")).strip("\x00 ")
    summary["camera"] = " ".join(p for p in (make, model) if p)
    summary["software"] = str(exif.get(SOFTWARE, "")).strip("\x00 ")
    try:
        sub = exif.get_ifd(EXIF_IFD)
        summary["captured_at"] = str(sub.get(DATETIME_ORIGINAL) or exif.get(DATETIME, "")).strip("\x00 ")
        summary["has_location"] = bool(exif.get_ifd(GPS_IFD))
    except Exception:  # odd sub-IFDs: keep what we have
        log.info("Unreadable EXIF sub-IFD; summary left partial", exc_info=True)
    return summary


def _has_content_credentials(data: bytes) -> bool:
    """C2PA manifests travel in JUMBF boxes labelled `c2pa` (JPEG APP11, HEIF/PNG boxes)."""
    head = data[:4_000_000]
    return b"c2pa" in head and b"jumb" in head


def picture_traits(rendition: bytes) -> dict[str, str]:
    """dHash, dominant colour and placeholder, from a small clean rendition (cheap to decode)."""
    with Image.open(io.BytesIO(rendition)) as source:
        im = source.convert("RGB")
        grey = im.convert("L").resize((9, 8), Image.Resampling.BOX)
        phash = dhash(grey.tobytes())
        r, g, b = cast(tuple[int, int, int], im.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0)))  # RGB
        tiny = im.copy()
        tiny.thumbnail((24, 24), Image.Resampling.BOX)
        tiny = tiny.filter(ImageFilter.GaussianBlur(1))
        out = io.BytesIO()
        tiny.save(out, "WEBP", quality=30)
    return {
        "phash": phash,
        "dominant_color": f"#{r:02x}{g:02x}{b:02x}",
        "placeholder": "data:image/webp;base64," + base64.b64encode(out.getvalue()).decode(),
    }


def dhash(grey_9x8: bytes) -> str:
    """The 64-bit difference hash (hex) of 9×8 grey pixels: each bit says left > right."""
    bits = 0
    for row in range(8):
        for col in range(8):
            left, right = grey_9x8[row * 9 + col], grey_9x8[row * 9 + col + 1]
            bits = (bits << 1) | (1 if left > right else 0)
    return f"{bits:016x}"


def frames_match(a: list[str], b: list[str]) -> int:
    """How many of the frames `a` have a near-identical frame in `b` (any position: a re-cut copy
    may start later or drop a scene)."""
    return sum(1 for x in a if any(hamming(x, y) <= NEAR_DUPLICATE_BITS for y in b))


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()
