"""Photo handling: sniff the real type, bound the pixels before decoding, make clean renditions.

Uploaded files are hostile until proven otherwise. The type comes from the bytes (never the name
or the declared content type); Pillow only opens the formats we accept; the pixel count is read
from the header and refused before any decoding; every rendition is built from pixels alone, so
no EXIF, XMP, IPTC, ICC or comment of the original survives.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from PIL import Image, ImageCms
from pillow_heif import register_heif_opener

register_heif_opener()  # HEIC/HEIF from phones; only opened where formats= names "HEIF"

# Pillow's own bomb guard, as an error rather than a warning; our per-campaign limit is stricter.
Image.MAX_IMAGE_PIXELS = 100_000_000

# Sniffed type → Pillow format name. Only these are ever decoded.
PHOTO_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "heic": "HEIF", "gif": "GIF"}
VIDEO_FORMATS = frozenset({"mp4", "mov", "webm"})
RENDITION_SIZES = (1600, 800, 320)  # long side in pixels, largest first (each made from the last)
RENDITION_FORMATS = ("webp", "jpeg")
MAX_FRAMES = 500  # animated WebP/PNG: only the first frame is used, but refuse absurd counts
SNIFF_BYTES = 32


NOT_ACCEPTED = _lazy(
    "This file is not a photo (JPEG, PNG, WebP, HEIC, GIF) or a video (MP4, MOV, WebM) that we accept."
)


class MediaRejected(Exception):
    """The file cannot become an entry; the message is written for the fan."""


@dataclass(frozen=True)
class Probe:
    kind: str  # "photo" or "video"
    format: str  # sniffed: jpeg, png, webp
    width: int
    height: int


@dataclass(frozen=True)
class RenditionImage:
    format: str  # jpeg or webp
    width: int
    height: int
    data: bytes


# ISO base media files (HEIF, MP4, QuickTime) say what they are in their `ftyp` box.
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
MP4_BRANDS = {
    b"isom",
    b"iso2",
    b"iso4",
    b"iso5",
    b"iso6",
    b"mp41",
    b"mp42",
    b"avc1",
    b"M4V ",
    b"MSNV",
    b"dash",
    b"3gp4",
    b"3gp5",
    b"3gp6",
    b"mmp4",
}


def sniff(head: bytes) -> str | None:
    """The real type of a file from its first bytes, or None when it is nothing we accept.

    Photos: jpeg, png, webp, heic, gif. Videos: mp4, mov, webm.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in HEIF_BRANDS:
            return "heic"
        if brand == b"qt  ":
            return "mov"
        if brand in MP4_BRANDS:
            return "mp4"
    return None


def kind_of(fmt: str) -> str:
    """photo or video, for a sniffed type."""
    return "video" if fmt in VIDEO_FORMATS else "photo"


