"""Video handling with ffprobe/ffmpeg, run as hardened subprocesses.

Every call reads only local files (`-protocol_whitelist file`), names the one demuxer that the
sniffed type allows (never lets ffmpeg guess), and has a wall-clock limit. Outputs carry no
metadata of the original: global and stream metadata, chapters and data streams are dropped, and
the web rendition is re-encoded (H.264/AAC, at most 720p, faststart).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from submissions.media import MediaRejected

# Sniffed type → the ffmpeg demuxer allowed to read it.
DEMUXERS = {"mp4": "mov", "mov": "mov", "webm": "matroska"}
ACCEPTED_VIDEO_CODECS = {"h264", "hevc", "vp8", "vp9", "av1", "mpeg4", "prores"}
MAX_VIDEO_SIDE = 4096
PROBE_TIMEOUT = 30
TRANSCODE_TIMEOUT = 240
WEB_MAX_W, WEB_MAX_H = 1280, 720  # a 720p box; portrait videos fit 720 wide


def available() -> bool:
    """Whether this machine can process video at all (Debian package `ffmpeg`)."""
    return bool(shutil.which("ffmpeg") and shutil.which("ffprobe"))


@dataclass(frozen=True)
class VideoProbe:
    format: str
    width: int
    height: int
    duration: float
    video_codec: str
    audio_codec: str | None
    rotation: int
    tags: dict[str, str]
    # How long the streams we keep (first video, first audio) last; the container's duration may
    # also count streams we drop (a second audio track, subtitles).
    kept_duration: float = 0.0


def _run(args: list[str], *, timeout: int) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(args, capture_output=True, timeout=timeout, check=False)  # noqa: S603
    except subprocess.TimeoutExpired as exc:
        raise MediaRejected(_("This video took too long to read; it may be damaged.")) from exc


def probe_video(path: Path, *, fmt: str, max_seconds: int) -> VideoProbe:
    """Read duration, size and codecs with ffprobe; MediaRejected for anything out of bounds."""
    result = _run(
        [
            "ffprobe",
            "-v",
            "error",
            "-protocol_whitelist",
            "file",
            "-f",
            DEMUXERS[fmt],
            "-show_format",
            "-show_streams",
            "-of",
            "json",
            str(path),
        ],
        timeout=PROBE_TIMEOUT,
    )
    try:
        info = json.loads(result.stdout or b"{}")
    except ValueError:
        info = {}
    if result.returncode != 0 or not info.get("streams"):
        raise MediaRejected(_("This file is damaged or is not a video we can read."))
    streams = info["streams"]
    video = next((s for s in streams if s.get("codec_type") == "video" and not _is_cover(s)), None)
    if video is None:
        raise MediaRejected(_("This file has no video in it."))
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    codec = str(video.get("codec_name", ""))
    if codec not in ACCEPTED_VIDEO_CODECS:
        raise MediaRejected(_("This video uses a format (%(codec)s) we cannot play.") % {"codec": codec or "?"})
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if not (0 < width <= MAX_VIDEO_SIDE and 0 < height <= MAX_VIDEO_SIDE):
        raise MediaRejected(_("This video's picture size is not supported (at most 4096 pixels a side)."))
    duration = _duration(info, video)
    if duration <= 0:
        raise MediaRejected(_("This video has no length; it may be damaged."))
    if duration > max_seconds + 0.5:
        raise MediaRejected(
            _("This video lasts %(d).0f seconds; the campaign accepts up to %(max)s seconds.")
            % {"d": duration, "max": max_seconds}
        )
    tags = {str(k).lower(): str(v) for k, v in (info.get("format", {}).get("tags") or {}).items()}
    return VideoProbe(
        format=fmt,
        width=width,
        height=height,
        duration=duration,
        video_codec=codec,
        audio_codec=str(audio.get("codec_name")) if audio else None,
        rotation=_rotation(video),
        tags=tags,
        kept_duration=max(_stream_duration(video), _stream_duration(audio) if audio else 0.0) or duration,
    )


def _stream_duration(stream: dict[str, Any]) -> float:
    try:
        return float(stream.get("duration") or 0.0)
    except (TypeError, ValueError):
        return 0.0


def _is_cover(stream: dict[str, Any]) -> bool:
    return bool((stream.get("disposition") or {}).get("attached_pic"))


def _duration(info: dict[str, Any], video: dict[str, Any]) -> float:
    for value in (info.get("format", {}).get("duration"), video.get("duration")):
        try:
            if value is not None:
                return float(value)
        except (TypeError, ValueError):
            continue
    return 0.0


def _rotation(video: dict[str, Any]) -> int:
    for side in video.get("side_data_list") or []:
        if "rotation" in side:
            return int(float(side["rotation"])) % 360
    try:
        return int((video.get("tags") or {}).get("rotate", 0)) % 360
    except ValueError:
        return 0


def _input_args(path: Path, fmt: str) -> list[str]:
    return ["-protocol_whitelist", "file", "-f", DEMUXERS[fmt], "-i", str(path)]


def poster_frame(path: Path, *, fmt: str, duration: float) -> bytes:
    """One frame (PNG bytes, upright) from early in the video, for the poster renditions."""
    at = min(1.0, duration / 3)
    result = _run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-ss",
            f"{at:.2f}",
            *_input_args(path, fmt),
            "-map",
            "0:v:0",
            "-frames:v",
            "1",
            "-map_metadata",
            "-1",
            "-f",
            "image2pipe",
            "-c:v",
            "png",
            "pipe:1",
        ],
        timeout=PROBE_TIMEOUT,
    )
    if result.returncode != 0 or not result.stdout:
        raise MediaRejected(_("We could not read a picture from this video; it may be damaged."))
    return result.stdout


FRAME_SAMPLES = 5


def frame_thumbnails(path: Path, *, fmt: str, duration: float, count: int = FRAME_SAMPLES) -> list[bytes]:
    """`count` frames spread over the video, each as 9×8 grey pixels (72 bytes) for a dHash.

    One decoding pass: the fps filter keeps `count` evenly spaced frames and scales them down in
    ffmpeg, so nothing larger than a few bytes per frame leaves it.
    """
    rate = count / max(duration, 0.1)
    result = _run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            *_input_args(path, fmt),
            "-map",
            "0:v:0",
            "-vf",
            f"fps={rate:.6f},scale=9:8:flags=area,format=gray",
            "-frames:v",
            str(count),
            "-f",
            "rawvideo",
            "pipe:1",
        ],
        timeout=PROBE_TIMEOUT,
    )
    if result.returncode != 0:
        return []
    data = result.stdout
    return [data[i : i + 72] for i in range(0, len(data) - 71, 72)]


def web_rendition(path: Path, out: Path, *, fmt: str, has_audio: bool) -> str:
    """Re-encode to H.264/AAC MP4, at most 720p, faststart, with no metadata of the original.

    Returns what ffmpeg reported while decoding (its errors), for `check_decoded`: a damaged
    stream still "succeeds" (exit 0) with a shorter output.
    """
    scale = (
        f"scale='min({WEB_MAX_W},iw)':'min({WEB_MAX_H},ih)':force_original_aspect_ratio=decrease,"
        "scale=trunc(iw/2)*2:trunc(ih/2)*2"
    )
    args = [
        "ffmpeg",
        "-nostdin",
        "-v",
        "error",
        "-y",
        *_input_args(path, fmt),
        "-map",
        "0:v:0",
        *(["-map", "0:a:0"] if has_audio else []),
        "-map_metadata",
        "-1",
        "-map_chapters",
        "-1",
        "-dn",
        "-sn",
        "-vf",
        scale,
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "23",
        "-pix_fmt",
        "yuv420p",
        "-profile:v",
        "high",
        *(["-c:a", "aac", "-b:a", "128k", "-ac", "2"] if has_audio else ["-an"]),
        "-metadata",
        "creation_time=",
        "-fflags",
        "+bitexact",
        "-flags:v",
        "+bitexact",
        "-flags:a",
        "+bitexact",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        str(out),
    ]
    result = _run(args, timeout=TRANSCODE_TIMEOUT)
    if result.returncode != 0 or not out.exists() or out.stat().st_size == 0:
        raise MediaRejected(_("We could not convert this video; it may be damaged."))
    return result.stderr.decode("utf-8", "replace")


# What ffmpeg prints when the stream itself is broken (cut short, corrupt packets). It exits 0
# all the same and writes what it could decode.
DAMAGE_MARKERS = (
    "partial file",
    "invalid nal unit",
    "error while decoding",
    "invalid data found",
    "corrupt decoded frame",
    "missing picture",
    "concealing",
)


# A damaged stream prints many errors; a single broken packet (one audio frame) is concealed well
# enough to keep the entry.
DAMAGE_LINES = 3


def check_decoded(*, probed: float, decoded: float, decoder_log: str) -> None:
    """MediaRejected when the decoded video falls short of what its header promised, or broke up.

    `probed` is the kept streams' duration from the header (VideoProbe.kept_duration), `decoded`
    the web rendition's, `decoder_log` what web_rendition returned.
    """
    if decoded < probed - max(0.5, 0.1 * probed):
        raise MediaRejected(
            _(
                "This video stops after %(decoded).1f of its %(probed).1f seconds: the file is damaged or was "
                "cut off. Please send the original again."
            )
            % {"decoded": decoded, "probed": probed}
        )
    damaged = [line for line in decoder_log.lower().splitlines() if any(m in line for m in DAMAGE_MARKERS)]
    if len(damaged) >= DAMAGE_LINES:
        raise MediaRejected(_("This video is damaged part-way through. Please send the original again."))


def summary_of_tags(tags: dict[str, str]) -> dict[str, Any]:
    """What moderators see of a video's own metadata (the original keeps it, privately)."""

    def first(*keys: str) -> str:
        return next((tags[k] for k in keys if tags.get(k)), "")

    return {
        "camera": " ".join(
            part
            for part in (first("com.apple.quicktime.make", "make"), first("com.apple.quicktime.model", "model"))
            if part
        ),
        "captured_at": first("com.apple.quicktime.creationdate", "creation_time", "date"),
        "has_location": bool(first("location", "com.apple.quicktime.location.iso6709", "location-eng")),
        "software": first("com.apple.quicktime.software", "software", "encoder"),
        "content_credentials": False,
    }
