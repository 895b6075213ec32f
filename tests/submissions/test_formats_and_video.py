"""Photos from phones (HEIC, GIF) and video entries, end to end through processing."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from submissions import traits
from submissions.models import Entry
from submissions.samples import sample_photo, sample_video
from submissions.services import entry_create
from submissions.storage import private_storage
from tests.factories import CampaignFactory
from tests.helpers import decide_now, processed_entry

pytestmark = pytest.mark.django_db(transaction=True)
LEFTOVERS = [b"FanfareCam", b"Model 7", b"52.5200", b"+013.4050", b"\xa9xyz", b"Lavf", b"Exif"]


def submit(fan: Any, campaign: Any, data: bytes) -> Entry:
    return processed_entry(author=fan, campaign=campaign, data=data, caption="c", alt_text="a")


def private_bytes(entry: Entry) -> dict[str, bytes]:
    out = {}
    for r in entry.renditions.all():
        with private_storage().open(r.name, "rb") as fh:
            out[r.name] = fh.read()
    return out


def test_heic_photo_from_a_phone_becomes_clean_renditions(fan: Any, campaign: Any) -> None:
    im = Image.open(io.BytesIO(sample_photo(seed=30, size=(800, 600))))
    exif = Image.Exif()
    exif[0x010F] = "FanfareCam"
    buf = io.BytesIO()
    im.save(buf, "HEIF", exif=exif.tobytes())
    entry = submit(fan, campaign, buf.getvalue())
    assert entry.state == "pending", entry.rejection_reason
    assert entry.original_format == "heic"
    assert entry.original_summary["camera"] == "FanfareCam"
    for name, data in private_bytes(entry).items():
        assert b"FanfareCam" not in data, name


def test_animated_gif_uses_its_first_frame(fan: Any, campaign: Any) -> None:
    frames = [Image.new("RGB", (200, 100), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0, comment=b"secret-serial")
    entry = submit(fan, campaign, buf.getvalue())
    assert entry.state == "pending"
    jpeg = next(data for name, data in private_bytes(entry).items() if name.endswith(".jpg"))
    assert b"secret-serial" not in jpeg
    pixel = Image.open(io.BytesIO(jpeg)).getpixel((100, 50))
    assert isinstance(pixel, tuple)
    red, _green, blue = pixel
    assert red > 200
    assert blue < 60


def test_moderators_get_a_summary_of_the_originals_metadata(fan: Any, campaign: Any) -> None:
    entry = submit(fan, campaign, sample_photo(seed=31, with_gps=True))
    assert entry.original_summary["camera"] == "FanfareCam Model 7 Serial 12345"
    assert entry.original_summary["has_location"] is True
    with private_storage().open(entry.original, "rb") as fh:
        assert b"FanfareCam" in fh.read()  # the private original keeps its metadata (provenance)


def test_repeated_picture_is_flagged_with_a_link_to_the_earlier_entry(fan: Any, other_fan: Any, campaign: Any) -> None:
    original = sample_photo(seed=32, size=(1000, 750))
    first = submit(fan, campaign, original)
    again = submit(other_fan, campaign, original)
    assert again.duplicate_of_id == first.pk
    assert again.flags[0]["exact"] is True
    # The same picture resized and re-encoded is a near duplicate.
    smaller = io.BytesIO()
    Image.open(io.BytesIO(original)).resize((640, 480)).save(smaller, "PNG")
    near = submit(other_fan, campaign, smaller.getvalue())
    assert near.duplicate_of_id == first.pk
    assert near.flags[0]["exact"] is False
    different = submit(fan, campaign, sample_photo(seed=77, size=(1000, 750)))
    assert different.duplicate_of_id is None


def test_gallery_gets_a_placeholder_and_dominant_colour(fan: Any, campaign: Any) -> None:
    entry = submit(fan, campaign, sample_photo(seed=33))
    assert entry.placeholder.startswith("data:image/webp;base64,")
    assert len(entry.placeholder) < 1500
    assert entry.dominant_color.startswith("#")
    assert len(entry.dominant_color) == 7


@pytest.mark.video
@pytest.mark.parametrize("container", ["mov", "mp4", "webm"])
def test_video_entry_gets_a_web_mp4_and_poster_without_metadata(
    fan: Any, campaign: Any, tmp_path: Path, container: str
) -> None:
    data = sample_video(tmp_path / f"in.{container}", container=container)
    entry = submit(fan, campaign, data)
    assert entry.state == "pending", entry.rejection_reason
    assert entry.kind == "video"
    assert entry.duration_seconds == pytest.approx(2.0, abs=0.2)
    assert entry.original_summary["has_location"] is True
    files = private_bytes(entry)
    mp4 = next(data for name, data in files.items() if name.endswith(".mp4"))
    assert mp4[4:8] == b"ftyp"
    assert mp4.find(b"moov") < mp4.find(b"mdat")  # faststart: the index comes first
    assert {r.format for r in entry.renditions.all()} == {"mp4", "jpeg", "webp"}
    for name, content in files.items():
        for marker in LEFTOVERS:
            assert marker not in content, (name, marker)


@pytest.mark.video
def test_web_video_is_at_most_720p(fan: Any, campaign: Any, tmp_path: Path) -> None:
    entry = submit(fan, campaign, sample_video(tmp_path / "big.mp4", size=(1920, 1080), seconds=1, container="mp4"))
    assert entry.state == "pending", entry.rejection_reason
    mp4 = entry.renditions.get(format="mp4")
    assert (mp4.width, mp4.height) == (1280, 720)


@pytest.mark.video
def test_video_over_the_duration_limit_is_rejected_with_a_reason(fan: Any, campaign: Any, tmp_path: Path) -> None:
    campaign.max_video_seconds = 1
    campaign.save()
    entry = submit(fan, campaign, sample_video(tmp_path / "long.mov", seconds=3))
    assert entry.state == "rejected"
    assert "seconds" in entry.rejection_reason
    assert not entry.renditions.exists()


@pytest.mark.video
def test_damaged_video_is_rejected_not_stuck(fan: Any, campaign: Any, tmp_path: Path) -> None:
    data = sample_video(tmp_path / "v.mp4", container="mp4")
    entry = submit(fan, campaign, data[:200])
    assert entry.state == "rejected"
    assert entry.rejection_reason


@pytest.mark.video
def test_a_video_cut_off_after_its_header_is_rejected_as_damaged(fan: Any, campaign: Any, tmp_path: Path) -> None:
    """The header promises 2 s; decoding stops after under one (ffmpeg still exits 0)."""
    data = sample_video(tmp_path / "v.mp4", container="mp4", faststart=True)
    entry = submit(fan, campaign, data[: int(len(data) * 0.6)])
    assert entry.state == "rejected"
    assert "stops after" in entry.rejection_reason
    assert "of its 2.0 seconds" in entry.rejection_reason
    assert not entry.renditions.exists()


@pytest.mark.video
def test_a_video_damaged_in_the_middle_is_rejected(fan: Any, campaign: Any, tmp_path: Path) -> None:
    data = bytearray(sample_video(tmp_path / "v.mp4", container="mp4", faststart=True, seconds=3))
    start = len(data) * 2 // 3  # after the poster frame, before the end: the length stays 3 s
    data[start : start + 8_000] = bytes(8_000)  # a run of zeroed packets
    entry = submit(fan, campaign, bytes(data))
    assert entry.state == "rejected"
    assert entry.rejection_reason == "This video is damaged part-way through. Please send the original again."


@pytest.mark.video
def test_a_video_with_a_longer_second_audio_track_is_not_taken_for_damaged(
    fan: Any, campaign: Any, tmp_path: Path
) -> None:
    """The container lasts as long as its longest stream (9 s); the streams we keep last 3 s."""
    import subprocess

    out = tmp_path / "two-tracks.mp4"
    subprocess.run(
        [
            "ffmpeg", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=3",
            "-f", "lavfi", "-i", "sine=frequency=440:duration=3",
            "-f", "lavfi", "-i", "sine=frequency=220:duration=9",
            "-map", "0", "-map", "1", "-map", "2",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart", str(out),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )  # fmt: skip
    entry = submit(fan, campaign, out.read_bytes())
    assert entry.state == "pending", entry.rejection_reason


@pytest.mark.video
def test_a_sound_video_still_passes_the_damage_check(fan: Any, campaign: Any, tmp_path: Path) -> None:
    entry = submit(fan, campaign, sample_video(tmp_path / "v.mp4", container="mp4", faststart=True))
    assert entry.state == "pending", entry.rejection_reason


def test_campaign_without_videos_refuses_a_video_at_upload(fan: Any, campaign: Any) -> None:
    from config.errors import DomainError

    campaign.accepts_videos = False
    campaign.save()
    fake_mp4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 100
    with pytest.raises(DomainError, match="does not accept videos"):
        entry_create(
            author=fan,
            campaign=campaign,
            upload=io.BytesIO(fake_mp4),
            size=len(fake_mp4),
            caption="",
            alt_text="a",
            consent=True,
        )
    assert not Entry.objects.exists()


def test_without_ffmpeg_video_entries_are_refused_clearly(fan: Any, campaign: Any, monkeypatch: Any) -> None:
    from config.errors import DomainError
    from submissions import video

    monkeypatch.setattr(video, "available", lambda: False)
    fake_mp4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 100
    with pytest.raises(DomainError, match="cannot be processed on this server"):
        entry_create(
            author=fan,
            campaign=campaign,
            upload=io.BytesIO(fake_mp4),
            size=len(fake_mp4),
            caption="",
            alt_text="a",
            consent=True,
        )


def test_photo_with_a_video_appended_becomes_a_clean_photo(fan: Any, campaign: Any, tmp_path: Path) -> None:
    """A polyglot: JPEG bytes first, an MP4 glued after. Only the pixels survive."""
    tail = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"moov" * 50
    entry = submit(fan, campaign, sample_photo(seed=34) + tail)
    assert entry.state == "pending"
    assert entry.kind == "photo"
    for data in private_bytes(entry).values():
        assert b"ftypmp42" not in data


@pytest.mark.video
def test_approved_video_plays_on_its_page_and_is_in_the_feature_document(
    client: Any, fan: Any, moderator: Any, campaign: Any, tmp_path: Path
) -> None:
    from moderation.selectors import feature_document
    from moderation.services import entry_shortlist, feature_publish

    entry = submit(fan, campaign, sample_video(tmp_path / "v.mov"))
    decide_now(actor=moderator, entry_id=entry.pk, action="approve")
    html = client.get(f"/e/{entry.pk}/").content.decode()
    assert "<video" in html
    assert 'type="video/mp4"' in html
    entry_shortlist(actor=moderator, entry_id=entry.pk)
    feature_publish(campaign=campaign)
    doc = feature_document(campaign=campaign)["entries"][0]
    assert doc["kind"] == "video"
    assert doc["duration"] == pytest.approx(2.0, abs=0.2)
    assert doc["placeholder"].startswith("data:image/webp;base64,")
    assert {r["format"] for r in doc["renditions"]} == {"mp4", "jpeg", "webp"}


def test_picture_sent_to_another_campaign_of_the_brand_is_flagged_as_a_repeat(
    fan: Any, other_fan: Any, campaign: Any
) -> None:
    original = sample_photo(seed=34, size=(900, 600))
    first = submit(fan, campaign, original)
    sister = CampaignFactory.create(brand=campaign.brand)
    again = submit(other_fan, sister, original)
    assert again.duplicate_of_id == first.pk
    [flag] = again.flags
    assert flag["campaign_id"] == campaign.pk
    elsewhere = submit(other_fan, CampaignFactory.create(), original)  # another brand's campaign
    assert elsewhere.duplicate_of_id is None


def test_videos_are_compared_on_several_frames_not_one_poster() -> None:
    poster_twin = ["2466666666666c24", "0000000000000000", "ffffffffffffffff", "0f0f0f0f0f0f0f0f", "f0f0f0f0f0f0f0f0"]
    other = ["2466666666666c24", "1234567812345678", "8765432187654321", "00ff00ff00ff00ff", "ff00ff00ff00ff00"]
    assert traits.frames_match(poster_twin, other) == 1  # same opening frame, a different video
    assert traits.frames_match(poster_twin, list(reversed(poster_twin))) == 5


@pytest.mark.video
def test_video_re_encoded_for_another_campaign_is_flagged_frame_by_frame(
    fan: Any, other_fan: Any, campaign: Any, tmp_path: Path
) -> None:
    first = submit(fan, campaign, sample_video(tmp_path / "a.mov", seconds=3))
    assert len(first.frame_hashes) == 5
    sister = CampaignFactory.create(brand=campaign.brand)
    smaller = submit(other_fan, sister, sample_video(tmp_path / "b.mp4", seconds=3, container="mp4", size=(320, 180)))
    assert smaller.duplicate_of_id == first.pk
    assert smaller.flags[0]["frames"] is True
    different = submit(other_fan, sister, sample_video(tmp_path / "c.mov", seconds=3, pattern="mandelbrot"))
    assert different.duplicate_of_id is None
