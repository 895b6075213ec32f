"""Generated sample photos for the demo and the tests (no files are fetched from anywhere)."""

from __future__ import annotations

import io
import random
import subprocess
from pathlib import Path

from PIL import Image, ImageDraw

PALETTES = [
    ((91, 33, 182), (236, 72, 153)),
    ((14, 116, 144), (250, 204, 21)),
    ((22, 101, 52), (163, 230, 53)),
    ((185, 28, 28), (251, 146, 60)),
    ((30, 64, 175), (125, 211, 252)),
    ((17, 24, 39), (167, 139, 250)),
]


def sample_photo(
    *,
    seed: int,
    size: tuple[int, int] = (1200, 900),
    fmt: str = "JPEG",
    exif_orientation: int | None = None,
    with_gps: bool = False,
    comment: bytes | None = None,
) -> bytes:
    """A colourful picture with a gradient, shapes and noise; optionally with EXIF metadata."""
    rnd = random.Random(seed)
    top, bottom = PALETTES[seed % len(PALETTES)]
    w, h = size
    gradient = Image.linear_gradient("L").resize((w, h))
    im = Image.composite(Image.new("RGB", (w, h), top), Image.new("RGB", (w, h), bottom), gradient)
    draw = ImageDraw.Draw(im)
    for _ in range(12):
        x, y = rnd.randrange(w), rnd.randrange(h)
        r = rnd.randrange(min(w, h) // 20 + 1, min(w, h) // 4 + 2)
        colour = tuple(rnd.randrange(256) for _ in range(3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    noise = Image.effect_noise((w, h), 24).convert("RGB")
    im = Image.blend(im, noise, 0.08)
    out = io.BytesIO()
    exif = Image.Exif()
    if exif_orientation:
        exif[0x0112] = exif_orientation
    exif[0x010F] = "FanfareCam"  # Make
    exif[0x0110] = "Model 7 Serial 12345"  # Model
    if with_gps:
        exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    params = {"exif": exif.tobytes()} if fmt in ("JPEG", "WEBP", "PNG") else {}
    if comment and fmt == "JPEG":
        params["comment"] = comment
    im.save(out, fmt, **params)
    return out.getvalue()


def sample_video(
    path: Path,
    *,
    seconds: float = 2.0,
    size: tuple[int, int] = (640, 360),
    container: str = "mov",
    location: str | None = "+52.5200+013.4050/",
    rotate: int | None = None,
    faststart: bool = False,
    pattern: str = "testsrc",
) -> bytes:
    """A short test-pattern video with a tone, made by ffmpeg, carrying camera and location tags."""
    codec = ["-c:v", "libvpx", "-c:a", "libvorbis"] if container == "webm" else ["-c:v", "libx264", "-c:a", "aac"]
    args = [
        "ffmpeg",
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"{pattern}=size={size[0]}x{size[1]}:rate=25",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440",
        "-t",
        str(seconds),
        *codec,
        "-pix_fmt",
        "yuv420p",
        "-metadata",
        "make=FanfareCam",
        "-metadata",
        "model=Model 7 Serial 12345",
        *(["-metadata", f"location={location}"] if location else []),
        *(["-metadata:s:v", f"rotate={rotate}"] if rotate is not None else []),
        *(["-movflags", "+faststart"] if faststart else []),  # the index first, as phones write it
        str(path),
    ]
    subprocess.run(args, check=True, capture_output=True, timeout=120)  # noqa: S603
    return path.read_bytes()
