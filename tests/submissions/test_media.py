"""The photo pipeline: real type from the bytes, bounded pixels, clean and upright renditions."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from submissions import media
from submissions.samples import sample_photo

LEFTOVERS = [
    b"Exif",
    b"http://ns.adobe.com/xap",
    b"secret-serial",
    b"FanfareCam",
    b"Model 7",
    b"tEXt",
    b"iTXt",
    b"zTXt",
]


def renditions_of(data: bytes, max_pixels: int = 50_000_000) -> list[media.RenditionImage]:
    _info, images = media.make_renditions(io.BytesIO(data), max_pixels=max_pixels)
    return images


def png_with_text() -> bytes:
    out = io.BytesIO()
    from PIL import PngImagePlugin

    meta = PngImagePlugin.PngInfo()
    meta.add_text("Comment", "secret-serial 42")
    meta.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta xmlns:x='adobe:ns:meta/'>http://ns.adobe.com/xap/1.0/</x:xmpmeta>")
    Image.new("RGBA", (500, 300), (200, 10, 10, 128)).save(out, "PNG", pnginfo=meta)
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        sample_photo(seed=3, with_gps=True, exif_orientation=6, comment=b"secret-serial-9"),
        sample_photo(seed=4, fmt="WEBP", size=(900, 600)),
        png_with_text(),
    ],
    ids=["jpeg-exif-gps-comment", "webp-exif", "png-text-xmp-alpha"],
)
def test_no_metadata_survives_in_any_rendition(data: bytes) -> None:
    images = renditions_of(data)
    assert images
    for image in images:
        for marker in LEFTOVERS:
            assert marker not in image.data, (image.format, image.width, marker)
        with Image.open(io.BytesIO(image.data)) as im:
            assert not im.getexif()
            assert "icc_profile" not in im.info


def test_renditions_are_320_800_1600_in_webp_and_jpeg_never_upscaled() -> None:
    images = renditions_of(sample_photo(seed=5, size=(2400, 1800)))
    assert sorted((i.format, i.width) for i in images) == [
        ("jpeg", 320),
        ("jpeg", 800),
        ("jpeg", 1600),
        ("webp", 320),
        ("webp", 800),
        ("webp", 1600),
    ]
    small = renditions_of(sample_photo(seed=5, size=(500, 400)))
    assert max(i.width for i in small) == 500


def test_exif_orientation_is_applied() -> None:
    images = renditions_of(sample_photo(seed=6, size=(1200, 900), exif_orientation=6))
    assert all(i.height > i.width for i in images)


def test_transparent_png_is_flattened_on_white() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (100, 100), (0, 0, 0, 0)).save(out, "PNG")
    image = renditions_of(out.getvalue())[0]
    with Image.open(io.BytesIO(image.data)) as im:
        assert im.convert("RGB").getpixel((50, 50)) == (255, 255, 255)


def test_decompression_bomb_is_refused_from_the_header() -> None:
    """A tiny PNG that claims 100 000 × 100 000 pixels is refused before any decoding."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )
    with pytest.raises(media.MediaRejected) as refused:
        media.probe(io.BytesIO(bomb), max_pixels=50_000_000)
    # The fan learns the size and the limit, not just "far too many".
    assert str(refused.value) == "This picture has 10,000 megapixels; we accept at most 50 megapixels."


def test_truncated_jpeg_is_rejected_with_a_readable_reason() -> None:
    data = sample_photo(seed=7)
    with pytest.raises(media.MediaRejected, match="damaged"):
        renditions_of(data[: len(data) // 2])


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xff\xd8\xff\xe0", "jpeg"),
        (b"\x89PNG\r\n\x1a\n", "png"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"GIF89a", "gif"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "heic"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", "mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "mov"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81", "webm"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00", None),
        (b"<svg", None),
        (b"<?xml version", None),
        (b"", None),
    ],
)
def test_type_comes_from_the_bytes(head: bytes, kind: str | None) -> None:
    assert media.sniff(head) == kind
