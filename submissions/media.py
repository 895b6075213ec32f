"""Photo handling: sniff the real type, bound the pixels before decoding, make clean renditions.

Uploaded files are hostile until proven otherwise. The type comes from the bytes (never the name
or the declared content type); Pillow only opens the formats we accept; the pixel count is read
from the header and refused before any decoding; every rendition is built from pixels alone, so
no EXIF, XMP, IPTC, ICC or comment of the original survives.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.translation import gettext as _
from PIL import Image, ImageCms

# Pillow's own bomb guard, as an error rather than a warning; our per-campaign limit is stricter.
Image.MAX_IMAGE_PIXELS = 100_000_000

# Sniffed type → Pillow format name. Only these are ever decoded.
PHOTO_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
RENDITION_SIZES = (1600, 800, 320)  # long side in pixels, largest first (each made from the last)
RENDITION_FORMATS = ("webp", "jpeg")
MAX_FRAMES = 500  # animated WebP/PNG: only the first frame is used, but refuse absurd counts
SNIFF_BYTES = 32


class MediaRejected(Exception):
    """The file cannot become an entry; the message is written for the fan."""


@dataclass(frozen=True)
class Probe:
    kind: str  # "photo"
    format: str  # sniffed: jpeg, png, webp
    width: int
    height: int


@dataclass(frozen=True)
class RenditionImage:
    format: str  # jpeg or webp
    width: int
    height: int
    data: bytes


def sniff(head: bytes) -> str | None:
    """The real type of a file from its first bytes, or None when it is nothing we accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def _open(fileobj: BinaryIO, fmt: str) -> Image.Image:
    fileobj.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(fileobj, formats=[PHOTO_FORMATS[fmt]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaRejected(_("This picture has far too many pixels.")) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise MediaRejected(_("This file is damaged or is not a picture we can read.")) from exc


def probe(fileobj: BinaryIO, *, max_pixels: int) -> Probe:
    """Check type and pixel count from the header alone (nothing is decoded).

    Raises MediaRejected with a reason the fan can read.
    """
    fileobj.seek(0)
    head = fileobj.read(SNIFF_BYTES)
    if not head:
        raise MediaRejected(_("The file is empty."))
    fmt = sniff(head)
    if fmt is None:
        raise MediaRejected(_("This file is not a JPEG, PNG or WebP picture."))
    with _open(fileobj, fmt) as im:
        width, height = im.size
        frames = getattr(im, "n_frames", 1)
    if width < 1 or height < 1:
        raise MediaRejected(_("This picture has no pixels."))
    if width * height > max_pixels:
        raise MediaRejected(
            _("This picture is %(w)s×%(h)s pixels; the campaign accepts at most %(mp).0f megapixels.")
            % {"w": width, "h": height, "mp": max_pixels / 1_000_000}
        )
    if frames > MAX_FRAMES:
        raise MediaRejected(_("This animated picture has too many frames."))
    return Probe(kind="photo", format=fmt, width=width, height=height)


_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SRGB = ImageCms.createProfile("sRGB")


def _clean_rgb(im: Image.Image) -> Image.Image:
    """The picture's pixels in sRGB, upright, with nothing else attached."""
    orientation = im.getexif().get(0x0112, 1)
    icc = im.info.get("icc_profile")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        im = flat
    elif im.mode != "RGB":
        im = im.convert("RGB")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            im = ImageCms.profileToProfile(im, source, _SRGB, outputMode="RGB") or im
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken profile is dropped; the pixels are kept as they are
    if orientation in _ORIENTATION_TRANSPOSE:
        im = im.transpose(_ORIENTATION_TRANSPOSE[orientation])
    im.info = {}
    return im


def _fit(width: int, height: int, long_side: int) -> tuple[int, int]:
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def make_renditions(fileobj: BinaryIO, *, max_pixels: int) -> tuple[Probe, list[RenditionImage]]:
    """Decode the picture once and encode each size in WebP and JPEG, never upscaled.

    Raises MediaRejected for anything that is not a sound picture within the limits.
    """
    info = probe(fileobj, max_pixels=max_pixels)
    im = _open(fileobj, info.format)
    try:
        if info.format == "jpeg":
            # DCT-scaled decoding: decode at the smallest scale still at least the largest size.
            im.draft("RGB", (RENDITION_SIZES[0], RENDITION_SIZES[0]))
        im.load()
        clean = _clean_rgb(im)
    except MediaRejected:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        im.close()
        raise MediaRejected(_("This file is damaged or is not a picture we can read.")) from exc

    outputs: list[RenditionImage] = []
    current = clean
    seen: set[tuple[int, int]] = set()
    for long_side in RENDITION_SIZES:
        if max(current.size) > long_side:
            current = current.resize(_fit(*current.size, long_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
        if current.size in seen:
            continue  # a small original: do not make the same size twice
        seen.add(current.size)
        for fmt in RENDITION_FORMATS:
            outputs.append(RenditionImage(fmt, *current.size, _encode(current, fmt)))
    return info, outputs


def _encode(im: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "webp":
        im.save(out, "WEBP", quality=80, method=4)
    else:
        im.save(out, "JPEG", quality=82, progressive=True, optimize=False)
    return out.getvalue()


def sha256_of(fileobj: BinaryIO) -> str:
    fileobj.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()