def _open(fileobj: BinaryIO, fmt: str, *, max_pixels: int | None = None) -> Image.Image:
    """Open (not decode) a picture; MediaRejected naming the limit when its header is a pixel bomb."""
    limit = min(max_pixels or Image.MAX_IMAGE_PIXELS, Image.MAX_IMAGE_PIXELS)
    fileobj.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(fileobj, formats=[PHOTO_FORMATS[fmt]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses before decoding; its message carries the pixel count it read from the header.
        found = re.search(r"\((\d+) pixels\)", str(exc))
        if found is None:
            raise MediaRejected(
                _("This picture has more pixels than we accept (at most %(mp).0f megapixels).")
                % {"mp": limit / 1_000_000}
            ) from exc
        raise MediaRejected(
            _("This picture has %(found)s megapixels; we accept at most %(mp)s megapixels.")
            % {"found": f"{int(found.group(1)) / 1_000_000:,.0f}", "mp": f"{limit / 1_000_000:,.0f}"}
        ) from exc
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
        raise MediaRejected(NOT_ACCEPTED)
    if fmt in VIDEO_FORMATS:  # read by ffprobe later (submissions.video); nothing to decode here
        return Probe(kind="video", format=fmt, width=0, height=0)
    with _open(fileobj, fmt, max_pixels=max_pixels) as im:
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
    from concurrent.futures import Future, ThreadPoolExecutor

    info = probe(fileobj, max_pixels=max_pixels)
    im = _open(fileobj, info.format)
    try:
        if info.format == "jpeg" and max(im.size) > RENDITION_SIZES[0]:
            # DCT-scaled decoding: libjpeg decodes at 1/2, 1/4 or 1/8 scale, the smallest one still at
            # least the largest rendition's box (so a 12 MP photo is decoded at 3 MP, a 50 MP one at 3 MP).
            im.draft("RGB", _fit(*im.size, RENDITION_SIZES[0]))
        im.load()
        current = _clean_rgb(im)
    except MediaRejected:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        im.close()
        raise MediaRejected(_("This file is damaged or is not a picture we can read.")) from exc
    del im  # the decoded original is freed as soon as the first size is made

    # Each size is made from the previous one. Each size's encodes run in a worker thread (libwebp
    # releases the GIL), so the next size is resized while the last one is encoded; a given image is
    # saved by one thread only, as Image.save() sets attributes on the image it saves.
    sized: list[tuple[tuple[int, int], Future[list[bytes]]]] = []
    with ThreadPoolExecutor(max_workers=_ENCODE_THREADS, thread_name_prefix="rendition") as pool:
        for long_side in RENDITION_SIZES:
            if max(current.size) > long_side:
                current = _shrink(current, _fit(*current.size, long_side))
            if any(size == current.size for size, _job in sized):
                continue  # a small original: do not make the same size twice
            sized.append((current.size, pool.submit(_encode_all, current)))
    return info, [
        RenditionImage(fmt, *size, data)
        for size, job in sized
        for fmt, data in zip(RENDITION_FORMATS, job.result(), strict=True)
    ]


def _encode(im: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    im.save(out, _PILLOW_FORMATS[fmt], **_encoder_options(fmt, im.size))
    return out.getvalue()


# Encoder settings. The quality numbers are the product's; the efforts were chosen with
# bench/renditions.py (WebP encoding is most of the cost of a rendition set).
_PILLOW_FORMATS = {"webp": "WEBP", "jpeg": "JPEG"}
_WEBP_QUALITY = 80
_JPEG_QUALITY = 82
_WEBP_METHOD = 2  # libwebp's effort, 0-6 (default 4): half the time of 4 for ~5 % more bytes, same PSNR
_WEBP_METHOD_SMALL = 4  # thumbnails are cheap to encode at the default effort and shown by the dozen
_SMALL = 400  # long side up to which a rendition counts as a thumbnail
_ENCODE_THREADS = 2  # the machines have 2 cores; libwebp and Pillow's resampling release the GIL


def _encoder_options(fmt: str, size: tuple[int, int]) -> dict[str, int | bool]:
    if fmt == "webp":
        return {"quality": _WEBP_QUALITY, "method": _WEBP_METHOD_SMALL if max(size) <= _SMALL else _WEBP_METHOD}
    # Baseline, no Huffman optimisation: progressive took 5x the encode time for ~4 % fewer bytes,
    # and the JPEG is only the fallback for browsers without WebP.
    return {"quality": _JPEG_QUALITY, "optimize": False, "progressive": False}


def _encode_all(im: Image.Image) -> list[bytes]:
    """One rendition size in every format, in RENDITION_FORMATS order."""
    return [_encode(im, fmt) for fmt in RENDITION_FORMATS]


def _shrink(im: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Downscale: a box reduce() by the whole factor, then LANCZOS for the rest.

    Measured against LANCZOS from the full picture this stays above 40 dB PSNR, far above what the
    q80 encoders keep, at a tenth of the cost of a plain LANCZOS halving.
    """
    return im.resize(size, Image.Resampling.LANCZOS, reducing_gap=1.0)


def sha256_of(fileobj: BinaryIO) -> str:
    fileobj.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()
