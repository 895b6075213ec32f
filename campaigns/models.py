"""Campaigns (hashtag challenges) of a brand, with their coded guidelines and consent terms."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Brand

MB = 1024 * 1024
MAX_BYTES_LIMIT = 500 * MB  # the most any campaign may accept per file


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Campaign(models.Model):
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="campaigns")
    slug = models.SlugField(unique=True, help_text=_("Used in the campaign's address."))
    title = models.CharField(max_length=120)
    hashtag = models.CharField(
        max_length=60,
        validators=[RegexValidator(r"^#\w{2,59}$", _("A hashtag is # followed by letters or digits."))],
    )
    description = models.TextField(blank=True)
    consent_terms = models.TextField(
        help_text=_("What a fan agrees to when entering (rights to show the entry, etc.).")
    )
    consent_version = models.PositiveIntegerField(default=1)
    accepts_photos = models.BooleanField(default=True)
    accepts_videos = models.BooleanField(
        default=True, help_text=_("Video entries need ffmpeg on the workers; without it they are refused.")
    )
    max_bytes = models.PositiveBigIntegerField(
        default=20 * MB, validators=[MinValueValidator(1024), MaxValueValidator(MAX_BYTES_LIMIT)]
    )
    max_pixels = models.PositiveBigIntegerField(
        default=50_000_000, validators=[MinValueValidator(10_000), MaxValueValidator(100_000_000)]
    )
    max_video_seconds = models.PositiveIntegerField(default=60)
    max_entries_per_fan = models.PositiveIntegerField(default=5, validators=[MinValueValidator(1)])
    max_entries_per_fan_per_day = models.PositiveIntegerField(default=3, validators=[MinValueValidator(1)])
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", choices=timezone_choices)
    feature_weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.MONDAY)
    feature_hour = models.PositiveSmallIntegerField(default=12, validators=[MaxValueValidator(23)])
    feature_count = models.PositiveSmallIntegerField(
        default=6, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    embed_origins = models.TextField(
        blank=True, help_text=_("Sites allowed to embed the gallery, one origin per line.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["-opens_at"]

    def __str__(self) -> str:
        return f"{self.hashtag} ({self.brand})"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def is_open(self, at: dt.datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.opens_at <= at and (self.closes_at is None or at < self.closes_at)

    def iso_week(self, at: dt.datetime | None = None) -> tuple[int, int]:
        """The ISO (year, week) that `at` falls in, in the campaign's own time zone."""
        local = (at or timezone.now()).astimezone(self.tz)
        year, week, _weekday = local.isocalendar()
        return year, week

    def feature_due_at(self, iso_year: int, iso_week: int) -> dt.datetime:
        """When the feature of that ISO week is due: its weekday and hour, local time."""
        day = dt.date.fromisocalendar(iso_year, iso_week, self.feature_weekday + 1)
        return dt.datetime.combine(day, dt.time(self.feature_hour), tzinfo=self.tz)


class Guideline(models.Model):
    """A numbered rule with a short code; rejections cite it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="guidelines")
    number = models.PositiveSmallIntegerField()
    code = models.SlugField(max_length=32)
    text = models.CharField(max_length=300)
    # A rejection citing only fixable guidelines ("picture too dark", "no hashtag in the
    # caption") lets the fan send a new version of the entry.
    fixable = models.BooleanField(
        default=False, help_text=_("The fan can fix it and send a new version (e.g. too dark, hashtag missing).")
    )
    # A guideline deleted from the campaign but cited by past decisions is retired, not lost.
    active = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar = ["number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["campaign", "code"], name="guideline_code_unique"),
            models.UniqueConstraint(fields=["campaign", "number"], name="guideline_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text} [{self.code}]"
